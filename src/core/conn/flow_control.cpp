// Flow-control bookkeeping. The receive side advertises consumed + window whenever the
// remaining credit falls below half a window, so updates are neither per packet nor late.
#include "core/conn/flow_control.h"

#include <algorithm>

#include <fmt/format.h>

namespace braid::conn {

bool SendFlowLimit::update(uint64_t new_max) {
  if (new_max <= limit_) return false;
  limit_ = new_max;
  return true;
}

bool SendFlowLimit::should_signal_blocked(uint64_t used) {
  if (used < limit_ || blocked_signaled_at_ == limit_) return false;
  blocked_signaled_at_ = limit_;
  return true;
}

RecvFlowWindow::RecvFlowWindow(uint64_t initial_window, uint64_t max_window)
    : window_(initial_window), max_window_(std::max(initial_window, max_window)), limit_(initial_window) {}

Status RecvFlowWindow::on_received(uint64_t highest) {
  if (highest > limit_) {
    return fail(TransportErrorCode::kFlowControlError,
                fmt::format("peer sent up to {} beyond the limit {}", highest, limit_));
  }
  return {};
}

std::optional<uint64_t> RecvFlowWindow::on_consumed(uint64_t consumed, TimePoint now, Duration smoothed_rtt) {
  consumed_ = std::max(consumed_, consumed);
  const uint64_t remaining = limit_ > consumed_ ? limit_ - consumed_ : 0;
  if (remaining >= window_ / 2 && window_ > 0) return std::nullopt;
  if (last_update_ && smoothed_rtt > Duration::zero() && now - *last_update_ < 2 * smoothed_rtt) {
    window_ = window_ > max_window_ / 2 ? max_window_ : window_ * 2;
  }
  last_update_ = now;
  const uint64_t new_limit = std::max(limit_, consumed_ + window_);
  if (new_limit == limit_) return std::nullopt;
  limit_ = new_limit;
  return limit_;
}

}  // namespace braid::conn

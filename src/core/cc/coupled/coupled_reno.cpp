// The Reno-like per-path machinery of the coupled controllers (RFC 9002 §7, Appendix B). The
// group is republished after every change so that the other paths' increases see this path's
// current window and RTT.
#include "core/cc/coupled/coupled_reno.h"

#include <algorithm>
#include <cmath>

namespace braid::cc {

namespace {
uint64_t initial_window(const CcContext& c) {
  return std::max(c.initial_window_packets, c.minimum_window_packets) * c.max_datagram_size;
}
}  // namespace

CoupledReno::CoupledReno(const CcContext& ctx)
    : ctx_(ctx),
      group_(ctx.group ? ctx.group : std::make_shared<CoupledGroup>()),
      mds_(ctx.max_datagram_size),
      cwnd_(initial_window(ctx)) {
  ctx_.group.reset();  // group_ is the one reference kept
  publish();
}

CoupledPathState CoupledReno::state() const {
  CoupledPathState s;
  s.cwnd = cwnd_;
  s.ssthresh = ssthresh_;
  s.smoothed_rtt = srtt_;
  s.has_rtt_sample = has_rtt_sample_;
  s.max_datagram_size = mds_;
  s.in_slow_start = in_slow_start();
  s.in_recovery = in_recovery_;
  s.acked_since_loss = acked_since_loss_;
  s.acked_between_losses = acked_between_losses_;
  return s;
}

void CoupledReno::publish() const { group_->publish(ctx_.path_id, state()); }

std::optional<CoupledView> CoupledReno::view() const {
  CoupledView v{group_->counted(), 0};
  for (size_t i = 0; i < v.paths.size(); i++) {
    if (v.paths[i].id == ctx_.path_id) {
      v.self = i;
      return v;
    }
  }
  return std::nullopt;
}

void CoupledReno::on_ack(const AckSample& s) {
  if (s.smoothed_rtt > Duration::zero()) {
    srtt_ = s.smoothed_rtt;
    has_rtt_sample_ = true;
  }
  // Every delivered byte counts towards OLIA's l_r, whether or not it may grow the window.
  acked_since_loss_ += s.bytes_acked;
  if (!sent_in_recovery_period(s.sent_time)) {
    in_recovery_ = false;
    // §7.8: an application- or flow-control-limited sender has not tested the window.
    if (!s.app_limited) grow(s.bytes_acked);
  }
  publish();
}

// Slow start up to ssthresh (uncoupled in all three algorithms), the rest by the coupled rule.
void CoupledReno::grow(uint64_t acked) {
  if (in_slow_start()) {
    uint64_t ss = std::min(acked, ssthresh_ - cwnd_);
    cwnd_ += ss;
    acked -= ss;
  }
  if (acked > 0) congestion_avoidance(acked);
}

void CoupledReno::congestion_avoidance(uint64_t acked) {
  publish();  // the hook reads this path from the group: make it current first
  auto v = view();
  if (v) {
    apply_increase(avoidance_increase(*v, acked));
  } else {
    // Not counted (no RTT sample yet, or excluded by the connection): uncoupled Reno.
    apply_increase(static_cast<double>(acked) * static_cast<double>(mds_) / static_cast<double>(cwnd_));
  }
}

void CoupledReno::apply_increase(double bytes) {
  double total = frac_ + bytes;
  double whole = std::floor(total);
  double next = static_cast<double>(cwnd_) + whole;
  double floor_window = static_cast<double>(minimum_window());
  if (next < floor_window) {
    // OLIA may shrink a window, but never below the minimum; a deficit is not carried over.
    cwnd_ = minimum_window();
    frac_ = 0;
    return;
  }
  cwnd_ = static_cast<uint64_t>(next);
  frac_ = total - whole;
}

void CoupledReno::on_congestion_event(const LossSample& s) {
  // ECN-CE is handled exactly like loss (RFC 9002 §7.1).
  if (!sent_in_recovery_period(s.largest_lost_sent_time)) enter_recovery(s.now);
  if (s.persistent_congestion) {
    // §7.6.2: collapse to the minimum window; the next loss starts a fresh recovery period.
    cwnd_ = minimum_window();
    frac_ = 0;
    recovery_start_ = TimePoint::min();
    in_recovery_ = false;
    saved_.reset();
  }
  publish();
}

void CoupledReno::enter_recovery(TimePoint now) {
  saved_ = Saved{cwnd_, ssthresh_, frac_, recovery_start_, acked_since_loss_ != 0, acked_between_losses_};
  rotate_loss_counters();
  publish();
  auto v = view();
  uint64_t reduced = v ? window_after_loss(*v) : cwnd_ / 2;  // kLossReductionFactor = 0.5
  ssthresh_ = std::max(reduced, minimum_window());
  cwnd_ = ssthresh_;
  frac_ = 0;
  recovery_start_ = now;
  in_recovery_ = true;
}

// One rotation per loss episode (not per lost packet), and none when nothing was acked since
// the last one, so that l_r keeps the last non-empty inter-loss interval.
void CoupledReno::rotate_loss_counters() {
  if (acked_since_loss_ == 0) return;
  acked_between_losses_ = acked_since_loss_;
  acked_since_loss_ = 0;
}

void CoupledReno::on_spurious_congestion() {
  if (!saved_) return;
  if (saved_->cwnd >= cwnd_) {
    cwnd_ = saved_->cwnd;
    frac_ = saved_->frac;
  }
  ssthresh_ = saved_->ssthresh;
  recovery_start_ = saved_->recovery_start;
  in_recovery_ = false;
  if (saved_->rotated) {
    // The episode did not happen: the interval before it continues.
    acked_since_loss_ += acked_between_losses_;
    acked_between_losses_ = saved_->acked_between_losses;
  }
  saved_.reset();
  publish();
}

void CoupledReno::set_max_datagram_size(uint64_t bytes) {
  if (bytes == 0) return;
  mds_ = bytes;
  cwnd_ = std::max(cwnd_, minimum_window());
  publish();
}

// A new 4-tuple (RFC 9000 §9.4): nothing learnt about the old path applies, including its
// datagram size, which is revalidated from the context's.
void CoupledReno::reset() {
  mds_ = ctx_.max_datagram_size;
  cwnd_ = initial_window(ctx_);
  ssthresh_ = UINT64_MAX;
  frac_ = 0;
  srtt_ = Duration::zero();
  has_rtt_sample_ = false;
  recovery_start_ = TimePoint::min();
  in_recovery_ = false;
  acked_since_loss_ = 0;
  acked_between_losses_ = 0;
  saved_.reset();
  publish();
}

void CoupledReno::on_path_removed() { group_->remove(ctx_.path_id); }

void CoupledReno::set_state_for_test(uint64_t cwnd, uint64_t ssthresh) {
  cwnd_ = cwnd;
  ssthresh_ = ssthresh;
  frac_ = 0;
  in_recovery_ = false;
  recovery_start_ = TimePoint::min();
  saved_.reset();
  publish();
}

CcMetrics CoupledReno::metrics() const {
  CcState st = CcState::kCongestionAvoidance;
  if (in_recovery_) st = CcState::kRecovery;
  else if (in_slow_start()) st = CcState::kSlowStart;
  return CcMetrics{cwnd_, ssthresh_, st, std::nullopt, std::nullopt, std::nullopt};
}

}  // namespace braid::cc

// One flow-control window, connection-level (MAX_DATA) or per stream (MAX_STREAM_DATA):
// the limit the peer gave us, and the limit we give the peer with receive-window
// auto-tuning (RFC 9000 §4.1-4.2).
#pragma once
#include <cstdint>
#include <optional>

#include "braid/error.h"
#include "braid/time.h"

namespace braid::conn {

// What the peer allows us to send.
class SendFlowLimit {
 public:
  explicit SendFlowLimit(uint64_t initial = 0) : limit_(initial) {}
  uint64_t limit() const { return limit_; }
  // Returns true if the limit increased; smaller values (reordered frames) are ignored.
  bool update(uint64_t new_max);
  uint64_t available(uint64_t used) const { return used >= limit_ ? 0 : limit_ - used; }
  // True once per limit value when `used` has reached it: DATA_BLOCKED / STREAM_DATA_BLOCKED.
  bool should_signal_blocked(uint64_t used);

 private:
  uint64_t limit_;
  std::optional<uint64_t> blocked_signaled_at_;
};

// What we allow the peer to send. The window doubles (up to max_window) when credit is being
// used up faster than one update per two smoothed RTTs, as quinn and Chromium do.
class RecvFlowWindow {
 public:
  RecvFlowWindow(uint64_t initial_window, uint64_t max_window);
  uint64_t limit() const { return limit_; }
  uint64_t window() const { return window_; }
  // `highest`: the largest received offset (for the connection, the sum over streams).
  Status on_received(uint64_t highest);
  // `consumed`: bytes the application has taken so far (monotonic). Returns a new limit to
  // advertise once less than half a window remains.
  std::optional<uint64_t> on_consumed(uint64_t consumed, TimePoint now, Duration smoothed_rtt);

 private:
  uint64_t window_;
  uint64_t max_window_;
  uint64_t limit_;
  uint64_t consumed_ = 0;
  std::optional<TimePoint> last_update_;
};

}  // namespace braid::conn

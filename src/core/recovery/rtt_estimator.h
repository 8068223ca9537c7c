// RTT estimation per RFC 9002 §5: min, smoothed, variance and latest RTT of one path, and
// the PTO period derived from them.
#pragma once
#include "braid/time.h"

namespace braid::recovery {

inline constexpr Duration kGranularity = std::chrono::milliseconds(1);
inline constexpr Duration kDefaultInitialRtt = std::chrono::milliseconds(333);

class RttEstimator {
 public:
  explicit RttEstimator(Duration initial_rtt = kDefaultInitialRtt);

  // latest_rtt: now - send time of the largest newly acknowledged packet. ack_delay is the
  // peer-reported delay (already scaled), ignored before handshake confirmation for Initial
  // packets per §5.3, and capped at max_ack_delay after confirmation.
  void update(Duration latest_rtt, Duration ack_delay, bool handshake_confirmed, Duration max_ack_delay);
  // Forget samples (new path after migration: RFC 9000 §9.4).
  void reset();

  bool has_sample() const { return has_sample_; }
  Duration latest() const { return latest_; }
  Duration smoothed() const { return smoothed_; }
  Duration variance() const { return rttvar_; }
  Duration min() const { return min_; }
  // smoothed + max(4*rttvar, kGranularity) + max_ack_delay (pass 0 for Initial/Handshake).
  Duration pto_period(Duration max_ack_delay) const;

 private:
  Duration initial_;
  Duration latest_{};
  Duration smoothed_{};
  Duration rttvar_{};
  Duration min_{};
  bool has_sample_ = false;
};

}  // namespace braid::recovery

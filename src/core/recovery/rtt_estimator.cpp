// RFC 9002 §5 RTT estimation: the first sample seeds every estimate, later samples are
// smoothed with gains 1/8 and 1/4 after subtracting the peer's (capped) ack delay.
#include "core/recovery/rtt_estimator.h"

#include <algorithm>

namespace braid::recovery {

RttEstimator::RttEstimator(Duration initial_rtt) : initial_(initial_rtt) { reset(); }

void RttEstimator::reset() {
  // §5.3/§6.2.2: before any sample the initial RTT drives the PTO (smoothed = initial,
  // rttvar = initial / 2).
  latest_ = Duration::zero();
  min_ = Duration::zero();
  smoothed_ = initial_;
  rttvar_ = initial_ / 2;
  has_sample_ = false;
}

void RttEstimator::update(Duration latest_rtt, Duration ack_delay, bool handshake_confirmed,
                          Duration max_ack_delay) {
  if (latest_rtt <= Duration::zero()) latest_rtt = Duration(1);  // clocks never run backwards here
  latest_ = latest_rtt;
  if (!has_sample_) {
    min_ = latest_rtt;
    smoothed_ = latest_rtt;
    rttvar_ = latest_rtt / 2;
    has_sample_ = true;
    return;
  }
  // min_rtt ignores ack delay so that a misbehaving peer cannot lower it (§5.2).
  min_ = std::min(min_, latest_rtt);
  if (ack_delay < Duration::zero()) ack_delay = Duration::zero();
  // The peer's max_ack_delay is only trusted once the handshake is confirmed (§5.3).
  if (handshake_confirmed) ack_delay = std::min(ack_delay, max_ack_delay);
  Duration adjusted = latest_rtt;
  if (latest_rtt >= min_ + ack_delay) adjusted = latest_rtt - ack_delay;
  Duration diff = smoothed_ > adjusted ? smoothed_ - adjusted : adjusted - smoothed_;
  rttvar_ = (3 * rttvar_ + diff) / 4;
  smoothed_ = (7 * smoothed_ + adjusted) / 8;
}

Duration RttEstimator::pto_period(Duration max_ack_delay) const {
  return smoothed_ + std::max(4 * rttvar_, kGranularity) + max_ack_delay;
}

}  // namespace braid::recovery

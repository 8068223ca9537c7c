// HyStart++ (RFC 9406 §4) round tracking, delay-increase detection and CSS.
#include "core/cc/hystart.h"

#include <algorithm>

namespace braid::cc {

void HyStart::start_round() {
  round_started_ = true;
  ++rounds_;
  window_end_ = last_sent_;
  last_round_min_ = current_round_min_;
  current_round_min_ = kInfinite;
  samples_ = 0;
}

uint64_t HyStart::on_ack(const AckSample& s) {
  if (phase_ == Phase::kDone) return s.bytes_acked;
  // The round ends once a packet sent after the previous round's end marker is acked.
  if (!round_started_ || s.sent_time > window_end_) {
    bool was_css = phase_ == Phase::kConservative;
    start_round();
    if (was_css && ++css_rounds_ >= kHystartCssRounds) {
      phase_ = Phase::kDone;
      return 0;
    }
  }
  if (s.latest_rtt > Duration::zero()) {
    current_round_min_ = std::min(current_round_min_, s.latest_rtt);
    ++samples_;
  }
  bool enough = samples_ >= kHystartNRttSample && current_round_min_ != kInfinite;
  if (phase_ == Phase::kSlowStart) {
    if (enough && last_round_min_ != kInfinite) {
      Duration thresh = std::clamp(last_round_min_ / kHystartMinRttDivisor, kHystartMinRttThresh,
                                   kHystartMaxRttThresh);
      if (current_round_min_ >= last_round_min_ + thresh) {
        css_baseline_ = current_round_min_;
        css_rounds_ = 0;
        phase_ = Phase::kConservative;
      }
    }
  } else if (enough && current_round_min_ < css_baseline_) {
    // The RTT increase was spurious: resume slow start (§4.3).
    css_baseline_ = kInfinite;
    phase_ = Phase::kSlowStart;
  }
  return phase_ == Phase::kConservative ? s.bytes_acked / kHystartCssGrowthDivisor : s.bytes_acked;
}

}  // namespace braid::cc

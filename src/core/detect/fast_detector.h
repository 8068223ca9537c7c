// "fast" failure detector (after ALGORITHMS.md §4.4), the default: a path is suspect once
// its k_min oldest owed packets (ack-eliciting ones sent after everything any ACK covered)
// have all waited longer than the path's own RTT statistics explain, and down after
// `down_after` more such rounds (the probe bursts the connection sends while suspect):
//   A   = now - send time of the k_min-th oldest owed packet   (fewer owed: never suspect)
//   R   = srtt + max(4·rttvar, 4 ms) + max_ack_delay
//   T_s = min(max(R, 1.5·max(min_rtt, latest_rtt), min_suspect), max(max_suspect, 2·max(srtt, latest_rtt)))
//         (min_rtt 0: srtt in its place)
//   suspect ⇔ A > T_s;  down ⇔ A > T_s·(1 + down_after);  score = A / T_s
// Measuring from the owed packets' send times rather than from the last ACK (§4.4's S) is
// what makes it fast on a busy path: at a cut those packets were sent about one RTT
// earlier, so the path is suspect about 4·rttvar + max_ack_delay after the cut, not a whole
// R after it. Any ACK of a later packet moves the owed packets on, and k_min of them must
// all be overdue, so random loss (of a packet or of the ACK after it) does not trip it.
// With fewer than k_min owed once the oldest one's ACK is overdue (R) it asks for a probe,
// so the verdict rests on enough packets. Stateless beyond its parameters.
#pragma once
#include <cstdint>

#include "braid/failure_detector.h"

namespace braid::detect {

struct FastDetectorParams {
  uint32_t k_min = 4;                                      // packets owed for a trustworthy verdict
  Duration max_suspect = std::chrono::milliseconds(120);   // cap on T_s (> 0)
  Duration min_suspect = std::chrono::milliseconds(30);    // floor on T_s (<= max_suspect)
  uint32_t down_after = 3;                                 // silent rounds of T_s after suspect
};

class FastDetector final : public FailureDetector {
 public:
  explicit FastDetector(FastDetectorParams p = {}) : p_(p) {}
  // Reads k_min (1..16), min_suspect, max_suspect (0 <= min <= max, max > 0), down_after (1..100).
  static std::expected<std::unique_ptr<FailureDetector>, std::string> create(const PluginParams& params);

  std::string_view name() const override { return "fast"; }
  void on_progress(TimePoint, Duration) override {}
  DetectorVerdict assess(const DetectorInput& in) const override;

  Duration suspect_threshold(const DetectorInput& in) const;   // T_s
  const FastDetectorParams& params() const { return p_; }

 private:
  FastDetectorParams p_;
};

}  // namespace braid::detect

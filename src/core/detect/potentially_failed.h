// "pf" failure detector, the potentially-failed rule of mp-quic-go and MPTCP
// (ALGORITHMS.md §4.2): a path that has owed an ACK for longer than
//   threshold = max(min, srtt_factor·srtt)
// is suspect (potentially failed), and down past down_factor·threshold. score = S /
// threshold. It never asks for probes and keeps no state beyond its parameters.
#pragma once
#include "braid/failure_detector.h"

namespace braid::detect {

struct PotentiallyFailedParams {
  Duration min = std::chrono::milliseconds(500);   // floor of the threshold (> 0)
  double srtt_factor = 4;
  double down_factor = 3;
};

class PotentiallyFailedDetector final : public FailureDetector {
 public:
  explicit PotentiallyFailedDetector(PotentiallyFailedParams p = {}) : p_(p) {}
  // Reads min (duration > 0), srtt_factor (1..100), down_factor (1..100).
  static std::expected<std::unique_ptr<FailureDetector>, std::string> create(const PluginParams& params);

  std::string_view name() const override { return "pf"; }
  void on_progress(TimePoint, Duration) override {}
  DetectorVerdict assess(const DetectorInput& in) const override;

  Duration suspect_threshold(const DetectorInput& in) const;
  const PotentiallyFailedParams& params() const { return p_; }

 private:
  PotentiallyFailedParams p_;
};

}  // namespace braid::detect

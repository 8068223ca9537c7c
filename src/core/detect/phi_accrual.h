// "phi" failure detector: φ-accrual (Hayashibara et al. 2004) with Akka's normal model
// (ALGORITHMS.md §4.1). Heartbeats are ACK progress events and the sampled interval is the
// silence S an ACK had been owed when it arrived, so an idle path adds nothing and is never
// judged. Over the last `window` samples (mean μ, population σ floored at min_std_dev):
//   y = (S − (μ + pause)) / σ,   φ = −log10(1 − F(S)) ≈ log10(1 + exp(y·(1.5976 + 0.070566·y²)))
// (the logistic approximation of the normal CDF, computed so that it stays finite). Live
// while φ < suspect, suspect from there, down once φ ≥ down. pause 0 means srtt +
// max_ack_delay of the input. Before two samples exist, two synthetic ones at E ± E/4 with
// E = srtt + max_ack_delay stand in (Akka's bootstrap), computed on the fly in assess().
// A silence that had already reached the suspect level is not recorded, so an outage does
// not teach the detector to tolerate outages. score = φ.
#pragma once
#include <cstdint>
#include <vector>

#include "braid/failure_detector.h"

namespace braid::detect {

struct PhiAccrualParams {
  double suspect = 8;
  double down = 16;                                      // > suspect
  uint32_t window = 200;                                 // samples kept
  Duration min_std_dev = std::chrono::milliseconds(5);   // floor of σ (> 0)
  Duration pause{};                                      // added to μ; 0: srtt + max_ack_delay
};

// φ of a silence `delta` under a normal model with mean `mean` (pause included) and
// deviation `sigma` > 0, all in the same unit. Finite and non-decreasing in delta.
double phi_normal(double delta, double mean, double sigma);
// The silence at which phi_normal reaches `phi` > 0 (the analytic inverse).
double delta_for_phi(double phi, double mean, double sigma);

class PhiAccrualDetector final : public FailureDetector {
 public:
  explicit PhiAccrualDetector(PhiAccrualParams p = {}) : p_(p) {}
  // Reads suspect (0.1..100), down (0.1..1000, > suspect), window (2..10000),
  // min_std_dev (duration > 0), pause (duration, 0 = automatic).
  static std::expected<std::unique_ptr<FailureDetector>, std::string> create(const PluginParams& params);

  std::string_view name() const override { return "phi"; }
  void on_progress(TimePoint now, Duration silence) override;
  DetectorVerdict assess(const DetectorInput& in) const override;
  void reset() override;

  const PhiAccrualParams& params() const { return p_; }
  size_t samples() const { return ring_.size(); }   // real samples in the window

 private:
  struct Model {
    double mean;    // ns, pause included
    double sigma;   // ns
  };
  // The model for an input whose srtt + max_ack_delay is `expect`.
  Model model(Duration expect) const;
  // The first silence after `s` (where φ < target) at which φ ≥ target.
  Duration crossing(const Model& m, Duration s, double target) const;

  PhiAccrualParams p_;
  std::vector<int64_t> ring_;   // recorded silences in µs; once full, the oldest is at head_
  size_t head_ = 0;
  int64_t sum_ = 0, sum_sq_ = 0;
  // srtt + max_ack_delay of the latest assess() input. on_progress() has no RTT but needs
  // the model (bootstrap and automatic pause) to tell whether the path was already
  // suspect; assess() is const for the connection's sake, so it keeps this as a cache of
  // its input, not as detector state. Unset (never assessed): samples are kept.
  mutable Duration last_expect_{};
  mutable bool assessed_ = false;
};

}  // namespace braid::detect

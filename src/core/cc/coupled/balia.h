// BALIA, the Balanced Linked Adaptation algorithm (Peng, Walid, Hwang, Low, "Multipath TCP:
// Analysis, Design and Implementation", IEEE/ACM ToN 2016; draft-walid-mptcp-congestion-
// control): standard slow start per path; in congestion avoidance a rate-coupled increase
// and a loss reduction that cuts slower paths harder (by up to 75%).
#pragma once
#include <string_view>

#include "core/cc/coupled/coupled_reno.h"

namespace braid::cc {

class Balia final : public CoupledReno {
 public:
  explicit Balia(const CcContext& ctx = {}) : CoupledReno(ctx) {}
  std::string_view name() const override { return "balia"; }

  // alpha_r = max_k x_k / x_r with x = W / srtt; 1 when this path does not count.
  double alpha() const;
  static double alpha(const CoupledView& v);
  // The loss reduction is (W_r / 2) * min(alpha_r, kMaxDecreaseAlpha).
  static constexpr double kMaxDecreaseAlpha = 1.5;

 protected:
  double avoidance_increase(const CoupledView& v, uint64_t acked) const override;
  uint64_t window_after_loss(const CoupledView& v) const override;
};

}  // namespace braid::cc

// OLIA, the Opportunistic Linked Increases Algorithm (Khalili et al., "MPTCP is not
// Pareto-optimal", CoNEXT 2012; draft-khalili-mptcp-congestion-control): standard slow start
// and halving per path; in congestion avoidance an increase that follows the paths' Reno
// throughputs plus a term alpha_r that moves window from the max-window paths to the best
// paths (by l_r / srtt_r^2) that do not already have the max window.
#pragma once
#include <string_view>
#include <vector>

#include "core/cc/coupled/coupled_reno.h"

namespace braid::cc {

class Olia final : public CoupledReno {
 public:
  explicit Olia(const CcContext& ctx = {}) : CoupledReno(ctx) {}
  std::string_view name() const override { return "olia"; }

  // This path's alpha_r; 0 when it does not count.
  double alpha() const;
  // alpha_r for every path of the view, in its order.
  static std::vector<double> alphas(const CoupledView& v);
  // Relative tolerance within which two l_r / srtt_r^2 values are the same (the set B).
  static constexpr double kBestTolerance = 1e-9;

 protected:
  double avoidance_increase(const CoupledView& v, uint64_t acked) const override;
};

}  // namespace braid::cc

// LIA, the Linked Increases Algorithm of RFC 6356, on QUIC paths: standard slow start and
// halving per path; in congestion avoidance each path's increase is coupled so that the
// connection takes no more than one Reno flow would on the best of its paths.
#pragma once
#include <string_view>

#include "core/cc/coupled/coupled_reno.h"

namespace braid::cc {

class Lia final : public CoupledReno {
 public:
  explicit Lia(const CcContext& ctx = {}) : CoupledReno(ctx) {}
  std::string_view name() const override { return "lia"; }

  // RFC 6356 alpha = W_total * max_i(W_i/srtt_i^2) / (sum_i W_i/srtt_i)^2 over the counted
  // paths; 1 (Reno) when this path does not count.
  double alpha() const;
  static double alpha(const CoupledView& v);

 protected:
  double avoidance_increase(const CoupledView& v, uint64_t acked) const override;
};

}  // namespace braid::cc

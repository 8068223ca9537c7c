// LIA (RFC 6356 §3), in bytes: W_i += min(alpha * A * MSS_i / W_total, A * MSS_i / W_i).
// The second term caps each path at what an uncoupled Reno flow on it would gain.
#include "core/cc/coupled/lia.h"

#include <algorithm>

namespace braid::cc {

double Lia::alpha(const CoupledView& v) {
  double total = 0, best = 0, sum_rate = 0;
  for (const auto& m : v.paths) {
    double w = static_cast<double>(m.state.cwnd);
    double rtt = coupled_seconds(m.state.smoothed_rtt);
    total += w;
    best = std::max(best, w / (rtt * rtt));
    sum_rate += w / rtt;
  }
  return total * best / (sum_rate * sum_rate);
}

double Lia::alpha() const {
  auto v = view();
  return v ? alpha(*v) : 1.0;
}

double Lia::avoidance_increase(const CoupledView& v, uint64_t acked) const {
  double total = 0;
  for (const auto& m : v.paths) total += static_cast<double>(m.state.cwnd);
  double a = static_cast<double>(acked);
  double mss = static_cast<double>(v.own().max_datagram_size);
  double coupled = alpha(v) * a * mss / total;
  double reno = a * mss / static_cast<double>(v.own().cwnd);
  return std::min(coupled, reno);
}

}  // namespace braid::cc

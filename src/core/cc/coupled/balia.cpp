// BALIA in bytes, with x_r = W_r / srtt_r (bytes per second):
//   per ACK:  W_r += A * MSS * (x_r / srtt_r) / (sum_k x_k)^2 * ((1 + alpha_r) / 2) * ((4 + alpha_r) / 5)
//   on loss:  W_r -= (W_r / 2) * min(alpha_r, 1.5)
#include "core/cc/coupled/balia.h"

#include <algorithm>

namespace braid::cc {

namespace {
double rate(const CoupledPathState& s) { return static_cast<double>(s.cwnd) / coupled_seconds(s.smoothed_rtt); }
}  // namespace

double Balia::alpha(const CoupledView& v) {
  double fastest = 0;
  for (const auto& m : v.paths) fastest = std::max(fastest, rate(m.state));
  return fastest / rate(v.own());
}

double Balia::alpha() const {
  auto v = view();
  return v ? alpha(*v) : 1.0;
}

double Balia::avoidance_increase(const CoupledView& v, uint64_t acked) const {
  double sum_rate = 0;
  for (const auto& m : v.paths) sum_rate += rate(m.state);
  const auto& own = v.own();
  double x = rate(own);
  double a = alpha(v);
  double mss = static_cast<double>(own.max_datagram_size);
  double base = static_cast<double>(acked) * mss * (x / coupled_seconds(own.smoothed_rtt)) / (sum_rate * sum_rate);
  return base * ((1.0 + a) / 2.0) * ((4.0 + a) / 5.0);
}

uint64_t Balia::window_after_loss(const CoupledView& v) const {
  double w = static_cast<double>(v.own().cwnd);
  double cut = (w / 2.0) * std::min(alpha(v), kMaxDecreaseAlpha);
  return static_cast<uint64_t>(std::max(w - cut, 0.0));
}

}  // namespace braid::cc

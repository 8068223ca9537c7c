// OLIA in bytes: W_r += A * [MSS * (W_r/srtt_r^2) / (sum_p W_p/srtt_p)^2 + alpha_r * MSS / W_r].
// alpha_r may be negative, so a max-window path can shrink; the base class keeps it at or
// above the minimum window.
#include "core/cc/coupled/olia.h"

#include <algorithm>

namespace braid::cc {

namespace {
// l_r: the larger of the bytes acked since the last loss episode and between the two before.
double inter_loss_bytes(const CoupledPathState& s) {
  return static_cast<double>(std::max(s.acked_since_loss, s.acked_between_losses));
}

// During recovery the window is the one recovery will settle on (the code of the authors uses
// ssthresh there).
uint64_t window_for_max(const CoupledPathState& s) { return s.in_recovery ? s.ssthresh : s.cwnd; }
}  // namespace

std::vector<double> Olia::alphas(const CoupledView& v) {
  size_t n = v.paths.size();
  std::vector<double> quality(n);
  double best = 0;
  uint64_t max_window = 0;
  for (size_t i = 0; i < n; i++) {
    const auto& s = v.paths[i].state;
    double rtt = coupled_seconds(s.smoothed_rtt);
    quality[i] = inter_loss_bytes(s) / (rtt * rtt);
    best = std::max(best, quality[i]);
    max_window = std::max(max_window, window_for_max(s));
  }
  std::vector<bool> in_b(n), in_m(n);
  size_t b_not_m = 0, m = 0;
  for (size_t i = 0; i < n; i++) {
    in_b[i] = quality[i] >= best - kBestTolerance * best;
    in_m[i] = window_for_max(v.paths[i].state) == max_window;
    if (in_m[i]) m++;
    if (in_b[i] && !in_m[i]) b_not_m++;
  }
  std::vector<double> alpha(n, 0.0);
  if (b_not_m == 0) return alpha;  // the best paths already have the largest windows
  double paths = static_cast<double>(n);
  for (size_t i = 0; i < n; i++) {
    if (in_m[i]) alpha[i] = -1.0 / (paths * static_cast<double>(m));
    else if (in_b[i]) alpha[i] = 1.0 / (paths * static_cast<double>(b_not_m));
  }
  return alpha;
}

double Olia::alpha() const {
  auto v = view();
  return v ? alphas(*v)[v->self] : 0.0;
}

double Olia::avoidance_increase(const CoupledView& v, uint64_t acked) const {
  double sum_rate = 0;
  for (const auto& m : v.paths) sum_rate += static_cast<double>(m.state.cwnd) / coupled_seconds(m.state.smoothed_rtt);
  const auto& own = v.own();
  double w = static_cast<double>(own.cwnd);
  double rtt = coupled_seconds(own.smoothed_rtt);
  double mss = static_cast<double>(own.max_datagram_size);
  double per_byte = mss * (w / (rtt * rtt)) / (sum_rate * sum_rate) + alphas(v)[v.self] * mss / w;
  return static_cast<double>(acked) * per_byte;
}

}  // namespace braid::cc

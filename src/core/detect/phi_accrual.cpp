// φ-accrual over ACK-owed silences: the sample window, the model, φ and its inverse; see
// phi_accrual.h.
#include "core/detect/phi_accrual.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace braid::detect {

namespace {
constexpr double kA = 1.5976, kB = 0.070566;   // logistic approximation of the normal CDF
constexpr double kLn10 = 2.302585092994045684;
constexpr double kMaxAbsY = 1e9;               // y³ stays far from overflow; φ there is ~1e25
constexpr int64_t kMaxSampleUs = 10'000'000;   // 10 s: sums of squares of 10000 fit int64
constexpr Duration kMaxCrossing = std::chrono::hours(24);   // look no further for a crossing

// ln(1 + e^t) without overflow.
double softplus(double t) { return t > 0 ? t + std::log1p(std::exp(-t)) : std::log1p(std::exp(t)); }
}  // namespace

double phi_normal(double delta, double mean, double sigma) {
  double y = std::clamp((delta - mean) / sigma, -kMaxAbsY, kMaxAbsY);
  // Akka: e = exp(−y·(A + B·y²)); φ = −log10(e / (1 + e)) = log10(1 + 1/e).
  return softplus(y * (kA + kB * y * y)) / kLn10;
}

double delta_for_phi(double phi, double mean, double sigma) {
  double x = phi * kLn10;
  double t = x + std::log1p(-std::exp(-x));   // ln(10^φ − 1)
  // B·y³ + A·y − t = 0 has one real root (A, B > 0): Cardano.
  double p = kA / kB, q = -t / kB;
  double d = std::sqrt(q * q / 4 + p * p * p / 27);
  double y = std::cbrt(-q / 2 + d) + std::cbrt(-q / 2 - d);
  return mean + y * sigma;
}

std::expected<std::unique_ptr<FailureDetector>, std::string> PhiAccrualDetector::create(const PluginParams& params) {
  ParamReader r("phi", params);
  PhiAccrualParams p;
  p.suspect = r.number("suspect", p.suspect, 0.1, 100);
  p.down = r.number("down", p.down, 0.1, 1000);
  p.window = static_cast<uint32_t>(r.count("window", p.window, 2, 10000));
  p.min_std_dev = r.duration("min_std_dev", p.min_std_dev);
  p.pause = r.duration("pause", p.pause);
  if (auto ok = r.finish(); !ok) return std::unexpected(ok.error());
  if (p.min_std_dev <= Duration::zero()) {
    return std::unexpected("phi: parameter min_std_dev=" + params.find("min_std_dev")->second + " must be positive");
  }
  if (p.down <= p.suspect) {
    return std::unexpected("phi: down must exceed suspect (suspect=" + std::to_string(p.suspect) +
                           ", down=" + std::to_string(p.down) + ")");
  }
  return std::make_unique<PhiAccrualDetector>(p);
}

PhiAccrualDetector::Model PhiAccrualDetector::model(Duration expect) const {
  double n = static_cast<double>(ring_.size());
  double sum = static_cast<double>(sum_) * 1e3, sum_sq = static_cast<double>(sum_sq_) * 1e6;   // µs → ns
  if (ring_.size() < 2) {
    double e = static_cast<double>(expect.count());
    for (double b : {e * 0.75, e * 1.25}) {
      sum += b;
      sum_sq += b * b;
      n += 1;
    }
  }
  double mean = sum / n;
  double var = std::max(0.0, sum_sq / n - mean * mean);
  double sigma = std::max(std::sqrt(var), static_cast<double>(p_.min_std_dev.count()));
  Duration pause = p_.pause > Duration::zero() ? p_.pause : expect;
  return {mean + static_cast<double>(pause.count()), sigma};
}

Duration PhiAccrualDetector::crossing(const Model& m, Duration s, double target) const {
  auto reached = [&](int64_t d) { return phi_normal(static_cast<double>(d), m.mean, m.sigma) >= target; };
  constexpr int64_t kFar = int64_t{1} << 62;   // ~146 years: beyond it, never
  if (s.count() >= kFar) return Duration::max();
  // Bracket lo < answer ≤ hi tightly around the analytic estimate, then bisect on whole ns
  // so that the answer is exactly the instant assess() flips (φ as computed, rounding
  // included). Past a day the answer is a day: look again then.
  int64_t lo = s.count(), cap = lo + kMaxCrossing.count();
  constexpr int64_t kSlack = 1000;
  double guess = delta_for_phi(target, m.mean, m.sigma);
  auto est = static_cast<int64_t>(guess > static_cast<double>(lo) ? std::min(guess, static_cast<double>(cap))
                                                                  : static_cast<double>(lo));   // NaN too
  if (est - kSlack > lo && !reached(est - kSlack)) lo = est - kSlack;
  int64_t hi = std::clamp(est + kSlack, lo + 1, cap);
  if (!reached(hi)) {   // the estimate was off: search up to the cap
    lo = hi;
    hi = cap;
    if (lo >= cap || !reached(cap)) return Duration(cap);
  }
  while (hi - lo > 1) {
    int64_t mid = lo + (hi - lo) / 2;
    (reached(mid) ? hi : lo) = mid;
  }
  return Duration(hi);
}

void PhiAccrualDetector::on_progress(TimePoint, Duration silence) {
  if (assessed_) {
    Model m = model(last_expect_);
    if (phi_normal(static_cast<double>(silence.count()), m.mean, m.sigma) >= p_.suspect) return;   // already suspect
  }
  int64_t us = std::clamp<int64_t>(to_us(silence), 0, kMaxSampleUs);
  if (ring_.size() < p_.window) {
    ring_.push_back(us);
  } else {
    int64_t old = ring_[head_];
    sum_ -= old;
    sum_sq_ -= old * old;
    ring_[head_] = us;
    head_ = (head_ + 1) % ring_.size();
  }
  sum_ += us;
  sum_sq_ += us * us;
}

DetectorVerdict PhiAccrualDetector::assess(const DetectorInput& in) const {
  last_expect_ = in.smoothed_rtt + in.max_ack_delay;
  assessed_ = true;
  DetectorVerdict v;
  if (in.owed_packets == 0) return v;   // idle or drained: nothing to judge
  Duration s = in.silence();
  Model m = model(last_expect_);
  v.score = phi_normal(static_cast<double>(s.count()), m.mean, m.sigma);
  if (v.score >= p_.down) {
    v.liveness = Liveness::kDown;
    return v;
  }
  v.liveness = v.score >= p_.suspect ? Liveness::kSuspect : Liveness::kLive;
  Duration d = crossing(m, s, v.liveness == Liveness::kLive ? p_.suspect : p_.down);
  TimePoint from = std::max(in.last_progress, in.oldest_owed_sent);
  v.next_check = from > kNever - d ? kNever : from + d;
  return v;
}

void PhiAccrualDetector::reset() {
  ring_.clear();
  head_ = 0;
  sum_ = sum_sq_ = 0;
  assessed_ = false;
  last_expect_ = Duration::zero();
}

}  // namespace braid::detect

// The "phi" detector: Akka's φ formula and its inverse, the bootstrap model, exact
// crossings, adaptation to the sampled silences, outages not recorded, reset, parameters.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/detect/phi_accrual.h"

namespace braid::detect {
namespace {

using namespace std::chrono_literals;

constexpr TimePoint kT0 = TimePoint{} + 10s;
constexpr double kMs = 1e6;   // ns per ms

// srtt 30 ms + max_ack_delay 5 ms: E = 35 ms (the bootstrap mean and the automatic pause).
DetectorInput owed_since_t0(Duration at, Duration srtt = 30ms, Duration mad = 5ms) {
  DetectorInput in;
  in.has_rtt_sample = true;
  in.smoothed_rtt = srtt;
  in.rtt_variance = srtt / 4;
  in.min_rtt = srtt;
  in.max_ack_delay = mad;
  in.last_progress = kT0 - 1s;
  in.oldest_owed_sent = kT0;
  in.owed_packets = 3;
  in.now = kT0 + at;
  return in;
}

// Akka's formula as written there (overflows for large y, so only for moderate ones).
double akka_phi(double delta, double mean, double sigma) {
  double y = (delta - mean) / sigma;
  double e = std::exp(-y * (1.5976 + 0.070566 * y * y));
  return delta > mean ? -std::log10(e / (1.0 + e)) : -std::log10(1.0 - 1.0 / (1.0 + e));
}

// The silence (after the start) at which the detector's verdict for `in` changes, per next_check.
Duration flip_after(const PhiAccrualDetector& d, DetectorInput in) {
  auto v = d.assess(in);
  EXPECT_NE(v.next_check, kNever);
  return v.next_check - kT0;
}

// Population mean and deviation (floored at 5 ms) of `ms` samples, in ns.
std::pair<double, double> stats(const std::vector<double>& ms) {
  double s = 0, sq = 0;
  for (double x : ms) s += x * kMs, sq += x * kMs * x * kMs;
  double n = static_cast<double>(ms.size()), mean = s / n;
  return {mean, std::max(std::sqrt(std::max(0.0, sq / n - mean * mean)), 5 * kMs)};
}

void feed(PhiAccrualDetector& d, const std::vector<double>& ms) {
  for (double x : ms) d.on_progress(kT0, Duration(static_cast<int64_t>(x * kMs)));
}

TEST(PhiAccrual, PhiMatchesAkkaAndIsFiniteAndMonotone) {
  for (double y = -6; y <= 12; y += 0.25) {
    double delta = 100 + y * 10;
    EXPECT_NEAR(phi_normal(delta, 100, 10), akka_phi(delta, 100, 10), 1e-9 * (1 + akka_phi(delta, 100, 10))) << y;
  }
  EXPECT_NEAR(phi_normal(100, 100, 10), std::log10(2.0), 1e-15);
  // Where Akka's form overflows to infinity this stays finite and keeps growing.
  double prev = -1;
  for (double delta : {-1e300, -1e12, 0.0, 50.0, 100.0, 150.0, 1e3, 1e6, 1e12, 1e18, 1e300}) {
    double p = phi_normal(delta, 100, 10);
    EXPECT_TRUE(std::isfinite(p)) << delta;
    EXPECT_GE(p, 0.0);
    EXPECT_GE(p, prev) << delta;
    prev = p;
  }
  EXPECT_GT(phi_normal(1e6, 100, 10), 1e8);
  EXPECT_TRUE(std::isinf(akka_phi(1e6, 100, 10)));   // what the guard is for
}

TEST(PhiAccrual, InverseGivesTheSilenceForAPhi) {
  // y where φ reaches 3, 8, 16 (solved independently): 3.05894, 5.22599, 7.11968.
  EXPECT_NEAR(delta_for_phi(3, 0, 1), 3.0589378, 1e-6);
  EXPECT_NEAR(delta_for_phi(8, 0, 1), 5.2259866, 1e-6);
  EXPECT_NEAR(delta_for_phi(16, 0, 1), 7.1196809, 1e-6);
  for (double phi : {0.1, 0.5, 1.0, 3.0, 8.0, 16.0, 50.0, 300.0}) {
    EXPECT_NEAR(phi_normal(delta_for_phi(phi, 70, 5), 70, 5), phi, 1e-9 * phi) << phi;
  }
}

TEST(PhiAccrual, BootstrapModelFromTheRtt) {
  // No samples: μ = E = 35 ms, σ = E/4 = 8.75 ms, pause = E: suspect at 70 + 5.226·8.75 ms.
  PhiAccrualDetector d;
  auto v = d.assess(owed_since_t0(70ms));
  EXPECT_EQ(v.liveness, Liveness::kLive);
  EXPECT_NEAR(v.score, std::log10(2.0), 1e-12);
  Duration flip = flip_after(d, owed_since_t0(0ms));
  EXPECT_NEAR(static_cast<double>(flip.count()), delta_for_phi(8, 70 * kMs, 8.75 * kMs), 1);
  EXPECT_NEAR(static_cast<double>(flip.count()), 115.727 * kMs, 0.01 * kMs);
  // A slower path: E = 50 ms, σ 12.5 ms, suspect at 165.325 ms, down at 188.996 ms.
  flip = flip_after(d, owed_since_t0(0ms, 40ms, 10ms));
  EXPECT_NEAR(static_cast<double>(flip.count()), 165.3248 * kMs, 0.001 * kMs);
  flip = flip_after(d, owed_since_t0(170ms, 40ms, 10ms));
  EXPECT_NEAR(static_cast<double>(flip.count()), 188.9960 * kMs, 0.001 * kMs);
}

TEST(PhiAccrual, NextCheckIsExactlyWhereTheVerdictFlips) {
  PhiAccrualDetector d;
  feed(d, {20, 30, 40, 35, 25});
  for (Duration at : {0ms, 30ms, 90ms}) {
    auto v = d.assess(owed_since_t0(at));
    ASSERT_LT(v.next_check, kNever);
    Duration flip = v.next_check - kT0;
    auto before = d.assess(owed_since_t0(flip - 1ns));
    auto after = d.assess(owed_since_t0(flip));
    EXPECT_EQ(before.liveness, v.liveness) << at.count();
    EXPECT_NE(after.liveness, v.liveness) << at.count();
    EXPECT_LT(before.score, v.liveness == Liveness::kLive ? 8.0 : 16.0);
    EXPECT_GE(after.score, v.liveness == Liveness::kLive ? 8.0 : 16.0);
  }
  Duration to_suspect = flip_after(d, owed_since_t0(0ms));
  Duration to_down = flip_after(d, owed_since_t0(to_suspect));
  EXPECT_EQ(d.assess(owed_since_t0(to_suspect)).liveness, Liveness::kSuspect);
  EXPECT_EQ(d.assess(owed_since_t0(to_down - 1ns)).liveness, Liveness::kSuspect);
  auto down = d.assess(owed_since_t0(to_down));
  EXPECT_EQ(down.liveness, Liveness::kDown);
  EXPECT_EQ(down.next_check, kNever);
  EXPECT_GE(down.score, 16.0);
}

TEST(PhiAccrual, SteadyHeartbeatsKeepPhiSmallAndItGrowsWithSilence) {
  PhiAccrualDetector d;
  std::vector<double> ms;
  for (int i = 0; i < 200; ++i) ms.push_back(i % 2 ? 49 : 51);
  feed(d, ms);
  EXPECT_EQ(d.samples(), 200u);
  // μ 50 ms, σ 1 ms floored at 5 ms, pause 35 ms.
  EXPECT_LT(d.assess(owed_since_t0(50ms)).score, 1e-6);
  EXPECT_LT(d.assess(owed_since_t0(70ms)).score, 0.01);
  EXPECT_NEAR(d.assess(owed_since_t0(85ms)).score, std::log10(2.0), 1e-9);
  double prev = -1;
  for (Duration s = 0ms; s <= 300ms; s += 1ms) {
    double phi = d.assess(owed_since_t0(s)).score;
    EXPECT_TRUE(std::isfinite(phi));
    if (s > 80ms) EXPECT_GT(phi, prev) << s.count();
    else EXPECT_GE(phi, prev) << s.count();
    prev = phi;
  }
  EXPECT_NEAR(static_cast<double>(flip_after(d, owed_since_t0(0ms)).count()), 111.1299 * kMs, 0.001 * kMs);
}

TEST(PhiAccrual, LossyHistoryRaisesTheThreshold) {
  PhiAccrualDetector d;
  std::vector<double> steady(100, 50.0);
  feed(d, steady);
  Duration before = flip_after(d, owed_since_t0(0ms));
  EXPECT_NEAR(static_cast<double>(before.count()), delta_for_phi(8, 85 * kMs, 5 * kMs), 1);
  // Every fifth ACK waits for a retransmission: 100 ms silences, each below the suspect level.
  std::vector<double> lossy;
  for (int i = 0; i < 100; ++i) lossy.push_back(i % 5 == 4 ? 100 : 50);
  feed(d, lossy);
  EXPECT_EQ(d.samples(), 200u);
  std::vector<double> all = steady;
  all.insert(all.end(), lossy.begin(), lossy.end());
  auto [mean, sigma] = stats(all);
  Duration after = flip_after(d, owed_since_t0(0ms));
  EXPECT_NEAR(static_cast<double>(after.count()), delta_for_phi(8, mean + 35 * kMs, sigma), 1);
  EXPECT_GT(after, before + 40ms);
}

TEST(PhiAccrual, WindowKeepsOnlyTheLatestSamples) {
  auto made = PhiAccrualDetector::create({{"window", "3"}});
  ASSERT_TRUE(made);
  auto& d = static_cast<PhiAccrualDetector&>(**made);
  feed(d, {10, 10, 10, 40, 40});
  EXPECT_EQ(d.samples(), 3u);
  auto [mean, sigma] = stats({10, 40, 40});
  EXPECT_NEAR(static_cast<double>(flip_after(d, owed_since_t0(0ms)).count()),
              delta_for_phi(8, mean + 35 * kMs, sigma), 1);
  feed(d, {40});
  EXPECT_NEAR(static_cast<double>(flip_after(d, owed_since_t0(0ms)).count()), delta_for_phi(8, 75 * kMs, 5 * kMs), 1);
}

TEST(PhiAccrual, OneRealSampleJoinsTheBootstrapPair) {
  PhiAccrualDetector d;
  feed(d, {20});
  EXPECT_EQ(d.samples(), 1u);
  auto [mean, sigma] = stats({35 * 0.75, 35 * 1.25, 20});
  EXPECT_NEAR(static_cast<double>(flip_after(d, owed_since_t0(0ms)).count()),
              delta_for_phi(8, mean + 35 * kMs, sigma), 1);
}

TEST(PhiAccrual, SilencesPastTheSuspectLevelAreNotRecorded) {
  PhiAccrualDetector d;
  feed(d, std::vector<double>(50, 50.0));   // before any assess(): all kept
  EXPECT_EQ(d.samples(), 50u);
  Duration suspect_at = flip_after(d, owed_since_t0(0ms));   // ≈ 111 ms
  d.on_progress(kT0, suspect_at);
  EXPECT_EQ(d.samples(), 50u);
  d.on_progress(kT0, 2s);
  EXPECT_EQ(d.samples(), 50u);
  EXPECT_EQ(flip_after(d, owed_since_t0(0ms)), suspect_at);
  d.on_progress(kT0, suspect_at - 1ns);
  EXPECT_EQ(d.samples(), 51u);
}

TEST(PhiAccrual, ResetForgetsTheHistory) {
  PhiAccrualDetector d;
  Duration fresh = flip_after(d, owed_since_t0(0ms));
  feed(d, {50, 60, 70, 80, 90});
  EXPECT_NE(flip_after(d, owed_since_t0(0ms)), fresh);
  d.reset();
  EXPECT_EQ(d.samples(), 0u);
  EXPECT_EQ(flip_after(d, owed_since_t0(0ms)), fresh);
  // Nothing assessed since the reset: even a long silence is a sample.
  d.reset();
  d.on_progress(kT0, 5s);
  EXPECT_EQ(d.samples(), 1u);
}

TEST(PhiAccrual, NothingOwedIsLiveForeverWhateverTheSilence) {
  PhiAccrualDetector d;
  for (Duration at : {0ms, 200ms, 10000ms, 3600000ms}) {
    DetectorInput in = owed_since_t0(at);
    in.owed_packets = 0;
    auto v = d.assess(in);
    EXPECT_EQ(v.liveness, Liveness::kLive);
    EXPECT_EQ(v.next_check, kNever);
    EXPECT_FALSE(v.wants_probe);
    EXPECT_DOUBLE_EQ(v.score, 0.0);
  }
}

TEST(PhiAccrual, ProgressAfterTheOldestOwedPacketRestartsTheSilence) {
  PhiAccrualDetector d;
  Duration flip = flip_after(d, owed_since_t0(0ms));
  DetectorInput in = owed_since_t0(200ms);
  in.last_progress = kT0 + 150ms;
  auto v = d.assess(in);
  EXPECT_EQ(v.liveness, Liveness::kLive);
  EXPECT_EQ(v.next_check, kT0 + 150ms + flip);
}

TEST(PhiAccrual, HugeSilenceIsDownWithAFiniteScore) {
  PhiAccrualDetector d;
  auto v = d.assess(owed_since_t0(3600s));
  EXPECT_EQ(v.liveness, Liveness::kDown);
  EXPECT_TRUE(std::isfinite(v.score));
  EXPECT_GT(v.score, 1e6);
  EXPECT_EQ(v.next_check, kNever);
  EXPECT_FALSE(v.wants_probe);
}

TEST(PhiAccrual, ACrossingMoreThanADayAwayIsCheckedAgainInADay) {
  // σ = 1 h: φ(0) ≈ 0.3 is already suspect, and φ reaches 1000 only after ~31.5 h.
  auto made = PhiAccrualDetector::create({{"suspect", "0.1"}, {"down", "1000"}, {"min_std_dev", "3600s"}});
  ASSERT_TRUE(made) << made.error();
  auto& d = **made;
  auto v = d.assess(owed_since_t0(0ms));
  EXPECT_EQ(v.liveness, Liveness::kSuspect);
  EXPECT_EQ(v.next_check, kT0 + 24h);
  v = d.assess(owed_since_t0(24h));
  EXPECT_EQ(v.liveness, Liveness::kSuspect);
  double exact = delta_for_phi(1000, 70 * kMs, 3600e9);
  EXPECT_NEAR(static_cast<double>((v.next_check - kT0).count()), exact, 1e3);
  EXPECT_GT(v.next_check, kT0 + 31h);
  EXPECT_EQ(d.assess(owed_since_t0(v.next_check - kT0 - 1ns)).liveness, Liveness::kSuspect);
  EXPECT_EQ(d.assess(owed_since_t0(v.next_check - kT0)).liveness, Liveness::kDown);
}

TEST(PhiAccrual, ParametersShapeTheModel) {
  auto made = PhiAccrualDetector::create({{"suspect", "3"}, {"down", "6"}, {"pause", "10ms"}, {"min_std_dev", "2ms"}});
  ASSERT_TRUE(made) << made.error();
  auto& d = static_cast<PhiAccrualDetector&>(**made);
  EXPECT_EQ(d.name(), "phi");
  feed(d, std::vector<double>(10, 40.0));
  // μ 40 ms + pause 10 ms, σ floored at 2 ms.
  EXPECT_NEAR(static_cast<double>(flip_after(d, owed_since_t0(0ms)).count()), delta_for_phi(3, 50 * kMs, 2 * kMs), 1);
  EXPECT_NEAR(static_cast<double>(flip_after(d, owed_since_t0(57ms)).count()), delta_for_phi(6, 50 * kMs, 2 * kMs), 1);

  auto def = PhiAccrualDetector::create({});
  ASSERT_TRUE(def);
  auto& p = static_cast<PhiAccrualDetector&>(**def).params();
  EXPECT_DOUBLE_EQ(p.suspect, 8);
  EXPECT_DOUBLE_EQ(p.down, 16);
  EXPECT_EQ(p.window, 200u);
  EXPECT_EQ(p.min_std_dev, 5ms);
  EXPECT_EQ(p.pause, 0ms);
}

TEST(PhiAccrual, DownMustExceedSuspect) {
  for (PluginParams bad : {PluginParams{{"down", "5"}}, PluginParams{{"suspect", "20"}},
                           PluginParams{{"suspect", "4"}, {"down", "4"}}}) {
    auto made = PhiAccrualDetector::create(bad);
    ASSERT_FALSE(made);
    EXPECT_NE(made.error().find("down must exceed suspect"), std::string::npos) << made.error();
  }
  EXPECT_TRUE(PhiAccrualDetector::create({{"suspect", "4"}, {"down", "4.5"}}));
  EXPECT_FALSE(PhiAccrualDetector::create({{"window", "1"}}));
  EXPECT_FALSE(PhiAccrualDetector::create({{"window", "10001"}}));
  EXPECT_FALSE(PhiAccrualDetector::create({{"suspect", "0"}}));
  auto zero = PhiAccrualDetector::create({{"min_std_dev", "0ms"}});
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error(), "phi: parameter min_std_dev=0ms must be positive");
  EXPECT_FALSE(PhiAccrualDetector::create({{"threshold", "8"}}));
}

}  // namespace
}  // namespace braid::detect

// The "pf" detector: potentially failed after max(min, srtt_factor·srtt) of silence while
// owed, down after down_factor times that, exact crossings, never a probe request.
#include <gtest/gtest.h>

#include "core/detect/potentially_failed.h"

namespace braid::detect {
namespace {

using namespace std::chrono_literals;

constexpr TimePoint kT0 = TimePoint{} + 10s;

DetectorInput owed_since_t0(Duration at, Duration srtt = 40ms) {
  DetectorInput in;
  in.has_rtt_sample = true;
  in.smoothed_rtt = srtt;
  in.rtt_variance = srtt / 4;
  in.min_rtt = srtt;
  in.max_ack_delay = 25ms;
  in.last_progress = kT0 - 1s;
  in.oldest_owed_sent = kT0;
  in.owed_packets = 1;
  in.now = kT0 + at;
  return in;
}

TEST(PotentiallyFailed, ThresholdIsTheLargerOfMinAndFourSrtt) {
  PotentiallyFailedDetector d;
  EXPECT_EQ(d.suspect_threshold(owed_since_t0(0ms, 40ms)), 500ms);
  EXPECT_EQ(d.suspect_threshold(owed_since_t0(0ms, 125ms)), 500ms);
  EXPECT_EQ(d.suspect_threshold(owed_since_t0(0ms, 200ms)), 800ms);
  PotentiallyFailedDetector custom({.min = 100ms, .srtt_factor = 2.5, .down_factor = 3});
  EXPECT_EQ(custom.suspect_threshold(owed_since_t0(0ms, 30ms)), 100ms);
  EXPECT_EQ(custom.suspect_threshold(owed_since_t0(0ms, 300ms)), 750ms);
}

TEST(PotentiallyFailed, SuspectJustPastTheThresholdDownPastThreeTimesIt) {
  PotentiallyFailedDetector d;
  auto v = d.assess(owed_since_t0(500ms));
  EXPECT_EQ(v.liveness, Liveness::kLive);
  EXPECT_EQ(v.next_check, kT0 + 500ms + 1ns);
  EXPECT_DOUBLE_EQ(v.score, 1.0);
  v = d.assess(owed_since_t0(500ms + 1ns));
  EXPECT_EQ(v.liveness, Liveness::kSuspect);
  EXPECT_EQ(v.next_check, kT0 + 1500ms + 1ns);
  v = d.assess(owed_since_t0(1500ms));
  EXPECT_EQ(v.liveness, Liveness::kSuspect);
  EXPECT_DOUBLE_EQ(v.score, 3.0);
  v = d.assess(owed_since_t0(1500ms + 1ns));
  EXPECT_EQ(v.liveness, Liveness::kDown);
  EXPECT_EQ(v.next_check, kNever);

  // On a slow path the threshold follows srtt: 4·200 ms, down at 2.4 s.
  EXPECT_EQ(d.assess(owed_since_t0(800ms, 200ms)).liveness, Liveness::kLive);
  EXPECT_EQ(d.assess(owed_since_t0(800ms + 1ns, 200ms)).liveness, Liveness::kSuspect);
  EXPECT_EQ(d.assess(owed_since_t0(900ms, 200ms)).next_check, kT0 + 2400ms + 1ns);
  EXPECT_EQ(d.assess(owed_since_t0(2400ms + 1ns, 200ms)).liveness, Liveness::kDown);
}

TEST(PotentiallyFailed, DownFactorOneGoesStraightToDown) {
  PotentiallyFailedDetector d({.min = 500ms, .srtt_factor = 4, .down_factor = 1});
  EXPECT_EQ(d.assess(owed_since_t0(100ms)).next_check, kT0 + 500ms + 1ns);
  EXPECT_EQ(d.assess(owed_since_t0(500ms)).liveness, Liveness::kLive);
  EXPECT_EQ(d.assess(owed_since_t0(500ms + 1ns)).liveness, Liveness::kDown);
}

TEST(PotentiallyFailed, NothingOwedIsLiveForeverWhateverTheSilence) {
  PotentiallyFailedDetector d;
  for (Duration at : {0ms, 501ms, 10000ms, 3600000ms}) {
    DetectorInput in = owed_since_t0(at);
    in.owed_packets = 0;
    auto v = d.assess(in);
    EXPECT_EQ(v.liveness, Liveness::kLive);
    EXPECT_EQ(v.next_check, kNever);
    EXPECT_DOUBLE_EQ(v.score, 0.0);
  }
}

TEST(PotentiallyFailed, ProgressAfterTheOldestOwedPacketRestartsTheSilence) {
  PotentiallyFailedDetector d;
  DetectorInput in = owed_since_t0(900ms);
  in.last_progress = kT0 + 600ms;
  auto v = d.assess(in);
  EXPECT_EQ(v.liveness, Liveness::kLive);
  EXPECT_EQ(v.next_check, kT0 + 1100ms + 1ns);
  EXPECT_DOUBLE_EQ(v.score, 0.6);
}

TEST(PotentiallyFailed, NeverAsksForProbes) {
  PotentiallyFailedDetector d;
  for (Duration at : {0ms, 30ms, 400ms, 700ms, 2000ms}) EXPECT_FALSE(d.assess(owed_since_t0(at)).wants_probe);
}

TEST(PotentiallyFailed, CreateReadsAndChecksParameters) {
  auto d = PotentiallyFailedDetector::create({{"min", "200ms"}, {"srtt_factor", "3"}, {"down_factor", "2.5"}});
  ASSERT_TRUE(d) << d.error();
  auto& p = static_cast<PotentiallyFailedDetector&>(**d);
  EXPECT_EQ(p.name(), "pf");
  EXPECT_EQ(p.params().min, 200ms);
  EXPECT_DOUBLE_EQ(p.params().srtt_factor, 3);
  EXPECT_DOUBLE_EQ(p.params().down_factor, 2.5);
  EXPECT_EQ(p.assess(owed_since_t0(100ms)).next_check, kT0 + 200ms + 1ns);
  EXPECT_EQ(p.assess(owed_since_t0(300ms)).next_check, kT0 + 500ms + 1ns);

  auto def = PotentiallyFailedDetector::create({});
  ASSERT_TRUE(def);
  auto& q = static_cast<PotentiallyFailedDetector&>(**def);
  EXPECT_EQ(q.params().min, 500ms);
  EXPECT_DOUBLE_EQ(q.params().srtt_factor, 4);
  EXPECT_DOUBLE_EQ(q.params().down_factor, 3);

  EXPECT_FALSE(PotentiallyFailedDetector::create({{"srtt_factor", "0.5"}}));
  EXPECT_FALSE(PotentiallyFailedDetector::create({{"down_factor", "101"}}));
  EXPECT_FALSE(PotentiallyFailedDetector::create({{"min", "soon"}}));
  auto zero = PotentiallyFailedDetector::create({{"min", "0"}});
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error(), "pf: parameter min=0 must be positive");
  EXPECT_FALSE(PotentiallyFailedDetector::create({{"k_min", "3"}}));
}

}  // namespace
}  // namespace braid::detect

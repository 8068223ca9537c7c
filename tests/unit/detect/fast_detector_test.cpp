// The "fast" detector: T_s from the path's RTT statistics and its clamps, the exact
// suspect and down crossings, probes when too little is owed, idle paths never judged.
#include <gtest/gtest.h>

#include "core/detect/fast_detector.h"

namespace braid::detect {
namespace {

using namespace std::chrono_literals;

constexpr TimePoint kT0 = TimePoint{} + 10s;   // silence starts here in most tests

// A path with srtt 40 ms, rttvar 5 ms, min_rtt 35 ms, max_ack_delay 5 ms: R = 65 ms, so
// T_s = 65 ms and down after 4·65 = 260 ms. Four packets (k_min) owed since kT0, progress
// before.
DetectorInput owed_since_t0(Duration at) {
  DetectorInput in;
  in.has_rtt_sample = true;
  in.smoothed_rtt = 40ms;
  in.rtt_variance = 5ms;
  in.min_rtt = 35ms;
  in.max_ack_delay = 5ms;
  in.last_progress = kT0 - 30ms;
  in.oldest_owed_sent = kT0;
  in.owed_packets = 4;
  for (uint32_t i = 0; i < 4; ++i) in.owed_sent[i] = kT0;
  in.now = kT0 + at;
  return in;
}

DetectorInput with_rtt(Duration srtt, Duration rttvar, Duration min_rtt, Duration mad) {
  DetectorInput in = owed_since_t0(0ms);
  in.smoothed_rtt = srtt;
  in.rtt_variance = rttvar;
  in.min_rtt = min_rtt;
  in.max_ack_delay = mad;
  return in;
}

TEST(FastDetector, SuspectThresholdIsSrttPlusFourRttvarPlusAckDelay) {
  FastDetector d;
  EXPECT_EQ(d.suspect_threshold(owed_since_t0(0ms)), 65ms);
  // 4·rttvar below 4 ms counts as 4 ms.
  EXPECT_EQ(d.suspect_threshold(with_rtt(40ms, 0ms, 20ms, 5ms)), 49ms);
  EXPECT_EQ(d.suspect_threshold(with_rtt(40ms, 1ms, 20ms, 5ms)), 49ms);
  EXPECT_EQ(d.suspect_threshold(with_rtt(40ms, 2ms, 20ms, 5ms)), 53ms);
}

TEST(FastDetector, SuspectThresholdIsClampedBetweenOneAndAHalfMinRttAndMaxSuspect) {
  FastDetector d;
  // R = 24 ms is below 1.5·min_rtt = 30 ms.
  EXPECT_EQ(d.suspect_threshold(with_rtt(20ms, 1ms, 20ms, 0ms)), 30ms);
  // Without a min_rtt, srtt stands in for it.
  EXPECT_EQ(d.suspect_threshold(with_rtt(20ms, 1ms, 0ms, 0ms)), 30ms);
  // R = 104 ms is below 1.5·75 ms = 112.5 ms.
  EXPECT_EQ(d.suspect_threshold(with_rtt(100ms, 0ms, 75ms, 0ms)), 112500us);
  // R = 40 + 120 + 25 ms (inflated rttvar) is capped at 120 ms.
  EXPECT_EQ(d.suspect_threshold(with_rtt(40ms, 30ms, 40ms, 25ms)), 120ms);
  // The cap never goes below 1.5·srtt: a 200 ms path keeps 1.5·min_rtt = 285 ms.
  EXPECT_EQ(d.suspect_threshold(with_rtt(200ms, 10ms, 190ms, 25ms)), 285ms);
  EXPECT_EQ(d.suspect_threshold(with_rtt(100ms, 0ms, 100ms, 0ms)), 150ms);
  // A 600 ms satellite path: R = 665 ms, under the 900 ms cap, below 1.5·min_rtt.
  EXPECT_EQ(d.suspect_threshold(with_rtt(600ms, 10ms, 600ms, 25ms)), 900ms);
  FastDetector capped({.k_min = 4, .max_suspect = 80ms, .down_after = 3});
  EXPECT_EQ(capped.suspect_threshold(with_rtt(40ms, 30ms, 40ms, 0ms)), 80ms);
  EXPECT_EQ(capped.suspect_threshold(with_rtt(100ms, 0ms, 100ms, 0ms)), 150ms);
  EXPECT_EQ(capped.suspect_threshold(owed_since_t0(0ms)), 65ms);
}

TEST(FastDetector, LiveUpToTheThresholdSuspectJustPastIt) {
  FastDetector d;
  auto v = d.assess(owed_since_t0(65ms));
  EXPECT_EQ(v.liveness, Liveness::kLive);
  EXPECT_EQ(v.next_check, kT0 + 65ms + 1ns);
  EXPECT_DOUBLE_EQ(v.score, 1.0);
  EXPECT_FALSE(v.wants_probe);

  v = d.assess(owed_since_t0(65ms + 1ns));
  EXPECT_EQ(v.liveness, Liveness::kSuspect);
  EXPECT_EQ(v.next_check, kT0 + 260ms + 1ns);
  EXPECT_GT(v.score, 1.0);

  v = d.assess(owed_since_t0(0ms));
  EXPECT_EQ(v.liveness, Liveness::kLive);
  EXPECT_EQ(v.next_check, kT0 + 65ms + 1ns);
  EXPECT_DOUBLE_EQ(v.score, 0.0);
  EXPECT_DOUBLE_EQ(d.assess(owed_since_t0(130ms)).score, 2.0);
}

TEST(FastDetector, DownAfterFourThresholdsOfSilence) {
  FastDetector d;
  auto v = d.assess(owed_since_t0(260ms));
  EXPECT_EQ(v.liveness, Liveness::kSuspect);
  EXPECT_EQ(v.next_check, kT0 + 260ms + 1ns);
  v = d.assess(owed_since_t0(260ms + 1ns));
  EXPECT_EQ(v.liveness, Liveness::kDown);
  EXPECT_EQ(v.next_check, kNever);
  EXPECT_DOUBLE_EQ(d.assess(owed_since_t0(325ms)).score, 5.0);

  FastDetector quick({.k_min = 4, .max_suspect = 120ms, .down_after = 1});
  EXPECT_EQ(quick.assess(owed_since_t0(100ms)).next_check, kT0 + 130ms + 1ns);
  EXPECT_EQ(quick.assess(owed_since_t0(130ms)).liveness, Liveness::kSuspect);
  EXPECT_EQ(quick.assess(owed_since_t0(130ms + 1ns)).liveness, Liveness::kDown);
}

TEST(FastDetector, NextCheckIsExactlyWhereTheVerdictFlips) {
  FastDetector d;
  for (Duration at : {0ms, 10ms, 64ms, 65ms, 100ms, 259ms}) {
    auto v = d.assess(owed_since_t0(at));
    ASSERT_NE(v.next_check, kNever);
    Duration flip = v.next_check - kT0;
    EXPECT_EQ(d.assess(owed_since_t0(flip - 1ns)).liveness, v.liveness) << at.count();
    EXPECT_NE(d.assess(owed_since_t0(flip)).liveness, v.liveness) << at.count();
  }
}

TEST(FastDetector, NothingOwedIsLiveForeverWhateverTheSilence) {
  FastDetector d;
  for (Duration at : {0ms, 65ms, 1000ms, 3600000ms}) {
    DetectorInput in = owed_since_t0(at);
    in.owed_packets = 0;
    auto v = d.assess(in);
    EXPECT_EQ(v.liveness, Liveness::kLive);
    EXPECT_EQ(v.next_check, kNever);
    EXPECT_FALSE(v.wants_probe);
    EXPECT_DOUBLE_EQ(v.score, 0.0);
  }
}

TEST(FastDetector, MeasuresFromTheOwedPacketsNotTheLastAck) {
  FastDetector d;
  DetectorInput in = owed_since_t0(60ms);   // the owed packets were sent 60 ms ago
  in.last_progress = kT0 + 50ms;            // an ACK 10 ms ago covered only older packets
  auto v = d.assess(in);
  EXPECT_EQ(v.liveness, Liveness::kLive);
  EXPECT_EQ(v.next_check, kT0 + 65ms + 1ns);
  in.now = kT0 + 65ms + 1ns;
  EXPECT_EQ(d.assess(in).liveness, Liveness::kSuspect);   // 65 ms after the sends, not after the ACK
}

TEST(FastDetector, TheKMinThOldestOwedPacketDecides) {
  FastDetector d;   // k_min 4
  DetectorInput in = owed_since_t0(66ms);
  // The three oldest are long overdue, but the fourth was sent 10 ms later: one lost
  // packet or ACK does not make a path suspect.
  in.owed_sent[3] = kT0 + 10ms;
  auto v = d.assess(in);
  EXPECT_EQ(v.liveness, Liveness::kLive);
  EXPECT_EQ(v.next_check, kT0 + 75ms + 1ns);
  in.now = kT0 + 75ms + 1ns;
  EXPECT_EQ(d.assess(in).liveness, Liveness::kSuspect);
  // An ACK of later packets makes newer ones the owed ones.
  for (auto& t : in.owed_sent) t = kT0 + 40ms;
  in.oldest_owed_sent = kT0 + 40ms;
  EXPECT_EQ(d.assess(in).liveness, Liveness::kLive);
}

TEST(FastDetector, FewerThanKMinOwedIsNeverSuspectButAsksForProbesOnceOverdue) {
  FastDetector d;   // k_min 4; R = 65 ms
  DetectorInput in = owed_since_t0(20ms);
  in.owed_packets = 2;
  auto v = d.assess(in);
  EXPECT_FALSE(v.wants_probe);
  EXPECT_EQ(v.liveness, Liveness::kLive);
  EXPECT_EQ(v.next_check, kT0 + 65ms + 1ns);   // when the oldest one's ACK is overdue
  in.now = kT0 + 65ms + 1ns;
  v = d.assess(in);
  EXPECT_TRUE(v.wants_probe);
  EXPECT_EQ(v.liveness, Liveness::kLive);
  in.now = kT0 + 10s;
  v = d.assess(in);
  EXPECT_EQ(v.liveness, Liveness::kLive);   // the probes make it k_min, then it is judged
  EXPECT_TRUE(v.wants_probe);
  // With k_min owed, no probe.
  in.owed_packets = 4;
  in.now = kT0 + 30ms;
  EXPECT_FALSE(d.assess(in).wants_probe);

  FastDetector one({.k_min = 1, .max_suspect = 120ms, .down_after = 3});
  in.owed_packets = 1;
  in.now = kT0 + 66ms;
  v = one.assess(in);
  EXPECT_FALSE(v.wants_probe);
  EXPECT_EQ(v.liveness, Liveness::kSuspect);
}

TEST(FastDetector, LongPathIsNotSuspectedBeforeOneAndAHalfRtt) {
  FastDetector d({.k_min = 4, .max_suspect = 50ms, .down_after = 3});
  DetectorInput in = with_rtt(300ms, 10ms, 300ms, 0ms);   // T_s = 1.5·300 ms despite the 50 ms cap
  in.now = kT0 + 10ms;
  EXPECT_EQ(d.assess(in).next_check, kT0 + 450ms + 1ns);
  in.now = kT0 + 450ms;
  EXPECT_EQ(d.assess(in).liveness, Liveness::kLive);
  in.now = kT0 + 450ms + 1ns;
  EXPECT_EQ(d.assess(in).liveness, Liveness::kSuspect);
}

TEST(FastDetector, DeadlineSaturatesAtTheEndOfTime) {
  FastDetector d;
  DetectorInput in = owed_since_t0(0ms);
  in.oldest_owed_sent = kNever - 1ms;
  for (auto& t : in.owed_sent) t = kNever - 1ms;
  in.now = in.oldest_owed_sent;
  EXPECT_EQ(d.assess(in).next_check, kNever);
}

TEST(FastDetector, CreateReadsAndChecksParameters) {
  auto d = FastDetector::create({{"k_min", "5"}, {"max_suspect", "80ms"}, {"down_after", "2"}});
  ASSERT_TRUE(d) << d.error();
  auto& f = static_cast<FastDetector&>(**d);
  EXPECT_EQ(f.params().k_min, 5u);
  EXPECT_EQ(f.params().max_suspect, 80ms);
  EXPECT_EQ(f.params().down_after, 2u);
  EXPECT_EQ(f.name(), "fast");

  auto def = FastDetector::create({});
  ASSERT_TRUE(def);
  auto& g = static_cast<FastDetector&>(**def);
  EXPECT_EQ(g.params().k_min, 4u);
  EXPECT_EQ(g.params().max_suspect, 120ms);
  EXPECT_EQ(g.params().down_after, 3u);

  EXPECT_FALSE(FastDetector::create({{"k_min", "0"}}));
  EXPECT_FALSE(FastDetector::create({{"k_min", "17"}}));
  EXPECT_FALSE(FastDetector::create({{"down_after", "0"}}));
  EXPECT_FALSE(FastDetector::create({{"min_suspect", "200ms"}}));   // above max_suspect
  // The floor: a sub-millisecond path is not suspected before 30 ms.
  FastDetector dflt;
  EXPECT_EQ(dflt.suspect_threshold(with_rtt(1ms, 1ms, 1ms, 10ms)), 30ms);
  FastDetector nofloor({.k_min = 4, .max_suspect = 120ms, .min_suspect = 0ms, .down_after = 3});
  EXPECT_EQ(nofloor.suspect_threshold(with_rtt(1ms, 1ms, 1ms, 10ms)), 15ms);
  EXPECT_FALSE(FastDetector::create({{"down_after", "101"}}));
  auto zero = FastDetector::create({{"max_suspect", "0ms"}});
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error(), "fast: parameter max_suspect=0ms must be positive");
  auto typo = FastDetector::create({{"kmin", "3"}});
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().find("unknown parameter kmin"), std::string::npos) << typo.error();
}

}  // namespace
}  // namespace braid::detect

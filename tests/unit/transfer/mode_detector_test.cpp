#include "transfer/mode_detector.h"

#include <gtest/gtest.h>

#include "transfer/profile.h"

namespace braid::transfer {
namespace {

using std::chrono::milliseconds;

TEST(ModeDetector, TheReferenceRules) {
  EXPECT_EQ(classify(milliseconds(5), 10e9), TransferMode::kDatacenter);
  EXPECT_EQ(classify(milliseconds(5), 0.5e9), TransferMode::kInternet);    // slow
  EXPECT_EQ(classify(milliseconds(80), 10e9), TransferMode::kInternet);    // far
  EXPECT_EQ(classify(milliseconds(20), 2e9), TransferMode::kHybrid);
  EXPECT_EQ(classify(milliseconds(10), 2e9), TransferMode::kHybrid);       // boundary: not < 10 ms
}

struct Feed {
  ModeDetector& d;
  TimePoint now{};
  // Samples as the sender takes them, for `for_how_long`; returns when the mode switched.
  std::optional<TimePoint> run(Duration for_how_long, Duration rtt, double bw) {
    std::optional<TimePoint> switched;
    TimePoint end = now + for_how_long;
    while (now < end) {
      now = std::max(now, d.next_sample());
      if (d.sample(now, rtt, bw) && !switched) switched = now;
      now += milliseconds(1);
    }
    return switched;
  }
};

TEST(ModeDetector, SwitchesWithinTwoCheckIntervalsOfAChange) {
  ModeDetectorConfig c;
  c.check_interval = milliseconds(500);
  ModeDetector d(c);
  Feed f{d};
  auto first = f.run(std::chrono::seconds(2), milliseconds(5), 10e9);
  ASSERT_TRUE(first);
  EXPECT_EQ(d.mode(), TransferMode::kDatacenter);
  TimePoint changed = f.now;
  auto second = f.run(std::chrono::seconds(3), milliseconds(80), 200e6);
  ASSERT_TRUE(second);
  EXPECT_EQ(d.mode(), TransferMode::kInternet);
  EXPECT_LE(*second - changed, 2 * c.check_interval);
  EXPECT_LT(*second - changed, std::chrono::seconds(2));
  EXPECT_EQ(d.switches(), 2u);
}

TEST(ModeDetector, DoesNotFlapOnMixedEvidence) {
  ModeDetectorConfig c;
  c.check_interval = milliseconds(500);
  c.initial = TransferMode::kInternet;
  ModeDetector d(c);
  TimePoint now{};
  // Alternating datacenter and internet samples: neither reaches 0.7 confidence.
  for (int i = 0; i < 400; ++i) {
    now = d.next_sample();
    bool dc = (i % 5) < 3;   // 60% datacenter
    d.sample(now, milliseconds(dc ? 2 : 90), dc ? 5e9 : 1e8);
  }
  EXPECT_EQ(d.mode(), TransferMode::kInternet);
  EXPECT_EQ(d.switches(), 0u);
  EXPECT_NEAR(d.confidence(), 0.6, 0.11);
}

TEST(ModeDetector, ConfidenceThresholdIsConfigurable) {
  ModeDetectorConfig c;
  c.check_interval = milliseconds(500);
  c.confidence = 0.5;
  c.initial = TransferMode::kInternet;
  ModeDetector d(c);
  TimePoint now{};
  for (int i = 0; i < 100; ++i) {
    now = d.next_sample();
    bool dc = (i % 5) < 3;
    d.sample(now, milliseconds(dc ? 2 : 90), dc ? 5e9 : 1e8);
  }
  EXPECT_EQ(d.mode(), TransferMode::kDatacenter);
}

TEST(ModeDetector, ChecksOnlyAtTheInterval) {
  ModeDetectorConfig c;   // default: 5 s
  ModeDetector d(c);
  Feed f{d};
  auto sw = f.run(std::chrono::seconds(4), milliseconds(2), 5e9);
  EXPECT_FALSE(sw);
  EXPECT_EQ(d.mode(), TransferMode::kHybrid);
  sw = f.run(std::chrono::seconds(2), milliseconds(2), 5e9);
  ASSERT_TRUE(sw);
  EXPECT_EQ(d.mode(), TransferMode::kDatacenter);
}

TEST(ModeDetector, ForcedModeNeverChanges) {
  ModeDetectorConfig c;
  c.check_interval = milliseconds(100);
  c.forced = TransferMode::kInternet;
  ModeDetector d(c);
  Feed f{d};
  EXPECT_FALSE(f.run(std::chrono::seconds(3), milliseconds(1), 40e9));
  EXPECT_EQ(d.mode(), TransferMode::kInternet);
}

TEST(ModeDetector, ParsesNames) {
  EXPECT_EQ(parse_mode("datacenter"), TransferMode::kDatacenter);
  EXPECT_EQ(parse_mode("internet"), TransferMode::kInternet);
  EXPECT_FALSE(parse_mode("lan"));
}

TEST(Profile, PerModeChoices) {
  auto inet = profile_for(TransferMode::kInternet);
  auto dc = profile_for(TransferMode::kDatacenter);
  auto hy = profile_for(TransferMode::kHybrid);
  EXPECT_GE(inet.streams, 4u);
  EXPECT_LE(inet.streams, 16u);
  EXPECT_GE(dc.streams, 32u);
  EXPECT_EQ(inet.congestion_controller, "bbr");
  EXPECT_EQ(dc.congestion_controller, "cubic");
  EXPECT_GT(hy.streams, inet.streams);
  for (auto& p : {inet, dc, hy}) {
    EXPECT_GE(p.chunk_min, 64u << 10);
    EXPECT_LE(p.chunk_max, 4u << 20);
    EXPECT_TRUE(p.pacing);
  }
}

TEST(ChunkTuner, SmallerUnderLossLargerWhenClean) {
  Profile p = profile_for(TransferMode::kInternet);
  ChunkTuner t(p);
  EXPECT_EQ(t.chunk_size(), p.chunk_initial);
  EXPECT_EQ(t.update(1000, 50), p.chunk_initial / 2);   // 5% loss
  t.update(1000, 50);
  t.update(1000, 50);
  t.update(1000, 50);
  EXPECT_EQ(t.chunk_size(), p.chunk_min);                // floor
  t.update(1000, 5);                                      // 0.5%: holds
  EXPECT_EQ(t.chunk_size(), p.chunk_min);
  for (int i = 0; i < 10; ++i) t.update(10000, 0);
  EXPECT_EQ(t.chunk_size(), p.chunk_max);                 // ceiling
  t.fix(300000);
  t.update(1000, 500);
  EXPECT_EQ(t.chunk_size(), 300000u);
}


// Nothing to measure (every path suspect, or no RTT yet): the next sample moves one interval
// on, so a sender that wakes at next_sample() does not wake at the same instant forever.
TEST(ModeDetector, SkippedSampleMovesTheNextSampleOn) {
  ModeDetectorConfig c;
  c.check_interval = milliseconds(100);
  ModeDetector d(c);
  TimePoint now = time_from_us(5'000'000);
  d.skip_sample(now);
  EXPECT_GT(d.next_sample(), now);
  TimePoint first = d.next_sample();
  d.skip_sample(first);
  EXPECT_GT(d.next_sample(), first);
  EXPECT_EQ(d.mode(), TransferMode::kHybrid) << "a skipped sample is no vote";
}

}  // namespace
}  // namespace braid::transfer

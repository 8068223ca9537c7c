// RFC 9002 §5 RTT estimation: first sample, smoothing, min_rtt, ack-delay handling, PTO.
#include "core/recovery/rtt_estimator.h"

#include <gtest/gtest.h>

namespace braid::recovery {
namespace {

using std::chrono::milliseconds;

TEST(RttEstimator, InitialStateUsesInitialRtt) {
  RttEstimator rtt(milliseconds(100));
  EXPECT_FALSE(rtt.has_sample());
  EXPECT_EQ(rtt.smoothed(), milliseconds(100));
  EXPECT_EQ(rtt.variance(), milliseconds(50));
  // 100 + 4*50 + 0
  EXPECT_EQ(rtt.pto_period(Duration::zero()), milliseconds(300));
}

TEST(RttEstimator, FirstSampleSeedsEverythingAndIgnoresAckDelay) {
  RttEstimator rtt;
  rtt.update(milliseconds(80), milliseconds(20), true, milliseconds(25));
  EXPECT_TRUE(rtt.has_sample());
  EXPECT_EQ(rtt.latest(), milliseconds(80));
  EXPECT_EQ(rtt.min(), milliseconds(80));
  EXPECT_EQ(rtt.smoothed(), milliseconds(80));
  EXPECT_EQ(rtt.variance(), milliseconds(40));
  EXPECT_EQ(rtt.pto_period(milliseconds(25)), milliseconds(80 + 160 + 25));
}

TEST(RttEstimator, SmoothingGains) {
  RttEstimator rtt;
  rtt.update(milliseconds(100), Duration::zero(), true, milliseconds(25));
  rtt.update(milliseconds(200), Duration::zero(), true, milliseconds(25));
  // rttvar = 3/4*50 + 1/4*|100-200| = 62.5; srtt = 7/8*100 + 1/8*200 = 112.5
  EXPECT_EQ(rtt.variance(), std::chrono::microseconds(62500));
  EXPECT_EQ(rtt.smoothed(), std::chrono::microseconds(112500));
  EXPECT_EQ(rtt.min(), milliseconds(100));
  EXPECT_EQ(rtt.latest(), milliseconds(200));
}

TEST(RttEstimator, MinRttTracksLowestUnadjustedSample) {
  RttEstimator rtt;
  rtt.update(milliseconds(50), Duration::zero(), true, milliseconds(25));
  rtt.update(milliseconds(40), milliseconds(10), true, milliseconds(25));
  EXPECT_EQ(rtt.min(), milliseconds(40));  // ack delay is not subtracted from min_rtt
  rtt.update(milliseconds(70), Duration::zero(), true, milliseconds(25));
  EXPECT_EQ(rtt.min(), milliseconds(40));
}

struct AckDelayCase {
  const char* name;
  Duration ack_delay;
  bool confirmed;
  Duration expected_adjusted;  // what the second sample contributes
};

class RttAckDelay : public ::testing::TestWithParam<AckDelayCase> {};

TEST_P(RttAckDelay, AdjustsSecondSample) {
  const auto& c = GetParam();
  RttEstimator rtt;
  rtt.update(milliseconds(100), Duration::zero(), true, milliseconds(25));  // min = 100
  rtt.update(milliseconds(180), c.ack_delay, c.confirmed, milliseconds(25));
  Duration expected = (7 * milliseconds(100) + c.expected_adjusted) / 8;
  EXPECT_EQ(rtt.smoothed(), expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RttAckDelay,
    ::testing::Values(
        AckDelayCase{"subtracted", milliseconds(20), true, milliseconds(160)},
        AckDelayCase{"capped_at_max_ack_delay_after_confirmation", milliseconds(60), true, milliseconds(155)},
        AckDelayCase{"not_capped_before_confirmation", milliseconds(60), false, milliseconds(120)},
        // 180 - 90 < min_rtt (100): the delay is implausible and not subtracted.
        AckDelayCase{"not_below_min_rtt", milliseconds(90), false, milliseconds(180)}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(RttEstimator, ResetForgetsSamples) {
  RttEstimator rtt(milliseconds(200));
  rtt.update(milliseconds(10), Duration::zero(), true, milliseconds(25));
  rtt.reset();
  EXPECT_FALSE(rtt.has_sample());
  EXPECT_EQ(rtt.smoothed(), milliseconds(200));
  EXPECT_EQ(rtt.min(), Duration::zero());
}

TEST(RttEstimator, PtoUsesGranularityFloor) {
  RttEstimator rtt;
  for (int i = 0; i < 50; ++i) rtt.update(milliseconds(10), Duration::zero(), true, milliseconds(25));
  EXPECT_LT(rtt.variance(), kGranularity / 4);
  EXPECT_EQ(rtt.pto_period(Duration::zero()), rtt.smoothed() + kGranularity);
}

}  // namespace
}  // namespace braid::recovery

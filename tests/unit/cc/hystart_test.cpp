// HyStart++ (RFC 9406): round tracking by send time, the delay-increase exit into CSS,
// CSS growth and length, and the return to slow start when the RTT increase was spurious.
#include "core/cc/hystart.h"

#include <gtest/gtest.h>

#include "cc_test_sim.h"
#include "core/cc/cubic.h"

namespace braid::cc {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using testing::ack_sample;
using testing::at_ms;

constexpr uint64_t kMds = 1200;

// Drives one round: `n` ACKs of packets sent in the previous round, each followed by a
// send. Rounds are 100 ms apart. Returns the total window growth HyStart++ allowed.
struct RoundDriver {
  HyStart& hs;
  int round = 0;
  uint64_t round_trip(Duration rtt, int n = 10) {
    ++round;
    uint64_t grow = 0;
    for (int i = 0; i < n; ++i) {
      TimePoint now = at_ms(100.0 * round) + microseconds(i);
      TimePoint sent = at_ms(100.0 * (round - 1)) + microseconds(i);
      grow += hs.on_ack(ack_sample(now, sent, kMds, rtt));
      hs.on_packet_sent(now);
    }
    return grow;
  }
  void start() {
    for (int i = 0; i < 10; ++i) hs.on_packet_sent(at_ms(0) + microseconds(i));
  }
};

TEST(HyStart, CountsRoundsBySendTime) {
  HyStart hs;
  RoundDriver d{hs};
  d.start();
  for (int r = 1; r <= 4; ++r) {
    d.round_trip(milliseconds(50));
    EXPECT_EQ(hs.rounds(), static_cast<uint32_t>(r));
  }
  EXPECT_EQ(hs.last_round_min_rtt(), milliseconds(50));
}

struct ExitCase {
  const char* name;
  Duration base;
  Duration increased;
  bool enters_css;
};

class HyStartExit : public ::testing::TestWithParam<ExitCase> {};

TEST_P(HyStartExit, DelayIncreaseThreshold) {
  const auto& c = GetParam();
  HyStart hs;
  RoundDriver d{hs};
  d.start();
  for (int r = 0; r < 3; ++r) EXPECT_EQ(d.round_trip(c.base), 10 * kMds);
  d.round_trip(c.increased);
  EXPECT_EQ(hs.in_css(), c.enters_css);
}

// RttThresh = clamp(base / 8, 4 ms, 16 ms)
INSTANTIATE_TEST_SUITE_P(
    Cases, HyStartExit,
    ::testing::Values(ExitCase{"above_eighth", milliseconds(50), milliseconds(57), true},
                      ExitCase{"below_eighth", milliseconds(50), milliseconds(56), false},
                      ExitCase{"min_thresh_4ms_hit", milliseconds(10), milliseconds(14), true},
                      ExitCase{"min_thresh_4ms_not_hit", milliseconds(10), Duration(milliseconds(14) - microseconds(1)), false},
                      ExitCase{"max_thresh_16ms_hit", milliseconds(400), milliseconds(416), true},
                      ExitCase{"max_thresh_16ms_not_hit", milliseconds(400), milliseconds(415), false},
                      ExitCase{"rtt_decrease", milliseconds(50), milliseconds(40), false}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(HyStart, NeedsEightSamplesInTheRound) {
  HyStart hs;
  RoundDriver d{hs};
  d.start();
  d.round_trip(milliseconds(50));
  d.round_trip(milliseconds(80), 7);
  EXPECT_FALSE(hs.in_css());
  HyStart hs2;
  RoundDriver d2{hs2};
  d2.start();
  d2.round_trip(milliseconds(50));
  d2.round_trip(milliseconds(80), 8);
  EXPECT_TRUE(hs2.in_css());
}

TEST(HyStart, CssGrowsAQuarterAndEndsAfterFiveRounds) {
  HyStart hs;
  RoundDriver d{hs};
  d.start();
  d.round_trip(milliseconds(50));
  d.round_trip(milliseconds(50));
  // Round 3: the first 7 ACKs grow fully, CSS starts at the 8th.
  EXPECT_EQ(d.round_trip(milliseconds(60)), 7 * kMds + 3 * kMds / 4);
  for (uint32_t r = 1; r < kHystartCssRounds; ++r) {
    EXPECT_EQ(d.round_trip(milliseconds(60)), 10 * kMds / 4) << "css round " << r;
    EXPECT_EQ(hs.phase(), HyStart::Phase::kConservative);
  }
  d.round_trip(milliseconds(60));
  EXPECT_EQ(hs.phase(), HyStart::Phase::kDone);
}

TEST(HyStart, ResumesSlowStartWhenRttFallsBelowBaseline) {
  HyStart hs;
  RoundDriver d{hs};
  d.start();
  d.round_trip(milliseconds(50));
  d.round_trip(milliseconds(60));
  ASSERT_TRUE(hs.in_css());
  d.round_trip(milliseconds(55));  // below the 60 ms baseline
  EXPECT_EQ(hs.phase(), HyStart::Phase::kSlowStart);
}

TEST(HyStart, CongestionEndsIt) {
  HyStart hs;
  hs.on_congestion();
  EXPECT_EQ(hs.phase(), HyStart::Phase::kDone);
  EXPECT_EQ(hs.on_ack(ack_sample(at_ms(1), at_ms(0), kMds)), kMds);
}

// Within CUBIC: slow start ends through CSS into avoidance with ssthresh = cwnd, without loss.
TEST(HyStartCubic, RttIncreaseLeadsThroughCssToAvoidance) {
  Cubic c;
  testing::AckClockedSender sim{c};
  sim.rtt = milliseconds(50);
  sim.run_until(at_ms(150));  // three slow-start rounds: 10 -> 80 datagrams
  ASSERT_EQ(c.window(), 80 * kMds);
  EXPECT_EQ(cc_state_name(c.metrics().state), "slow_start");
  sim.rtt = milliseconds(70);  // queue builds
  sim.run_until(at_ms(220));
  EXPECT_EQ(cc_state_name(c.metrics().state), "conservative_slow_start");
  // 7 full-growth ACKs, then 73 at a quarter.
  EXPECT_EQ(c.window(), 80 * kMds + 7 * kMds + 73 * kMds / 4);
  EXPECT_EQ(c.ssthresh(), UINT64_MAX);
  sim.run_until(at_ms(220 + 5 * 70));
  EXPECT_EQ(cc_state_name(c.metrics().state), "congestion_avoidance");
  EXPECT_NE(c.ssthresh(), UINT64_MAX);
  EXPECT_LE(c.ssthresh(), c.window());
  // CSS grows ~1.25x per round for five rounds (~102 -> ~250 datagrams); plain slow start
  // would have reached 80 * 2^5 = 2560.
  EXPECT_GT(c.ssthresh(), 150 * kMds);
  EXPECT_LT(c.ssthresh(), 300 * kMds);
  EXPECT_LT(c.window(), 400 * kMds);
}

TEST(HyStartCubic, ConstantRttStaysInSlowStart) {
  Cubic c;
  testing::AckClockedSender sim{c};
  sim.rtt = milliseconds(50);
  sim.run_until(at_ms(300));
  EXPECT_EQ(c.window(), 640 * kMds);
  EXPECT_EQ(cc_state_name(c.metrics().state), "slow_start");
}

}  // namespace
}  // namespace braid::cc

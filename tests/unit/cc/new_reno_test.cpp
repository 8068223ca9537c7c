// NewReno (RFC 9002 §7, Appendix B): slow start, halving, one reduction per recovery
// period, persistent congestion, avoidance growth of one datagram per RTT, ECN-CE.
#include "core/cc/new_reno.h"

#include <gtest/gtest.h>

#include "cc_test_sim.h"

namespace braid::cc {
namespace {

using testing::ack_sample;
using testing::at_ms;
using testing::loss_sample;

constexpr uint64_t kMds = 1200;

TEST(NewReno, InitialWindowAndState) {
  NewReno r;
  EXPECT_EQ(r.window(), 10 * kMds);
  EXPECT_EQ(r.ssthresh(), UINT64_MAX);
  EXPECT_EQ(cc_state_name(r.metrics().state), "slow_start");
  EXPECT_EQ(r.name(), "reno");
}

TEST(NewReno, SlowStartGrowsByBytesAcked) {
  NewReno r;
  r.on_ack(ack_sample(at_ms(100), at_ms(0), 5 * kMds));
  EXPECT_EQ(r.window(), 15 * kMds);
  r.on_ack(ack_sample(at_ms(101), at_ms(1), 5 * kMds));
  EXPECT_EQ(r.window(), 20 * kMds);  // doubles per RTT
}

TEST(NewReno, AppLimitedDoesNotGrow) {
  NewReno r;
  auto s = ack_sample(at_ms(100), at_ms(0), 5 * kMds);
  s.app_limited = true;
  r.on_ack(s);
  EXPECT_EQ(r.window(), 10 * kMds);
}

TEST(NewReno, LossHalvesWindow) {
  NewReno r;
  r.on_ack(ack_sample(at_ms(100), at_ms(0), 10 * kMds));  // 20 mds
  r.on_congestion_event(loss_sample(at_ms(200), at_ms(150)));
  EXPECT_EQ(r.window(), 10 * kMds);
  EXPECT_EQ(r.ssthresh(), 10 * kMds);
  EXPECT_TRUE(r.in_recovery());
  EXPECT_EQ(cc_state_name(r.metrics().state), "recovery");
}

TEST(NewReno, SingleReductionPerRecoveryPeriod) {
  NewReno r;
  r.on_ack(ack_sample(at_ms(100), at_ms(0), 30 * kMds));  // 40 mds
  r.on_congestion_event(loss_sample(at_ms(200), at_ms(150)));
  ASSERT_EQ(r.window(), 20 * kMds);
  // More losses of packets sent before the recovery started: no further reduction.
  r.on_congestion_event(loss_sample(at_ms(210), at_ms(190)));
  r.on_congestion_event(loss_sample(at_ms(220), at_ms(200)));
  EXPECT_EQ(r.window(), 20 * kMds);
  // ACKs of packets sent before recovery do not grow the window either.
  r.on_ack(ack_sample(at_ms(230), at_ms(199), 5 * kMds));
  EXPECT_EQ(r.window(), 20 * kMds);
  EXPECT_TRUE(r.in_recovery());
  // An ACK of a packet sent after the recovery start ends recovery.
  r.on_ack(ack_sample(at_ms(320), at_ms(201), kMds));
  EXPECT_FALSE(r.in_recovery());
  EXPECT_EQ(cc_state_name(r.metrics().state), "congestion_avoidance");
  // A loss of a packet sent after recovery began starts a new period.
  r.on_congestion_event(loss_sample(at_ms(330), at_ms(205)));
  EXPECT_EQ(r.window(), 10 * kMds);
}

TEST(NewReno, PersistentCongestionCollapsesToMinimumWindow) {
  NewReno r;
  r.on_ack(ack_sample(at_ms(100), at_ms(0), 30 * kMds));
  r.on_congestion_event(loss_sample(at_ms(500), at_ms(400), /*persistent=*/true));
  EXPECT_EQ(r.window(), 2 * kMds);
  EXPECT_EQ(r.ssthresh(), 20 * kMds);
  // Recovery was reset: the next loss reduces again, but never below the minimum.
  r.on_congestion_event(loss_sample(at_ms(510), at_ms(300)));
  EXPECT_EQ(r.window(), 2 * kMds);
  EXPECT_EQ(r.ssthresh(), 2 * kMds);
}

TEST(NewReno, EcnCeIsTreatedLikeLoss) {
  NewReno r;
  r.on_congestion_event(loss_sample(at_ms(100), at_ms(50), false, /*ce=*/true));
  EXPECT_EQ(r.window(), 5 * kMds);
}

TEST(NewReno, WindowNeverBelowMinimum) {
  NewReno r;
  for (int i = 0; i < 20; ++i) r.on_congestion_event(loss_sample(at_ms(100 + 10 * i), at_ms(100 + 10 * i - 1)));
  EXPECT_EQ(r.window(), 2 * kMds);
}

TEST(NewReno, CongestionAvoidanceGrowsOneDatagramPerRtt) {
  NewReno r;
  testing::AckClockedSender sim{r};
  sim.run_until(at_ms(250));  // slow start: 10 -> 20 -> 40 mds
  sim.lose_all();
  ASSERT_EQ(r.window(), 20 * kMds);
  // Each round trip acknowledges one full window, adding exactly one datagram.
  TimePoint t = sim.now;
  for (int rtt = 1; rtt <= 8; ++rtt) {
    sim.run_until(t + rtt * std::chrono::milliseconds(100));
    EXPECT_EQ(r.window(), (20 + static_cast<uint64_t>(rtt)) * kMds) << "after rtt " << rtt;
  }
}

TEST(NewReno, SpuriousCongestionRestoresWindow) {
  NewReno r;
  r.on_ack(ack_sample(at_ms(100), at_ms(0), 10 * kMds));
  r.on_congestion_event(loss_sample(at_ms(200), at_ms(150)));
  r.on_spurious_congestion();
  EXPECT_EQ(r.window(), 20 * kMds);
  EXPECT_EQ(r.ssthresh(), UINT64_MAX);
}

}  // namespace
}  // namespace braid::cc

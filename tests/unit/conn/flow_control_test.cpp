#include "core/conn/flow_control.h"

#include <gtest/gtest.h>

namespace braid::conn {
namespace {

TEST(SendFlowLimit, UpdateOnlyIncreases) {
  SendFlowLimit f(1000);
  EXPECT_EQ(f.limit(), 1000u);
  EXPECT_FALSE(f.update(500));
  EXPECT_FALSE(f.update(1000));
  EXPECT_EQ(f.limit(), 1000u);
  EXPECT_TRUE(f.update(2000));
  EXPECT_EQ(f.limit(), 2000u);
  EXPECT_EQ(f.available(500), 1500u);
  EXPECT_EQ(f.available(2000), 0u);
  EXPECT_EQ(f.available(3000), 0u);
}

TEST(SendFlowLimit, BlockedSignalledOncePerLimit) {
  SendFlowLimit f(1000);
  EXPECT_FALSE(f.should_signal_blocked(999));
  EXPECT_TRUE(f.should_signal_blocked(1000));
  EXPECT_FALSE(f.should_signal_blocked(1000));
  f.update(1500);
  EXPECT_FALSE(f.should_signal_blocked(1200));
  EXPECT_TRUE(f.should_signal_blocked(1500));
  EXPECT_FALSE(f.should_signal_blocked(1500));
  SendFlowLimit zero;
  EXPECT_TRUE(zero.should_signal_blocked(0));
  EXPECT_FALSE(zero.should_signal_blocked(0));
}

TEST(RecvFlowWindow, ReceiveBeyondLimitIsFlowControlError) {
  RecvFlowWindow w(1000, 10000);
  EXPECT_TRUE(w.on_received(0));
  EXPECT_TRUE(w.on_received(1000));
  auto st = w.on_received(1001);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, static_cast<uint64_t>(TransportErrorCode::kFlowControlError));
}

TEST(RecvFlowWindow, UpdatesWhenHalfTheWindowIsUsed) {
  RecvFlowWindow w(1000, 1000);
  const TimePoint t0 = time_from_us(1'000'000);
  EXPECT_FALSE(w.on_consumed(400, t0, 10ms));
  EXPECT_FALSE(w.on_consumed(500, t0, 10ms));  // remaining 500 == half: not yet
  auto limit = w.on_consumed(501, t0, 10ms);
  ASSERT_TRUE(limit);
  EXPECT_EQ(*limit, 1501u);
  EXPECT_EQ(w.limit(), 1501u);
  EXPECT_TRUE(w.on_received(1501));
  EXPECT_FALSE(w.on_received(1502));
  EXPECT_FALSE(w.on_consumed(501, t0, 10ms));
  EXPECT_FALSE(w.on_consumed(300, t0, 10ms));  // consumed never goes backwards
}

TEST(RecvFlowWindow, AutoTuningDoublesWhenUpdatesComeFast) {
  RecvFlowWindow w(1000, 4000);
  const Duration rtt = 10ms;
  TimePoint t = time_from_us(1'000'000);
  uint64_t consumed = 0;
  // First update: no previous one to compare with.
  consumed += 600;
  ASSERT_TRUE(w.on_consumed(consumed, t, rtt));
  EXPECT_EQ(w.window(), 1000u);
  // Next update within 2 RTTs: window doubles before the new limit is computed.
  t += 15ms;
  consumed += 600;
  auto limit = w.on_consumed(consumed, t, rtt);
  ASSERT_TRUE(limit);
  EXPECT_EQ(w.window(), 2000u);
  EXPECT_EQ(*limit, consumed + 2000);
  t += 5ms;
  consumed = w.limit() - 900;
  ASSERT_TRUE(w.on_consumed(consumed, t, rtt));
  EXPECT_EQ(w.window(), 4000u);
  t += 5ms;
  consumed = w.limit() - 1000;
  ASSERT_TRUE(w.on_consumed(consumed, t, rtt));
  EXPECT_EQ(w.window(), 4000u);  // capped at max_window
  EXPECT_EQ(w.limit(), consumed + 4000);
}

TEST(RecvFlowWindow, SlowConsumptionKeepsWindow) {
  RecvFlowWindow w(1000, 100000);
  const Duration rtt = 10ms;
  TimePoint t = time_from_us(1'000'000);
  uint64_t consumed = 0;
  for (int i = 0; i < 10; ++i) {
    consumed = w.limit() - 100;
    t += 25ms;  // more than 2 RTTs between updates
    ASSERT_TRUE(w.on_consumed(consumed, t, rtt));
  }
  EXPECT_EQ(w.window(), 1000u);
  // Without an RTT estimate there is nothing to compare with.
  consumed = w.limit() - 100;
  ASSERT_TRUE(w.on_consumed(consumed, t, Duration::zero()));
  EXPECT_EQ(w.window(), 1000u);
}

}  // namespace
}  // namespace braid::conn

// ECF: with the fast path cwnd-blocked, wait for it when the bytes ready would complete
// sooner that way; a switching margin (hysteresis) keeps the decision from flapping.
#include "sched_test_util.h"

namespace braid::schedtest {
namespace {

// Fast path 0: 10 ms, rttvar 1 ms, full. Slow path 1: 40 ms, rttvar 2 ms, free.
// W = 12 000 bytes each, δ = 2·2 ms = 4 ms, so srtt_s + δ = 44 ms.
std::vector<PathSnapshot> fast_blocked(Duration slow = 40ms) {
  std::vector<PathSnapshot> p = {path(0, 10ms, false), path(1, slow)};
  p[0].rtt_variance = 1ms;
  p[1].rtt_variance = 2ms;
  p[0].bytes_in_flight = p[0].congestion_window;
  return p;
}
SendIntent ready(uint64_t bytes) {
  SendIntent i;
  i.bytes = bytes;
  return i;
}

TEST(Ecf, FastPathThatCanSendIsUsed) {
  auto s = make("ecf");
  ASSERT_TRUE(s);
  auto p = fast_blocked();
  p[0].can_send_now = true;
  EXPECT_EQ(pick(*s, p, ready(1000)), 0u);
}

TEST(Ecf, LittleDataWaitsForTheFastPath) {
  auto s = make("ecf");
  auto p = fast_blocked();
  // (1 + 1)·10 = 20 < 44, and 40 ≥ 2·10 + 4: waiting finishes sooner.
  EXPECT_EQ(pick(*s, p, ready(6000)), std::nullopt);
  EXPECT_EQ(pick(*s, p, ready(0)), std::nullopt);
}

TEST(Ecf, MuchDataUsesTheSlowPathToo) {
  auto s = make("ecf");
  auto p = fast_blocked();
  // k = 10 W: (1 + 10)·10 = 110 ≥ 44: the fast path alone would take longer.
  EXPECT_EQ(pick(*s, p, ready(120000)), 1u);
}

TEST(Ecf, SlowPathThatIsNotMuchSlowerIsUsed) {
  auto s = make("ecf");
  auto p = fast_blocked(20ms);
  // 20 < 20 + 4 holds, but 20 < 2·10 + 4: the slow path is not slow enough to wait for f.
  EXPECT_EQ(pick(*s, p, ready(6000)), 1u);
}

TEST(Ecf, HysteresisKeepsWaitingOnceTheFastPathCarriesTheData) {
  auto s = make("ecf");
  auto p = fast_blocked();
  // k = 4 W: (1 + 4)·10 = 50 against 44 (m = 0) or 44·1.25 = 55 (m = 1).
  SendIntent k = ready(48000);
  EXPECT_EQ(pick(*s, p, k), 1u);   // fresh: m = 0, use the slow path
  EXPECT_EQ(pick(*s, p, k), 1u);   // asking again changes nothing
  s->on_sent(0, kMss, SendKind::kNewData, TimePoint{});
  EXPECT_EQ(pick(*s, p, k), std::nullopt);   // the fast path has been carrying it: m = 1, wait
  EXPECT_EQ(pick(*s, p, k), std::nullopt);
  s->on_sent(0, 50, SendKind::kAckOnly, TimePoint{});   // ACK-only datagrams are not data
  EXPECT_EQ(pick(*s, p, k), std::nullopt);
  s->on_sent(1, kMss, SendKind::kNewData, TimePoint{});
  EXPECT_EQ(pick(*s, p, k), 1u);   // data went on the slow path: m = 0 again
  // Outside the margin the margin does not matter.
  s->on_sent(0, kMss, SendKind::kNewData, TimePoint{});
  EXPECT_EQ(pick(*s, p, ready(120000)), 1u);
  EXPECT_EQ(pick(*s, p, ready(6000)), std::nullopt);
}

TEST(Ecf, BetaSetsTheMargin) {
  auto p = fast_blocked();
  SendIntent k = ready(48000);
  auto narrow = make("ecf:beta=0.1");   // 44·1.1 = 48.4 < 50: even with m = 1, use s
  narrow->on_sent(0, kMss, SendKind::kNewData, TimePoint{});
  EXPECT_EQ(pick(*narrow, p, k), 1u);
  auto none = make("ecf:beta=0");
  none->on_sent(0, kMss, SendKind::kNewData, TimePoint{});
  EXPECT_EQ(pick(*none, p, k), 1u);
}

TEST(Ecf, ParameterErrorsNameTheKey) {
  EXPECT_NE(error_of("ecf:beta=2").find("beta=2 is outside"), std::string::npos) << error_of("ecf:beta=2");
  EXPECT_NE(error_of("ecf:r_beta=4").find("unknown parameter r_beta"), std::string::npos);
}

}  // namespace
}  // namespace braid::schedtest

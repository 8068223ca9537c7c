// BLEST: with the fast path cwnd-blocked, the slow path is used only if the send window
// leaves room for what the fast path would send (×λ) while the slow path holds the datagram.
#include "sched_test_util.h"

namespace braid::schedtest {
namespace {

// Fast path 0: 10 ms, full window of 10 datagrams, past slow start (ssthresh 20 datagrams).
// Slow path 1: 50 ms, empty. The datagram would linger T = 50 ms on path 1, during which
// path 0 sends r = 50/10 + 1 = 6 rounds of Reno growth from max(10, 20 + 1) = 21 datagrams:
// (21 + 2)·6 = 138 datagrams = 165 600 bytes, ×1.2 = 198 720 bytes.
std::vector<PathSnapshot> fast_blocked() {
  std::vector<PathSnapshot> p = {path(0, 10ms, false), path(1, 50ms)};
  p[0].bytes_in_flight = p[0].congestion_window;
  p[0].ssthresh = 20 * kMss;
  return p;
}
SendIntent window(uint64_t bytes) {
  SendIntent i;
  i.bytes = 100000;
  i.send_window = bytes;
  return i;
}

TEST(Blest, FastPathThatCanSendIsUsed) {
  auto s = make("blest");
  ASSERT_TRUE(s);
  auto p = fast_blocked();
  p[0].can_send_now = true;
  EXPECT_EQ(pick(*s, p, window(1)), 0u);
}

TEST(Blest, UsesTheSlowPathWhenTheWindowHasRoomForBoth) {
  auto s = make("blest");
  auto p = fast_blocked();
  // Room left after the slow path's datagram: 200 000 − 1 200 = 198 800 ≥ 198 720.
  EXPECT_EQ(pick(*s, p, window(200000)), 1u);
  EXPECT_EQ(pick(*s, p, SendIntent{}), 1u);   // window unknown: not flow-control limited
}

TEST(Blest, WaitsWhenTheSlowPathWouldBlockTheFastOne) {
  auto s = make("blest");
  auto p = fast_blocked();
  EXPECT_EQ(pick(*s, p, window(199000)), std::nullopt);   // 197 800 < 198 720
  // Bytes already in flight on the slow path occupy the window too.
  p[1].bytes_in_flight = 2 * kMss;
  EXPECT_EQ(pick(*s, p, window(200000)), std::nullopt);
}

TEST(Blest, LambdaScalesTheFastPathEstimate) {
  auto p = fast_blocked();
  EXPECT_EQ(pick(*make("blest:lambda=1.2"), p, window(170000)), std::nullopt);
  EXPECT_EQ(pick(*make("blest:lambda=1"), p, window(170000)), 1u);   // 168 800 ≥ 165 600
}

TEST(Blest, InitialSlowStartDoublesTheFastPathEachRound) {
  auto s = make("blest");
  auto p = fast_blocked();
  p[0].ssthresh = UINT64_MAX;
  // 10·(2^6 − 1) = 630 datagrams ×1.2 = 907 200 bytes.
  EXPECT_EQ(pick(*s, p, window(900000)), std::nullopt);
  EXPECT_EQ(pick(*s, p, window(910000)), 1u);
}

TEST(Blest, SlowPathLingerGrowsWithItsFillLevel) {
  auto s = make("blest");
  auto p = fast_blocked();
  p[1].srtt_min_seen = 50ms;
  p[1].srtt_max_seen = 150ms;
  // Empty: T = 50 + 100·1/10 = 60 ms → 7 rounds → (21 + 3)·7 = 168 datagrams ×1.2 = 241 920.
  EXPECT_EQ(pick(*s, p, window(244000)), 1u);
  // Nine of ten in flight: T = 150 ms → 16 rounds → (21 + 7)·16 = 448 datagrams ×1.2 = 645 120.
  p[1].bytes_in_flight = 9 * kMss;
  EXPECT_EQ(pick(*s, p, window(244000 + 9 * kMss)), std::nullopt);
  EXPECT_EQ(pick(*s, p, window(660000)), 1u);
}

TEST(Blest, SelectIsRepeatable) {
  auto s = make("blest");
  auto p = fast_blocked();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(pick(*s, p, window(199000)), std::nullopt);
}

TEST(Blest, ParameterErrorsNameTheKey) {
  EXPECT_NE(error_of("blest:lambda=9").find("lambda=9 is outside"), std::string::npos) << error_of("blest:lambda=9");
  EXPECT_NE(error_of("blest:min_lambda=1").find("unknown parameter min_lambda"), std::string::npos);
}

}  // namespace
}  // namespace braid::schedtest

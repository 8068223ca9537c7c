// Low-latency: smoothed RTT weighed against the current load (in flight / cwnd).
#include "sched_test_util.h"

namespace braid::schedtest {
namespace {

PathSnapshot loaded(PathId id, Duration srtt, double load) {
  auto p = path(id, srtt);
  p.bytes_in_flight = static_cast<uint64_t>(load * static_cast<double>(p.congestion_window));
  return p;
}

TEST(LowLatency, UnloadedPathsGoByRtt) {
  auto s = make("lowlat");
  ASSERT_TRUE(s);
  std::vector<PathSnapshot> p = {path(0, 20ms), path(1, 10ms), path(2, 15ms)};
  EXPECT_EQ(pick(*s, p), 1u);
}

TEST(LowLatency, LoadCountsAsSrttTimesOnePlusLoad) {
  auto s = make("lowlat");
  // 10 ms × 1.9 = 19 ms against 15 ms × 1.0: the idle slower path wins.
  std::vector<PathSnapshot> p = {loaded(0, 10ms, 0.9), loaded(1, 15ms, 0.0)};
  EXPECT_EQ(pick(*s, p), 1u);
  // 10 ms × 1.4 = 14 ms against 15 ms: the fast path again.
  p[0] = loaded(0, 10ms, 0.4);
  EXPECT_EQ(pick(*s, p), 0u);
  // A path over its window (cwnd just cut) counts as more than full.
  p[0] = loaded(0, 5ms, 2.5);
  EXPECT_EQ(pick(*s, p), 1u);
}

TEST(LowLatency, LoadIsCurrentNotLifetime) {
  auto s = make("lowlat");
  std::vector<PathSnapshot> p = {path(0, 10ms), path(1, 20ms)};
  p[0].packets_sent = 1'000'000;   // history does not make a path look busy
  p[0].ssthresh = 3 * kMss;
  EXPECT_EQ(pick(*s, p), 0u);
}

TEST(LowLatency, RttBiasMovesBetweenMinRttAndLeastLoaded) {
  std::vector<PathSnapshot> p = {loaded(0, 10ms, 0.9), loaded(1, 15ms, 0.0)};
  EXPECT_EQ(pick(*make("lowlat:rtt_bias=1"), p), 0u);    // RTT only: minrtt
  EXPECT_EQ(pick(*make("lowlat:rtt_bias=0.8"), p), 0u);
  EXPECT_EQ(pick(*make("lowlat:rtt_bias=0.5"), p), 1u);
  p[1] = loaded(1, 500ms, 0.5);
  EXPECT_EQ(pick(*make("lowlat:rtt_bias=0"), p), 1u);    // load only
}

TEST(LowLatency, UnsampledIdlePathIsProbedFirst) {
  auto s = make("lowlat");
  std::vector<PathSnapshot> p = {path(0, 10ms), path(1, 20ms), path(2, 0ms)};
  p[2].has_rtt_sample = false;
  EXPECT_EQ(pick(*s, p), 2u);
  // Its first datagram is out: sampled paths go first until the sample arrives.
  p[2].bytes_in_flight = kMss;
  EXPECT_EQ(pick(*s, p), 0u);
  p[0].can_send_now = p[1].can_send_now = false;
  EXPECT_EQ(pick(*s, p), 2u);
}

TEST(LowLatency, ParameterErrorsNameTheKey) {
  EXPECT_NE(error_of("lowlat:rtt_bias=1.5").find("rtt_bias=1.5 is outside"), std::string::npos)
      << error_of("lowlat:rtt_bias=1.5");
  EXPECT_NE(error_of("lowlat:rtt_bias=-0.1").find("rtt_bias"), std::string::npos);
  EXPECT_NE(error_of("lowlat:bias=0.5").find("unknown parameter bias"), std::string::npos);
}

}  // namespace
}  // namespace braid::schedtest

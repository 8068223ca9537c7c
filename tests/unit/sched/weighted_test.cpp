// Weighted: byte shares follow capacity_weight (or cwnd/srtt) through deficits kept in on_sent.
#include <map>

#include "sched_test_util.h"

namespace braid::schedtest {
namespace {

// Bytes each path carried over n datagrams of `bytes(path)` each.
template <typename Size>
std::map<PathId, double> shares(PathScheduler& s, std::span<const PathSnapshot> p, int n, Size bytes) {
  std::map<PathId, double> sent;
  double total = 0;
  for (int i = 0; i < n; ++i) {
    auto id = pick(s, p);
    if (!id) break;
    s.on_sent(*id, bytes(*id), SendKind::kNewData, TimePoint{});
    sent[*id] += static_cast<double>(bytes(*id));
    total += static_cast<double>(bytes(*id));
  }
  for (auto& [id, b] : sent) b /= total;
  return sent;
}
auto mss = [](PathId) { return kMss; };

TEST(Weighted, SharesFollowCapacityWeights) {
  auto s = make("weighted");
  ASSERT_TRUE(s);
  std::vector<PathSnapshot> p = {path(0, 10ms), path(1, 30ms), path(2, 50ms)};
  p[0].capacity_weight = 0.5;
  p[1].capacity_weight = 0.3;
  p[2].capacity_weight = 0.2;
  auto got = shares(*s, p, 10000, mss);
  EXPECT_NEAR(got[0], 0.5, 0.01);
  EXPECT_NEAR(got[1], 0.3, 0.01);
  EXPECT_NEAR(got[2], 0.2, 0.01);
}

TEST(Weighted, SharesAreInBytesNotDatagrams) {
  auto s = make("weighted");
  std::vector<PathSnapshot> p = {path(0, 10ms), path(1, 10ms)};
  p[0].capacity_weight = p[1].capacity_weight = 0.5;
  // Path 1 only ever gets small datagrams, so it is chosen about four times as often.
  int ones = 0;
  for (int i = 0; i < 5000; ++i) {
    PathId id = *pick(*s, p);
    ones += id == 1;
    s->on_sent(id, id == 0 ? 1200 : 300, SendKind::kNewData, TimePoint{});
  }
  EXPECT_NEAR(ones / 5000.0, 0.8, 0.02);
}

TEST(Weighted, WithoutWeightsUsesCwndOverSrtt) {
  auto s = make("weighted");
  std::vector<PathSnapshot> p = {path(0, 10ms), path(1, 10ms), path(2, 40ms)};
  p[0].congestion_window = 30 * kMss;   // 3 units
  p[1].congestion_window = 10 * kMss;   // 1 unit
  p[2].congestion_window = 40 * kMss;   // 40 / 4 = 1 unit
  auto got = shares(*s, p, 10000, mss);
  EXPECT_NEAR(got[0], 0.6, 0.02);
  EXPECT_NEAR(got[1], 0.2, 0.02);
  EXPECT_NEAR(got[2], 0.2, 0.02);
}

TEST(Weighted, PathWithoutAWeightStillGetsTraffic) {
  auto s = make("weighted");
  std::vector<PathSnapshot> p = {path(0, 10ms), path(1, 10ms), path(2, 0ms)};
  p[0].capacity_weight = 0.7;
  p[1].capacity_weight = 0.3;
  p[2].has_rtt_sample = false;   // new: no weight from the bonding tracker yet
  auto got = shares(*s, p, 13000, mss);
  EXPECT_NEAR(got[2], 0.3 / 1.3, 0.02);   // counted as the smallest known weight
  EXPECT_NEAR(got[0], 0.7 / 1.3, 0.02);
}

TEST(Weighted, BlockedPathsShareGoesToTheOthersWithoutWaiting) {
  auto s = make("weighted");
  std::vector<PathSnapshot> p = {path(0, 10ms), path(1, 10ms, false)};
  p[0].capacity_weight = 0.2;
  p[1].capacity_weight = 0.8;
  auto got = shares(*s, p, 100, mss);
  EXPECT_DOUBLE_EQ(got[0], 1.0);
}

TEST(Weighted, NewPathGetsItsShareNotACatchUpBurst) {
  auto s = make("weighted");
  std::vector<PathSnapshot> p = {path(0, 10ms), path(1, 10ms)};
  p[0].capacity_weight = p[1].capacity_weight = 0.5;
  shares(*s, p, 1000, mss);
  p.push_back(path(2, 10ms));
  for (auto& x : p) x.capacity_weight = 1.0 / 3;
  s->on_path_event(2, PathEventKind::kValidated, TimePoint{});
  auto got = shares(*s, p, 30, mss);
  EXPECT_NEAR(got[2], 1.0 / 3, 0.04);
}

TEST(Weighted, ChangedWeightsTakeEffectWithinTheHistory) {
  auto s = make("weighted:history=100000");
  std::vector<PathSnapshot> p = {path(0, 10ms), path(1, 10ms)};
  p[0].capacity_weight = p[1].capacity_weight = 0.5;
  shares(*s, p, 20000, mss);
  p[0].capacity_weight = 0.9;
  p[1].capacity_weight = 0.1;
  shares(*s, p, 400, mss);   // a few histories of 100 kB
  auto got = shares(*s, p, 1000, mss);
  EXPECT_NEAR(got[0], 0.9, 0.02);
}

TEST(Weighted, AckOnlyAndProbesDoNotCount) {
  auto s = make("weighted");
  std::vector<PathSnapshot> p = {path(0, 10ms), path(1, 10ms)};
  p[0].capacity_weight = p[1].capacity_weight = 0.5;
  s->on_sent(0, 100000, SendKind::kAckOnly, TimePoint{});
  s->on_sent(0, 100000, SendKind::kProbe, TimePoint{});
  EXPECT_EQ(pick(*s, p), 0u);
  s->on_sent(0, 1200, SendKind::kRetransmission, TimePoint{});
  EXPECT_EQ(pick(*s, p), 1u);
}

TEST(Weighted, ParameterErrorsNameTheKey) {
  EXPECT_NE(error_of("weighted:history=100").find("history=100 is outside"), std::string::npos)
      << error_of("weighted:history=100");
  EXPECT_NE(error_of("weighted:quantum=1").find("unknown parameter quantum"), std::string::npos);
}

}  // namespace
}  // namespace braid::schedtest

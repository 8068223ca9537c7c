// Round-robin: turns in path-id order with a burst quota, advanced only by on_sent.
#include "sched_test_util.h"

namespace braid::schedtest {
namespace {

std::vector<PathId> run(PathScheduler& s, std::span<const PathSnapshot> p, int n) {
  std::vector<PathId> out;
  for (int i = 0; i < n; ++i) {
    auto id = pick_and_send(s, p);
    if (!id) break;
    out.push_back(*id);
  }
  return out;
}

TEST(RoundRobin, RotatesInPathIdOrderWhateverTheRtt) {
  auto s = make("rr");
  ASSERT_TRUE(s);
  std::vector<PathSnapshot> p = {path(2, 5ms), path(0, 90ms), path(1, 30ms)};
  EXPECT_EQ(run(*s, p, 7), (std::vector<PathId>{0, 1, 2, 0, 1, 2, 0}));
}

TEST(RoundRobin, QuotaGivesEachPathABurst) {
  auto s = make("rr:quota=3");
  ASSERT_TRUE(s);
  std::vector<PathSnapshot> p = {path(0, 10ms), path(1, 10ms)};
  EXPECT_EQ(run(*s, p, 8), (std::vector<PathId>{0, 0, 0, 1, 1, 1, 0, 0}));
}

TEST(RoundRobin, OnlySendingAdvancesTheTurn) {
  auto s = make("rr");
  std::vector<PathSnapshot> p = {path(0, 10ms), path(1, 10ms)};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(pick(*s, p), 0u);
  // ACK-only and probe datagrams do not use up a turn.
  s->on_sent(0, 50, SendKind::kNewData, TimePoint{});
  EXPECT_EQ(pick(*s, p), 1u);
  s->on_sent(1, 50, SendKind::kAckOnly, TimePoint{});
  s->on_sent(1, 50, SendKind::kProbe, TimePoint{});
  EXPECT_EQ(pick(*s, p), 1u);
  s->on_sent(1, 1200, SendKind::kDatagram, TimePoint{});
  EXPECT_EQ(pick(*s, p), 0u);
}

TEST(RoundRobin, BlockedPathIsSkippedNotWaitedFor) {
  auto s = make("rr");
  std::vector<PathSnapshot> p = {path(0, 10ms), path(1, 10ms, false), path(2, 10ms)};
  EXPECT_EQ(run(*s, p, 4), (std::vector<PathId>{0, 2, 0, 2}));
  p[1].can_send_now = true;   // back in the rotation: after 2 comes 0, then 1
  EXPECT_EQ(run(*s, p, 3), (std::vector<PathId>{0, 1, 2}));
  // Alone, a path keeps sending past its quota.
  p[1].abandoned = p[2].abandoned = true;
  EXPECT_EQ(run(*s, p, 3), (std::vector<PathId>{0, 0, 0}));
}

TEST(RoundRobin, BackupPathsRotateOnlyWhenNoAvailablePathIsUsable) {
  auto s = make("rr");
  std::vector<PathSnapshot> p = {path(0, 10ms, false), path(1, 10ms, true, true), path(2, 10ms, true, true)};
  EXPECT_EQ(run(*s, p, 2), std::vector<PathId>{});
  p[0].potentially_failed = true;
  EXPECT_EQ(run(*s, p, 4), (std::vector<PathId>{1, 2, 1, 2}));
}

TEST(RoundRobin, AffinitySendsDoNotBreakTheRotation) {
  auto s = make("rr");
  std::vector<PathSnapshot> p = {path(0, 10ms), path(1, 10ms), path(2, 10ms)};
  SendIntent pinned;
  pinned.affinity = 2;
  EXPECT_EQ(pick_and_send(*s, p, kMss, pinned), 2u);
  // The rotation carries on after the pinned path.
  EXPECT_EQ(run(*s, p, 3), (std::vector<PathId>{0, 1, 2}));
}

TEST(RoundRobin, ParameterErrorsNameTheKey) {
  EXPECT_NE(error_of("rr:quota=0").find("quota=0 is outside"), std::string::npos) << error_of("rr:quota=0");
  EXPECT_NE(error_of("rr:quota=x").find("quota=x"), std::string::npos);
  EXPECT_NE(error_of("rr:burst=2").find("unknown parameter burst"), std::string::npos) << error_of("rr:burst=2");
  EXPECT_EQ(error_of("rr:quota=1000"), "");
}

}  // namespace
}  // namespace braid::schedtest

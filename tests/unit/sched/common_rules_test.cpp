// Rules every built-in scheduler shares, run against each of them: unusable and blocked
// paths are never chosen, backup paths only when no other path is usable, affinity, paths
// without RTT samples, ties, and select() not advancing anything. Plus the registry list.
#include <algorithm>
#include <cctype>

#include "sched_test_util.h"

namespace braid::schedtest {
namespace {

class EveryScheduler : public ::testing::TestWithParam<const char*> {
 protected:
  std::unique_ptr<PathScheduler> s = make(GetParam());
};

INSTANTIATE_TEST_SUITE_P(Builtin, EveryScheduler,
                         ::testing::Values("minrtt", "rr", "rr:quota=3", "lowlat", "weighted", "blest", "ecf",
                                           "redundant", "redundant:paths=1", "backup", "backup:inner=rr",
                                           "backup:inner=lowlat", "backup:inner=redundant"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(c); }, '_');
                           return n;
                         });

TEST_P(EveryScheduler, SkipsUnusablePaths) {
  ASSERT_TRUE(s);
  std::vector<PathSnapshot> p = {path(0, 1ms), path(1, 1ms), path(2, 1ms), path(3, 1ms), path(4, 1ms),
                                 path(5, 1ms), path(6, 50ms)};
  p[0].validated = false;
  p[0].state = PathState::kValidating;
  p[1].abandoned = true;
  p[2].potentially_failed = true;
  p[3].health = PathHealth::kSuspect;
  p[4].health = PathHealth::kFailed;
  p[5].state = PathState::kClosing;
  EXPECT_EQ(choose(*s, p), std::vector<PathId>{6});
}

TEST_P(EveryScheduler, NeverReturnsAPathThatCannotSendAndWaitsRatherThanUseABackup) {
  ASSERT_TRUE(s);
  // Every combination of which of three paths (0, 1 available; 2 backup) can send.
  for (int mask = 0; mask < 8; ++mask) {
    std::vector<PathSnapshot> p = {path(0, 10ms, mask & 1), path(1, 30ms, mask & 2), path(2, 5ms, mask & 4, true)};
    auto got = choose(*s, p);
    for (PathId id : got) {
      EXPECT_TRUE(p[id].can_send_now) << "mask " << mask << " path " << id;
      EXPECT_NE(id, 2u) << "mask " << mask << ": backup used while available paths are usable";
    }
    // The fastest path can send: nobody waits (BLEST and ECF only ever wait for it).
    if (mask & 1) {
      EXPECT_FALSE(got.empty()) << "mask " << mask;
    }
  }
  std::vector<PathSnapshot> p = {path(0, 10ms, false), path(1, 30ms, false), path(2, 5ms, true, true)};
  EXPECT_TRUE(choose(*s, p).empty());
}

TEST_P(EveryScheduler, BackupTakesOverWhenNoAvailablePathIsUsable) {
  ASSERT_TRUE(s);
  std::vector<PathSnapshot> p = {path(0, 10ms), path(1, 30ms, true, true)};
  p[0].potentially_failed = true;
  EXPECT_EQ(choose(*s, p), std::vector<PathId>{1});
  p[0].potentially_failed = false;
  p[0].abandoned = true;
  EXPECT_EQ(choose(*s, p), std::vector<PathId>{1});
  p[1].can_send_now = false;   // the backup is full: wait for it
  EXPECT_TRUE(choose(*s, p).empty());
}

TEST_P(EveryScheduler, AffinityPinsWhileThePinnedPathIsUsable) {
  ASSERT_TRUE(s);
  std::vector<PathSnapshot> p = {path(0, 10ms), path(1, 80ms), path(2, 5ms, true, true)};
  SendIntent pinned;
  pinned.affinity = 1;
  EXPECT_EQ(choose(*s, p, pinned), std::vector<PathId>{1});
  pinned.affinity = 2;   // a pin beats backup semantics
  EXPECT_EQ(choose(*s, p, pinned), std::vector<PathId>{2});
  p[2].can_send_now = false;   // pinned and full: wait for it
  EXPECT_TRUE(choose(*s, p, pinned).empty());
  p[2].potentially_failed = true;   // pinned path gone: normal choice
  EXPECT_FALSE(choose(*s, p, pinned).empty());
  pinned.affinity = 9;   // not a path at all
  EXPECT_FALSE(choose(*s, p, pinned).empty());

  SendIntent datagram;
  datagram.kind = SendKind::kDatagram;
  datagram.datagram_affinity = 1;
  EXPECT_EQ(choose(*s, p, datagram), std::vector<PathId>{1});
}

TEST_P(EveryScheduler, PathsWithoutRttSamplesGetTraffic) {
  ASSERT_TRUE(s);
  std::vector<PathSnapshot> p = {path(0, 0ms), path(1, 0ms)};
  for (auto& x : p) x.has_rtt_sample = false;
  EXPECT_FALSE(choose(*s, p).empty());
  // A sampled path that is full does not hold up an unsampled one that can send.
  p[0].has_rtt_sample = true;
  p[0].smoothed_rtt = 10ms;
  p[0].can_send_now = false;
  EXPECT_EQ(pick(*s, p), 1u);
}

TEST_P(EveryScheduler, TiesGoToTheLowestPathId) {
  ASSERT_TRUE(s);
  std::vector<PathSnapshot> p = {path(5, 20ms), path(3, 20ms), path(4, 20ms)};
  EXPECT_EQ(pick(*s, p), 3u);
}

TEST_P(EveryScheduler, SelectAloneChangesNothing) {
  ASSERT_TRUE(s);
  std::vector<PathSnapshot> p = {path(0, 10ms, false), path(1, 20ms), path(2, 30ms)};
  p[0].bytes_in_flight = p[0].congestion_window;
  for (int round = 0; round < 3; ++round) {
    auto first = choose(*s, p);
    EXPECT_EQ(choose(*s, p), first) << "round " << round;
    EXPECT_EQ(choose(*s, p), first) << "round " << round;
    if (!first.empty()) s->on_sent(first[0], kMss, SendKind::kNewData, TimePoint{});
  }
}

TEST_P(EveryScheduler, SameInputsSameAnswers) {
  auto other = make(GetParam());
  ASSERT_TRUE(s && other);
  std::vector<PathSnapshot> p = {path(0, 10ms), path(1, 20ms), path(2, 30ms)};
  for (int i = 0; i < 50; ++i) {
    p[i % 3].can_send_now = i % 4 != 0;
    EXPECT_EQ(pick_and_send(*s, p), pick_and_send(*other, p)) << i;
  }
}

TEST(SchedulerRegistry, ListsEveryBuiltinScheduler) {
  auto names = path_scheduler_names();
  for (const char* n : {"minrtt", "rr", "lowlat", "weighted", "blest", "ecf", "redundant", "backup"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  }
  for (const char* n : {"minrtt", "rr", "lowlat", "weighted", "blest", "ecf", "redundant"}) {
    auto s = make(n);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->name(), n);
    // Unknown keys are refused by name.
    auto err = error_of(std::string(n) + ":no_such_key=1");
    EXPECT_NE(err.find("unknown parameter no_such_key"), std::string::npos) << n << ": " << err;
  }
}

}  // namespace
}  // namespace braid::schedtest

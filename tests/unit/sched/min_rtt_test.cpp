// min-RTT scheduler: lowest RTT among paths that can send, waiting rather than spilling to
// backup paths, affinity, and the registry.
#include <gtest/gtest.h>

#include "braid/path_scheduler.h"

namespace braid {
namespace {

using namespace std::chrono_literals;

PathSnapshot path(PathId id, Duration srtt, bool can_send, bool backup = false) {
  PathSnapshot s;
  s.path_id = id;
  s.state = backup ? PathState::kStandby : PathState::kActive;
  s.validated = true;
  s.has_rtt_sample = true;
  s.smoothed_rtt = srtt;
  s.can_send_now = can_send;
  s.backup = backup;
  return s;
}

TEST(MinRtt, PicksLowestRttThatCanSend) {
  auto s = make_path_scheduler("minrtt");
  ASSERT_TRUE(s);
  std::vector<PathSnapshot> p = {path(0, 30ms, true), path(1, 10ms, true), path(2, 20ms, true)};
  EXPECT_EQ(s->select(p, {}, TimePoint{}), 1u);
  p[1].can_send_now = false;
  EXPECT_EQ(s->select(p, {}, TimePoint{}), 2u);
}

TEST(MinRtt, BackupOnlyWhenNoActivePathIsUsable) {
  auto s = make_path_scheduler("minrtt");
  std::vector<PathSnapshot> p = {path(0, 30ms, false), path(1, 5ms, true, true)};
  // The available path is merely full: wait instead of using the backup.
  EXPECT_EQ(s->select(p, {}, TimePoint{}), std::nullopt);
  p[0].potentially_failed = true;
  EXPECT_EQ(s->select(p, {}, TimePoint{}), 1u);
}

TEST(MinRtt, SkipsUnvalidatedAndAbandoned) {
  auto s = make_path_scheduler("minrtt");
  std::vector<PathSnapshot> p = {path(0, 30ms, true), path(1, 5ms, true), path(2, 1ms, true)};
  p[1].validated = false;
  p[1].state = PathState::kValidating;
  p[2].abandoned = true;
  EXPECT_EQ(s->select(p, {}, TimePoint{}), 0u);
}

TEST(MinRtt, AffinityWins) {
  auto s = make_path_scheduler("minrtt");
  std::vector<PathSnapshot> p = {path(0, 30ms, true), path(1, 5ms, true)};
  SendIntent pinned;
  pinned.affinity = 0;
  EXPECT_EQ(s->select(p, pinned, TimePoint{}), 0u);
  p[0].can_send_now = false;
  EXPECT_EQ(s->select(p, pinned, TimePoint{}), std::nullopt);
}

TEST(SchedulerRegistry, UnknownNameAndCustomPolicy) {
  EXPECT_EQ(make_path_scheduler("no-such"), nullptr);
  struct Last final : PathScheduler {
    std::optional<PathId> select(std::span<const PathSnapshot> p, const SendIntent&, TimePoint) override {
      return p.empty() ? std::nullopt : std::optional(p.back().path_id);
    }
    std::string_view name() const override { return "last"; }
  };
  register_path_scheduler("last", [] { return std::make_unique<Last>(); });
  auto s = make_path_scheduler("last");
  ASSERT_TRUE(s);
  std::vector<PathSnapshot> p = {path(0, 1ms, true), path(7, 9ms, true)};
  EXPECT_EQ(s->select(p, {}, TimePoint{}), 7u);
  auto names = path_scheduler_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "minrtt"), names.end());
}

}  // namespace
}  // namespace braid

// The backup wrapper: any scheduler, with backup paths hidden while an available path is
// usable and only backup paths shown when none is.
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

// An inner scheduler that records what it was shown and takes the first path that can
// send, backup or not: the wrapper alone must keep it off backup paths.
struct Spy final : PathScheduler {
  static inline std::vector<PathSnapshot> seen;
  static inline std::vector<PathId> sent;
  PathChoice select(std::span<const PathSnapshot> p, const SendIntent&, TimePoint) override {
    seen.assign(p.begin(), p.end());
    for (auto& x : p) {
      if (x.can_send_now) return PathChoice::one(x.path_id);
    }
    return {};
  }
  void on_sent(PathId id, uint64_t, SendKind, TimePoint) override { sent.push_back(id); }
  std::string_view name() const override { return "spy"; }
};

TEST(BackupWrapper, DefaultsToMinRtt) {
  auto s = make("backup");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name(), "backup:inner=minrtt");
  std::vector<PathSnapshot> p = {path(0, 30ms), path(1, 10ms), path(2, 1ms, true, true)};
  EXPECT_EQ(pick(*s, p), 1u);
}

TEST(BackupWrapper, HidesBackupPathsWhileAnAvailablePathIsUsable) {
  register_path_scheduler("test-spy", [] { return std::make_unique<Spy>(); });
  auto s = make("backup:inner=test-spy");
  ASSERT_TRUE(s);
  std::vector<PathSnapshot> p = {path(0, 30ms, false), path(1, 1ms, true, true), path(2, 5ms, true, true)};
  // Path 0 is only cwnd-blocked: still usable, so the inner scheduler sees it alone and waits.
  EXPECT_EQ(pick(*s, p), std::nullopt);
  ASSERT_EQ(Spy::seen.size(), 1u);
  EXPECT_EQ(Spy::seen[0].path_id, 0u);
  // Path 0 failed: only the backup paths are shown, as ordinary paths.
  p[0].potentially_failed = true;
  EXPECT_EQ(pick(*s, p), 1u);
  ASSERT_EQ(Spy::seen.size(), 2u);
  EXPECT_FALSE(Spy::seen[0].backup);
  EXPECT_EQ(Spy::seen[0].local_status, PathStatus::kBackup);
  // Feedback reaches the inner scheduler.
  s->on_sent(1, kMss, SendKind::kNewData, TimePoint{});
  EXPECT_EQ(Spy::sent, std::vector<PathId>{1});
}

TEST(BackupWrapper, AroundRoundRobin) {
  auto s = make("backup:inner=rr");
  ASSERT_TRUE(s);
  std::vector<PathSnapshot> p = {path(0, 10ms), path(1, 10ms), path(2, 10ms, true, true), path(3, 10ms, true, true)};
  EXPECT_EQ(run(*s, p, 4), (std::vector<PathId>{0, 1, 0, 1}));
  p[0].can_send_now = p[1].can_send_now = false;
  EXPECT_EQ(run(*s, p, 1), std::vector<PathId>{});
  p[0].health = p[1].health = PathHealth::kFailed;
  EXPECT_EQ(run(*s, p, 4), (std::vector<PathId>{2, 3, 2, 3}));
  // Recovered: straight back to the available paths.
  p[0].health = p[1].health = PathHealth::kHealthy;
  p[0].can_send_now = p[1].can_send_now = true;
  EXPECT_EQ(run(*s, p, 2), (std::vector<PathId>{0, 1}));
}

TEST(BackupWrapper, PassesOtherParametersToTheInnerScheduler) {
  auto s = make("backup:inner=rr,quota=2");
  ASSERT_TRUE(s);
  std::vector<PathSnapshot> p = {path(0, 10ms), path(1, 10ms), path(2, 10ms, true, true)};
  EXPECT_EQ(run(*s, p, 5), (std::vector<PathId>{0, 0, 1, 1, 0}));
}

TEST(BackupWrapper, AroundLowLatency) {
  auto s = make("backup:inner=lowlat");
  ASSERT_TRUE(s);
  std::vector<PathSnapshot> p = {path(0, 10ms), path(1, 15ms), path(2, 1ms, true, true)};
  p[0].bytes_in_flight = 9 * kMss;   // 10 × 1.9 > 15
  EXPECT_EQ(pick(*s, p), 1u);
  p[1].potentially_failed = true;
  EXPECT_EQ(pick(*s, p), 0u);
  p[0].abandoned = true;
  EXPECT_EQ(pick(*s, p), 2u);
}

TEST(BackupWrapper, AffinityFirst) {
  auto s = make("backup:inner=rr");
  std::vector<PathSnapshot> p = {path(0, 10ms), path(1, 10ms, true, true)};
  SendIntent pinned;
  pinned.affinity = 1;
  EXPECT_EQ(pick(*s, p, pinned), 1u);
}

TEST(BackupWrapper, ParameterErrors) {
  auto self = error_of("backup:inner=backup");
  EXPECT_NE(self.find("inner=backup"), std::string::npos) << self;
  auto unknown = error_of("backup:inner=fastest");
  EXPECT_NE(unknown.find("inner=fastest"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("unknown path scheduler 'fastest'"), std::string::npos) << unknown;
  auto inner_key = error_of("backup:inner=rr,bogus=1");
  EXPECT_NE(inner_key.find("unknown parameter bogus"), std::string::npos) << inner_key;
  auto inner_range = error_of("backup:inner=rr,quota=0");
  EXPECT_NE(inner_range.find("quota=0 is outside"), std::string::npos) << inner_range;
  auto default_inner = error_of("backup:quota=2");   // minrtt takes no parameters
  EXPECT_NE(default_inner.find("unknown parameter quota"), std::string::npos) << default_inner;
}

}  // namespace
}  // namespace braid::schedtest

// PathSet: path lookup and the primary path, retirement, early PATH_STATUS (newest wins),
// stream and datagram pinning dropped with their path, and the usable/backup predicates.
#include "core/conn/path_set.h"

#include <gtest/gtest.h>

#include "braid/congestion_controller.h"

namespace braid::conn {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<path::Path> make(PathId id, PathState state = PathState::kActive) {
  auto p = std::make_unique<path::Path>(id, PathTuple{}, 100ms, 25ms, make_congestion_controller("reno", CcContext{}),
                                        1200);
  p->state = state;
  p->has_remote_cid = true;
  return p;
}

TEST(PathSet, PrimaryIsTheLowestLivePath) {
  PathSet s;
  s.add(make(2));
  s.add(make(0));
  EXPECT_EQ(s.primary().id, 0u);
  EXPECT_EQ(s.size(), 2u);
  s.remove(0, true);
  EXPECT_EQ(s.primary().id, 2u);
  EXPECT_TRUE(s.is_retired(0));
  EXPECT_FALSE(s.is_retired(2));
  EXPECT_EQ(s.get(0), nullptr);
  ASSERT_NE(s.get(2), nullptr);
}

TEST(PathSet, UsableCountsActiveAndStandbyThatCanSend) {
  PathSet s;
  s.add(make(0));
  s.add(make(1, PathState::kStandby));
  s.add(make(2, PathState::kValidating));
  auto& closing = s.add(make(3));
  closing.abandon_sent = true;
  EXPECT_EQ(s.usable_count(), 2u);
  EXPECT_TRUE(s.get(1)->usable());
  EXPECT_FALSE(s.get(2)->usable());
  EXPECT_FALSE(s.get(3)->sendable());
}

TEST(PathSet, BackupIsEitherSidesStatus) {
  auto p = make(0);
  EXPECT_FALSE(p->is_backup());
  p->peer_status = PathStatus::kBackup;
  EXPECT_TRUE(p->is_backup());
  p->peer_status = PathStatus::kAvailable;
  p->local_status = PathStatus::kBackup;
  EXPECT_TRUE(p->is_backup());
}

TEST(PathSet, EarlyStatusKeepsTheNewestAndIsTakenOnce) {
  PathSet s;
  s.remember_early_status(4, 2, false);
  s.remember_early_status(4, 1, true);   // older: ignored
  auto e = s.take_early_status(4);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->first, 2u);
  EXPECT_FALSE(e->second);
  EXPECT_FALSE(s.take_early_status(4));
  EXPECT_EQ(s.early_status_count(), 0u);
}

TEST(PathSet, PinsGoWithTheirPathOrStream) {
  PathSet s;
  s.add(make(0));
  s.add(make(1));
  s.pin_stream(4, 1);
  s.pin_stream(8, 0);
  s.datagram_path = 1;
  EXPECT_EQ(s.stream_path(4), 1u);
  s.pin_stream(8, std::nullopt);
  EXPECT_FALSE(s.stream_path(8));
  s.remove(1, true);
  EXPECT_FALSE(s.stream_path(4));
  EXPECT_FALSE(s.datagram_path);
  s.pin_stream(12, 0);
  s.forget_stream(12);
  EXPECT_EQ(s.pinned_streams(), 0u);
}

}  // namespace
}  // namespace braid::conn

// Redundant: the datagram on every usable path that can send (or the best N), fastest first.
#include "sched_test_util.h"

namespace braid::schedtest {
namespace {

TEST(Redundant, EveryPathThatCanSendLowestRttFirst) {
  auto s = make("redundant");
  ASSERT_TRUE(s);
  std::vector<PathSnapshot> p = {path(0, 30ms), path(1, 10ms), path(2, 20ms), path(3, 5ms, false)};
  EXPECT_EQ(choose(*s, p), (std::vector<PathId>{1, 2, 0}));
}

TEST(Redundant, BestNByRtt) {
  std::vector<PathSnapshot> p = {path(0, 30ms), path(1, 10ms), path(2, 20ms)};
  EXPECT_EQ(choose(*make("redundant:paths=2"), p), (std::vector<PathId>{1, 2}));
  EXPECT_EQ(choose(*make("redundant:paths=1"), p), (std::vector<PathId>{1}));
  EXPECT_EQ(choose(*make("redundant:paths=8"), p), (std::vector<PathId>{1, 2, 0}));
}

TEST(Redundant, UnsampledPathsCopyLast) {
  auto s = make("redundant");
  std::vector<PathSnapshot> p = {path(0, 0ms), path(1, 30ms), path(2, 0ms)};
  p[0].has_rtt_sample = p[2].has_rtt_sample = false;
  EXPECT_EQ(choose(*s, p), (std::vector<PathId>{1, 0, 2}));
}

TEST(Redundant, BackupPathsOnlyWhenNoAvailablePathIsUsable) {
  auto s = make("redundant");
  std::vector<PathSnapshot> p = {path(0, 30ms), path(1, 10ms, true, true), path(2, 20ms, true, true)};
  EXPECT_EQ(choose(*s, p), std::vector<PathId>{0});
  p[0].can_send_now = false;
  EXPECT_TRUE(choose(*s, p).empty());
  p[0].potentially_failed = true;
  EXPECT_EQ(choose(*s, p), (std::vector<PathId>{1, 2}));
}

TEST(Redundant, OnlyDataIsDuplicated) {
  auto s = make("redundant");
  std::vector<PathSnapshot> p = {path(0, 30ms), path(1, 10ms)};
  for (auto kind : {SendKind::kNewData, SendKind::kDatagram, SendKind::kRetransmission}) {
    SendIntent i;
    i.kind = kind;
    EXPECT_EQ(choose(*s, p, i).size(), 2u) << send_kind_name(kind);
  }
  for (auto kind : {SendKind::kAckOnly, SendKind::kProbe}) {
    SendIntent i;
    i.kind = kind;
    EXPECT_EQ(choose(*s, p, i), std::vector<PathId>{1}) << send_kind_name(kind);
  }
}

TEST(Redundant, ParameterErrorsNameTheKey) {
  EXPECT_NE(error_of("redundant:paths=9").find("paths=9 is outside"), std::string::npos)
      << error_of("redundant:paths=9");
  EXPECT_NE(error_of("redundant:copies=2").find("unknown parameter copies"), std::string::npos);
}

}  // namespace
}  // namespace braid::schedtest

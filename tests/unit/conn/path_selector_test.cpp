// PathSelector: the documented order (validation/probe, due ACKs, PATH_ABANDON carrier,
// scheduler, flush), the scheduler asked at most once, and duty-chosen paths carrying
// data only where the scheduler would have put it.
#include "core/conn/path_selector.h"

#include <gtest/gtest.h>

#include <vector>

namespace braid::conn {
namespace {

PathDuties path(PathId id) {
  PathDuties d;
  d.id = id;
  d.sendable = true;
  d.usable = true;
  return d;
}

struct Asked {
  PathChoice answer;
  int calls = 0;
  std::function<PathChoice()> fn() {
    return [this] {
      calls++;
      return answer;
    };
  }
};

TEST(PathSelector, ValidationAndProbesComeFirst) {
  std::vector<PathDuties> p = {path(0), path(1), path(2)};
  p[2].owes_validation = true;
  p[1].carries_due_acks = true;
  Asked a{PathChoice::one(0)};
  auto s = PathSelector::select(p, false, false, a.fn());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->path, 2u);
  EXPECT_EQ(s->reason, PlanReason::kValidation);
  EXPECT_FALSE(s->data_allowed);   // the scheduler wants data on path 0
  EXPECT_EQ(a.calls, 1);
  p[1].owes_probe = true;          // a probe on a lower path ID comes first, data allowed
  Asked b{PathChoice::one(0)};
  s = PathSelector::select(p, false, false, b.fn());
  EXPECT_EQ(s->path, 1u);
  EXPECT_EQ(s->reason, PlanReason::kProbe);
  EXPECT_TRUE(s->data_allowed);
  EXPECT_EQ(b.calls, 0);
}

TEST(PathSelector, DueAcksThenAbandonCarrierThenScheduler) {
  std::vector<PathDuties> p = {path(0), path(1)};
  p[1].carries_due_acks = true;
  Asked a{PathChoice::one(1)};
  auto s = PathSelector::select(p, true, false, a.fn());
  EXPECT_EQ(s->path, 1u);
  EXPECT_EQ(s->reason, PlanReason::kAck);
  EXPECT_TRUE(s->data_allowed);   // the scheduler picked this path for data too
  p[1].carries_due_acks = false;
  p[0].usable = false;            // the abandon carrier must be usable
  s = PathSelector::select(p, true, false, a.fn());
  EXPECT_EQ(s->path, 1u);
  EXPECT_EQ(s->reason, PlanReason::kAbandonCarrier);
  s = PathSelector::select(p, false, false, a.fn());
  EXPECT_EQ(s->path, 1u);
  EXPECT_EQ(s->reason, PlanReason::kData);
  EXPECT_EQ(s->data_paths, PathChoice::one(1));
}

TEST(PathSelector, RedundantChoiceIsKeptForCopies) {
  std::vector<PathDuties> p = {path(0), path(1)};
  PathChoice both;
  both.add(1);
  both.add(0);
  Asked a{both};
  auto s = PathSelector::select(p, false, false, a.fn());
  EXPECT_EQ(s->path, 1u);
  EXPECT_EQ(s->data_paths.size(), 2u);
}

TEST(PathSelector, SchedulerWaitsThenOnlyFlushes) {
  std::vector<PathDuties> p = {path(0), path(1)};
  Asked a{PathChoice{}};
  EXPECT_FALSE(PathSelector::select(p, false, false, a.fn()));
  p[1].owes_anything = true;
  auto s = PathSelector::select(p, false, false, a.fn());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->path, 1u);
  EXPECT_EQ(s->reason, PlanReason::kFlush);
  EXPECT_FALSE(s->data_allowed);
  // A scheduler answer naming a path that cannot send is not followed.
  Asked b{PathChoice::one(0)};
  p[0].sendable = false;
  s = PathSelector::select(p, false, false, b.fn());
  EXPECT_EQ(s->path, 1u);
  EXPECT_EQ(s->reason, PlanReason::kFlush);
}

TEST(PathSelector, SinglePathNeverAsks) {
  std::vector<PathDuties> p = {path(0)};
  Asked a{PathChoice{}};
  auto s = PathSelector::select(p, false, true, a.fn());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->path, 0u);
  EXPECT_TRUE(s->data_allowed);
  p[0].owes_validation = true;
  s = PathSelector::select(p, false, true, a.fn());
  EXPECT_EQ(s->reason, PlanReason::kValidation);
  EXPECT_TRUE(s->data_allowed);
  EXPECT_EQ(a.calls, 0);
}

}  // namespace
}  // namespace braid::conn

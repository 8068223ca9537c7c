#include "transfer/range_set.h"

#include <gtest/gtest.h>

namespace braid::transfer {
namespace {

TEST(RangeSet, MergesAdjacentAndOverlapping) {
  RangeSet s;
  s.add({0, 10});
  s.add({10, 5});
  s.add({30, 10});
  s.add({12, 20});
  ASSERT_EQ(s.count(), 1u);
  EXPECT_EQ(s.bytes(), 40u);
  EXPECT_TRUE(s.contains({0, 40}));
  EXPECT_FALSE(s.contains({0, 41}));
}

TEST(RangeSet, RemoveSplits) {
  RangeSet s;
  s.add({0, 100});
  s.remove({40, 20});
  EXPECT_EQ(s.bytes(), 80u);
  EXPECT_EQ(s.count(), 2u);
  EXPECT_FALSE(s.overlaps({40, 20}));
  EXPECT_TRUE(s.overlaps({59, 2}));
  EXPECT_EQ(s.first_gap(0), 40u);
  EXPECT_EQ(s.first_gap(45), 45u);
  EXPECT_EQ(s.next_start(45), 60u);
  s.remove({0, 1000});
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.bytes(), 0u);
}

}  // namespace
}  // namespace braid::transfer

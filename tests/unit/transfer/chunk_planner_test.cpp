#include "transfer/chunk_planner.h"

#include <gtest/gtest.h>

namespace braid::transfer {
namespace {

TEST(ChunkPlanner, CutsTheTransferInOrder) {
  ChunkPlanner p(250);
  EXPECT_EQ(p.next(100), (Range{0, 100}));
  EXPECT_EQ(p.next(100), (Range{100, 100}));
  EXPECT_EQ(p.next(100), (Range{200, 50}));
  EXPECT_FALSE(p.next(100));
  p.confirm({0, 100});
  p.confirm({200, 50});
  EXPECT_FALSE(p.complete());
  p.confirm({100, 100});
  EXPECT_TRUE(p.complete());
  EXPECT_EQ(p.confirmed_bytes(), 250u);
}

TEST(ChunkPlanner, AbandonedChunksArePlannedAgainFirst) {
  ChunkPlanner p(1000);
  auto a = p.next(100), b = p.next(100), c = p.next(100);
  p.confirm(*a);
  p.abandon(*b);
  // The lost chunk comes back before anything new, and a new size applies to it.
  EXPECT_EQ(p.next(60), (Range{100, 60}));
  EXPECT_EQ(p.next(60), (Range{160, 40}));   // stops at the chunk still in flight
  EXPECT_EQ(p.next(60), (Range{300, 60}));
  p.confirm(*c);
  EXPECT_EQ(p.in_flight_bytes(), 160u);
}

TEST(ChunkPlanner, ResumeSkipsConfirmedRangesOfAnyChunkSize) {
  RangeSet held;
  held.add({0, 300});
  held.add({500, 128});
  ChunkPlanner p(1000);
  p.set_confirmed(held);
  EXPECT_EQ(p.next(256), (Range{300, 200}));
  EXPECT_EQ(p.next(256), (Range{628, 256}));
  EXPECT_EQ(p.next(256), (Range{884, 116}));
  EXPECT_FALSE(p.next(256));
  // Every byte is sent once: 1000 - 428 resumed.
  EXPECT_EQ(p.in_flight_bytes(), 572u);
}

TEST(ChunkPlanner, ByteStreamLearnsItsEnd) {
  ChunkPlanner p(std::nullopt);
  auto a = p.next(100);
  auto b = p.next(100);
  ASSERT_TRUE(a && b);
  p.shrink(*b, 30);
  p.set_total(130);
  EXPECT_FALSE(p.next(100));
  p.confirm(*a);
  p.confirm({100, 30});
  EXPECT_TRUE(p.complete());
}

TEST(ChunkPlanner, EmptyTransferIsCompleteAtOnce) {
  ChunkPlanner p(0);
  EXPECT_TRUE(p.complete());
  EXPECT_FALSE(p.next(100));
}

}  // namespace
}  // namespace braid::transfer

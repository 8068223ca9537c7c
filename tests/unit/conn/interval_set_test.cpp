#include "core/conn/interval_set.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

namespace braid::conn {
namespace {

std::vector<Interval> ranges(const IntervalSet& s) {
  std::vector<Interval> out;
  for (const auto& [a, b] : s) out.push_back({a, b});
  return out;
}

struct InsertCase {
  std::string name;
  std::vector<Interval> existing;
  Interval added;
  std::vector<Interval> expected;
  uint64_t newly_covered;
};

TEST(IntervalSet, InsertTable) {
  const std::vector<InsertCase> cases = {
      {"into empty", {}, {5, 10}, {{5, 10}}, 5},
      {"empty range is a no-op", {{5, 10}}, {7, 7}, {{5, 10}}, 0},
      {"disjoint before", {{10, 20}}, {0, 5}, {{0, 5}, {10, 20}}, 5},
      {"disjoint after", {{10, 20}}, {25, 30}, {{10, 20}, {25, 30}}, 5},
      {"adjacent left merges", {{10, 20}}, {5, 10}, {{5, 20}}, 5},
      {"adjacent right merges", {{10, 20}}, {20, 25}, {{10, 25}}, 5},
      {"fully inside", {{10, 20}}, {12, 18}, {{10, 20}}, 0},
      {"overlap left", {{10, 20}}, {5, 15}, {{5, 20}}, 5},
      {"overlap right", {{10, 20}}, {15, 30}, {{10, 30}}, 10},
      {"covers", {{10, 20}}, {0, 30}, {{0, 30}}, 20},
      {"bridges several", {{0, 5}, {10, 15}, {20, 25}, {40, 50}}, {3, 22}, {{0, 25}, {40, 50}}, 10},
      {"bridges exactly", {{0, 5}, {10, 15}}, {5, 10}, {{0, 15}}, 5},
      {"starts inside extends over next", {{0, 5}, {8, 9}, {12, 20}}, {2, 14}, {{0, 20}}, 6},
  };
  for (const auto& c : cases) {
    IntervalSet s;
    for (const auto& r : c.existing) s.insert(r.start, r.end);
    EXPECT_EQ(s.insert(c.added.start, c.added.end), c.newly_covered) << c.name;
    EXPECT_EQ(ranges(s), c.expected) << c.name;
  }
}

struct RemoveCase {
  std::string name;
  std::vector<Interval> existing;
  Interval removed_range;
  std::vector<Interval> expected;
  uint64_t removed;
};

TEST(IntervalSet, RemoveTable) {
  const std::vector<RemoveCase> cases = {
      {"from empty", {}, {0, 10}, {}, 0},
      {"whole range", {{10, 20}}, {10, 20}, {}, 10},
      {"front", {{10, 20}}, {5, 15}, {{15, 20}}, 5},
      {"front exact start", {{10, 20}}, {10, 12}, {{12, 20}}, 2},
      {"back", {{10, 20}}, {15, 25}, {{10, 15}}, 5},
      {"middle splits", {{10, 20}}, {12, 18}, {{10, 12}, {18, 20}}, 6},
      {"disjoint", {{10, 20}}, {20, 30}, {{10, 20}}, 0},
      {"spans several", {{0, 5}, {10, 15}, {20, 25}}, {3, 22}, {{0, 3}, {22, 25}}, 9},
      {"removes inner ranges only", {{0, 5}, {10, 15}, {20, 25}}, {6, 18}, {{0, 5}, {20, 25}}, 5},
      {"second range front", {{0, 5}, {10, 15}}, {7, 12}, {{0, 5}, {12, 15}}, 2},
  };
  for (const auto& c : cases) {
    IntervalSet s;
    for (const auto& r : c.existing) s.insert(r.start, r.end);
    EXPECT_EQ(s.remove(c.removed_range.start, c.removed_range.end), c.removed) << c.name;
    EXPECT_EQ(ranges(s), c.expected) << c.name;
  }
}

TEST(IntervalSet, ContainsAndFirst) {
  IntervalSet s;
  EXPECT_FALSE(s.first());
  EXPECT_FALSE(s.contains(0));
  s.insert(10, 20);
  s.insert(30, 40);
  EXPECT_EQ(s.first(), (Interval{10, 20}));
  EXPECT_EQ(s.last(), (Interval{30, 40}));
  EXPECT_FALSE(s.contains(9));
  EXPECT_TRUE(s.contains(10));
  EXPECT_TRUE(s.contains(19));
  EXPECT_FALSE(s.contains(20));
  EXPECT_TRUE(s.contains(10, 20));
  EXPECT_FALSE(s.contains(10, 21));
  EXPECT_FALSE(s.contains(15, 35));
  EXPECT_TRUE(s.contains(25, 25));
  EXPECT_TRUE(s.intersects(15, 35));
  EXPECT_FALSE(s.intersects(20, 30));
  EXPECT_EQ(s.range_count(), 2u);
}

TEST(IntervalSet, SubtractAndGaps) {
  IntervalSet a, b;
  a.insert(0, 100);
  b.insert(10, 20);
  b.insert(50, 60);
  b.insert(90, 200);
  a.subtract(b);
  EXPECT_EQ(ranges(a), (std::vector<Interval>{{0, 10}, {20, 50}, {60, 90}}));

  std::vector<Interval> gaps;
  b.for_each_gap(0, 100, [&](uint64_t s, uint64_t e) { gaps.push_back({s, e}); });
  EXPECT_EQ(gaps, (std::vector<Interval>{{0, 10}, {20, 50}, {60, 90}}));
  gaps.clear();
  b.for_each_gap(15, 55, [&](uint64_t s, uint64_t e) { gaps.push_back({s, e}); });
  EXPECT_EQ(gaps, (std::vector<Interval>{{20, 50}}));
  gaps.clear();
  b.for_each_gap(12, 18, [&](uint64_t s, uint64_t e) { gaps.push_back({s, e}); });
  EXPECT_TRUE(gaps.empty());

  a.subtract(a);
  EXPECT_TRUE(a.empty());
}

// Compares against a per-value std::set over a small universe.
TEST(IntervalSet, RandomAgainstReference) {
  std::mt19937 rng(12345);
  IntervalSet s;
  std::set<uint64_t> ref;
  for (int step = 0; step < 5000; ++step) {
    const uint64_t a = rng() % 200, len = rng() % 20;
    const bool add = rng() % 3 != 0;
    uint64_t changed = 0;
    for (uint64_t v = a; v < a + len; ++v) changed += add ? ref.insert(v).second : ref.erase(v);
    EXPECT_EQ(add ? s.insert(a, a + len) : s.remove(a, a + len), changed) << step;
    // Disjoint, non-adjacent, ordered, and covering exactly the reference.
    uint64_t prev_end = 0, count = 0;
    bool first = true;
    for (const auto& [b, e] : s) {
      ASSERT_LT(b, e);
      if (!first) {
        ASSERT_GT(b, prev_end);
      }
      first = false;
      prev_end = e;
      count += e - b;
    }
    ASSERT_EQ(count, ref.size());
    for (uint64_t v : ref) ASSERT_TRUE(s.contains(v));
  }
}

}  // namespace
}  // namespace braid::conn

// Bonding state derivation and capacity weights.
#include <gtest/gtest.h>

#include "core/path/bonding.h"

namespace braid::path {
namespace {

using namespace std::chrono_literals;

TEST(Bonding, SinglePendingBondedDegraded) {
  BondingTracker b;
  EXPECT_FALSE(b.update({{0, PathState::kActive, 100000, 10ms}}).has_value());
  EXPECT_EQ(b.state(), BondingState::kSinglePath);
  auto t = b.update({{0, PathState::kActive, 100000, 10ms}, {1, PathState::kValidating, 12000, 30ms}});
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->to, BondingState::kPending);
  t = b.update({{0, PathState::kActive, 100000, 10ms}, {1, PathState::kActive, 50000, 30ms}});
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->to, BondingState::kBonded);
  // Weights follow cwnd/srtt: 10 MB/s vs ~1.67 MB/s.
  EXPECT_NEAR(b.weights().at(0), 10.0 / 11.6667, 0.01);
  t = b.update({{0, PathState::kClosing, 100000, 10ms}, {1, PathState::kActive, 50000, 30ms}});
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->from, BondingState::kBonded);
  EXPECT_EQ(t->to, BondingState::kDegraded);
  // No event when nothing changes.
  EXPECT_FALSE(b.update({{1, PathState::kActive, 60000, 30ms}}).has_value());
  t = b.update({{1, PathState::kActive, 60000, 30ms}, {2, PathState::kActive, 60000, 30ms}});
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->to, BondingState::kBonded);
}

}  // namespace
}  // namespace braid::path

// LocalCidTable: our connection IDs are indexed, retired and freed in O(active), whatever
// the peer does; retiring a sequence never sent is refused.
#include "core/conn/local_cids.h"

#include <gtest/gtest.h>

namespace braid::conn {
namespace {

using namespace std::chrono_literals;

ConnectionId cid_of(uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  return ConnectionId(std::span<const uint8_t>(b, 8));
}

LocalCidTable table() {
  KeyedCidHash h;
  h.key.fill(7);
  return LocalCidTable(h);
}

const TimePoint t0 = time_from_us(1'000'000);

TEST(LocalCidTable, IssueAndLookUpPerPath) {
  auto t = table();
  EXPECT_EQ(t.issue(0, cid_of(1), {}, true, true), 0u);
  EXPECT_EQ(t.issue(0, cid_of(2), {}), 1u);
  EXPECT_EQ(t.issue(3, cid_of(3), {}), 0u);   // each path ID has its own sequence space
  auto r = t.lookup(cid_of(3));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->path, 3u);
  EXPECT_EQ(r->sequence, 0u);
  EXPECT_FALSE(t.lookup(cid_of(9)).has_value());
  EXPECT_EQ(t.active_count(0), 2u);
  EXPECT_EQ(t.acked_count(0), 1u);
  EXPECT_EQ(t.next_sequence(0), 2u);
}

TEST(LocalCidTable, RetireNeverSentOrNeverIssuedIsRefused) {
  auto t = table();
  t.issue(0, cid_of(1), {}, true);
  t.issue(0, cid_of(2), {});   // issued, not yet in a NEW_CONNECTION_ID
  EXPECT_EQ(t.retire(0, 1, t0, 1s), LocalCidTable::RetireResult::kNeverSent);
  EXPECT_EQ(t.retire(0, 7, t0, 1s), LocalCidTable::RetireResult::kNeverSent);
  EXPECT_EQ(t.retire(4, 0, t0, 1s), LocalCidTable::RetireResult::kNeverSent);
  EXPECT_EQ(t.retire(0, 0, t0, 1s), LocalCidTable::RetireResult::kRetired);
  EXPECT_EQ(t.retire(0, 0, t0, 1s), LocalCidTable::RetireResult::kAlreadyRetired);
}

TEST(LocalCidTable, RetiredStayRoutableForTheGraceThenGo) {
  auto t = table();
  t.issue(0, cid_of(1), {}, true);
  t.issue(0, cid_of(2), {}, true);
  uint64_t v = t.version();
  ASSERT_EQ(t.retire(0, 0, t0, 100ms), LocalCidTable::RetireResult::kRetired);
  EXPECT_GT(t.version(), v);
  EXPECT_EQ(t.active_count(0), 1u);
  EXPECT_TRUE(t.lookup(cid_of(1)).has_value()) << "packets in flight still find the connection";
  EXPECT_EQ(t.routable().size(), 2u);
  v = t.version();
  t.expire(t0 + 99ms);
  EXPECT_EQ(t.version(), v);
  t.expire(t0 + 100ms);
  EXPECT_GT(t.version(), v);
  EXPECT_FALSE(t.lookup(cid_of(1)).has_value());
  EXPECT_EQ(t.routable().size(), 1u);
}

// A peer retiring every ID as soon as it gets it, 100 000 times: the table never holds more
// than the active IDs and the few recently retired ones.
TEST(LocalCidTable, ChurnKeepsStateBounded) {
  auto t = table();
  uint64_t next = 0;
  for (int i = 0; i < 4; ++i) t.issue(0, cid_of(next++), {}, true);
  for (uint64_t seq = 0; seq < 100'000; ++seq) {
    ASSERT_EQ(t.retire(0, seq, t0, 10s), LocalCidTable::RetireResult::kRetired);
    t.issue(0, cid_of(next++), {}, true);
    ASSERT_LE(t.stored(), 4u + LocalCidTable::kMaxRecentlyRetired);
  }
  EXPECT_EQ(t.active_count(0), 4u);
  EXPECT_TRUE(t.lookup(cid_of(next - 1)).has_value());
}

TEST(LocalCidTable, RetirePathFreesItsIds) {
  auto t = table();
  t.issue(1, cid_of(1), {}, true);
  t.issue(1, cid_of(2), {}, true);
  t.issue(0, cid_of(3), {}, true);
  t.retire_path(1);
  EXPECT_FALSE(t.lookup(cid_of(1)).has_value());
  EXPECT_EQ(t.active_count(1), 0u);
  EXPECT_EQ(t.stored(), 1u);
}

TEST(KeyedConnectionIdHash, DependsOnTheKey) {
  KeyedConnectionIdHash a, b;
  a.key.fill(1);
  b.key.fill(2);
  EXPECT_EQ(a(cid_of(42)), a(cid_of(42)));
  EXPECT_NE(a(cid_of(42)), b(cid_of(42)));
  EXPECT_NE(a(cid_of(42)), a(cid_of(43)));
}

}  // namespace
}  // namespace braid::conn

// AckTracker: range bookkeeping, duplicates, RFC 9000 §13.2 ACK timing, ECN counts, the
// memory bound and ack-of-ack pruning.
#include "core/recovery/ack_tracker.h"

#include <gtest/gtest.h>

#include <vector>

namespace braid::recovery {
namespace {

using std::chrono::milliseconds;
using wire::AckRange;

TimePoint at_ms(int64_t ms) { return time_from_us(ms * 1000); }

std::vector<AckRange> ranges_of(const AckTracker& t) {
  auto f = t.build_ack(at_ms(0), 3);
  return f ? f->ranges : std::vector<AckRange>{};
}

struct RangeCase {
  const char* name;
  std::vector<uint64_t> arrivals;
  std::vector<AckRange> expected;  // newest first
};

class AckTrackerRanges : public ::testing::TestWithParam<RangeCase> {};

TEST_P(AckTrackerRanges, BuildsDescendingMergedRanges) {
  AckTracker t;
  for (uint64_t pn : GetParam().arrivals) EXPECT_TRUE(t.on_packet_received(pn, at_ms(0), true, Ecn::kNotEct));
  EXPECT_EQ(ranges_of(t), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AckTrackerRanges,
    ::testing::Values(
        RangeCase{"in_order", {0, 1, 2, 3}, {{0, 3}}},
        RangeCase{"one_gap", {0, 1, 3, 4}, {{3, 4}, {0, 1}}},
        RangeCase{"fill_gap_merges", {0, 1, 3, 4, 2}, {{0, 4}}},
        RangeCase{"extend_upper_downwards", {5, 4, 3}, {{3, 5}}},
        RangeCase{"extend_lower_upwards", {0, 10, 1, 2}, {{10, 10}, {0, 2}}},
        RangeCase{"many_gaps", {1, 3, 5, 7}, {{7, 7}, {5, 5}, {3, 3}, {1, 1}}},
        RangeCase{"reverse_with_hole", {9, 8, 6, 5}, {{8, 9}, {5, 6}}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(AckTracker, DetectsDuplicates) {
  AckTracker t;
  EXPECT_FALSE(t.has_received());
  EXPECT_TRUE(t.on_packet_received(4, at_ms(0), true, Ecn::kNotEct));
  EXPECT_TRUE(t.on_packet_received(2, at_ms(0), true, Ecn::kNotEct));
  EXPECT_TRUE(t.is_duplicate(4));
  EXPECT_TRUE(t.is_duplicate(2));
  EXPECT_FALSE(t.is_duplicate(3));
  EXPECT_FALSE(t.on_packet_received(4, at_ms(1), true, Ecn::kNotEct));
  EXPECT_FALSE(t.on_packet_received(2, at_ms(1), true, Ecn::kNotEct));
  EXPECT_EQ(t.largest_received(), 4u);
}

TEST(AckTracker, InOrderSingleElicitingWaitsMaxAckDelay) {
  AckTracker t(false, milliseconds(25));
  EXPECT_EQ(t.ack_deadline(), kNever);
  t.on_packet_received(0, at_ms(10), true, Ecn::kNotEct);
  EXPECT_TRUE(t.ack_pending());
  EXPECT_EQ(t.ack_deadline(), at_ms(35));
}

TEST(AckTracker, EverySecondElicitingPacketIsAckedImmediately) {
  AckTracker t(false, milliseconds(25));
  t.on_packet_received(0, at_ms(10), true, Ecn::kNotEct);
  t.on_packet_received(1, at_ms(12), true, Ecn::kNotEct);
  EXPECT_LE(t.ack_deadline(), at_ms(12));
  t.on_ack_sent();
  EXPECT_EQ(t.ack_deadline(), kNever);
  EXPECT_FALSE(t.ack_pending());
  t.on_packet_received(2, at_ms(20), true, Ecn::kNotEct);
  EXPECT_EQ(t.ack_deadline(), at_ms(45));
  t.on_packet_received(3, at_ms(21), true, Ecn::kNotEct);
  EXPECT_LE(t.ack_deadline(), at_ms(21));
}

TEST(AckTracker, NonElicitingPacketsDoNotArmTheTimer) {
  AckTracker t(false, milliseconds(25));
  t.on_packet_received(0, at_ms(0), false, Ecn::kNotEct);
  t.on_packet_received(1, at_ms(1), false, Ecn::kNotEct);
  t.on_packet_received(2, at_ms(2), false, Ecn::kNotEct);
  EXPECT_TRUE(t.ack_pending());  // may ride along with other frames
  EXPECT_EQ(t.ack_deadline(), kNever);
}

struct ImmediateCase {
  const char* name;
  std::vector<uint64_t> before;  // received and acknowledged already
  uint64_t pn;
  Ecn ecn;
  bool immediate_space;
  bool expect_immediate;
};

class AckTrackerImmediate : public ::testing::TestWithParam<ImmediateCase> {};

TEST_P(AckTrackerImmediate, Deadline) {
  const auto& c = GetParam();
  AckTracker t(c.immediate_space, milliseconds(25));
  for (uint64_t pn : c.before) t.on_packet_received(pn, at_ms(0), true, Ecn::kNotEct);
  t.on_ack_sent();
  t.on_packet_received(c.pn, at_ms(100), true, c.ecn);
  if (c.expect_immediate) {
    EXPECT_LE(t.ack_deadline(), at_ms(100));
  } else {
    EXPECT_EQ(t.ack_deadline(), at_ms(125));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AckTrackerImmediate,
    ::testing::Values(ImmediateCase{"next_in_order", {0, 1}, 2, Ecn::kNotEct, false, false},
                      ImmediateCase{"gap_above_largest", {0, 1}, 4, Ecn::kNotEct, false, true},
                      ImmediateCase{"below_largest", {0, 1, 3}, 2, Ecn::kNotEct, false, true},
                      ImmediateCase{"ce_marked", {0, 1}, 2, Ecn::kCe, false, true},
                      ImmediateCase{"first_packet", {}, 0, Ecn::kNotEct, false, false},
                      ImmediateCase{"initial_space", {}, 0, Ecn::kNotEct, true, true},
                      ImmediateCase{"handshake_space_in_order", {0}, 1, Ecn::kNotEct, true, true}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(AckTracker, AckDelayEncodedFromLargestArrival) {
  AckTracker t;
  t.on_packet_received(7, at_ms(100), true, Ecn::kNotEct);
  t.on_packet_received(5, at_ms(104), true, Ecn::kNotEct);  // not the largest: no effect
  auto f = t.build_ack(at_ms(110), 3);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->largest(), 7u);
  EXPECT_EQ(f->ack_delay, 10000u >> 3);
  auto f0 = t.build_ack(at_ms(110), 0);
  EXPECT_EQ(f0->ack_delay, 10000u);
  EXPECT_FALSE(f->ecn.has_value());
}

TEST(AckTracker, NothingReceivedNoAck) {
  AckTracker t;
  EXPECT_FALSE(t.build_ack(at_ms(0), 3).has_value());
  EXPECT_FALSE(t.largest_received().has_value());
}

TEST(AckTracker, EcnCounts) {
  AckTracker t;
  t.on_packet_received(0, at_ms(0), true, Ecn::kEct0);
  t.on_packet_received(1, at_ms(0), true, Ecn::kEct0);
  t.on_packet_received(2, at_ms(0), true, Ecn::kEct1);
  t.on_packet_received(3, at_ms(0), true, Ecn::kCe);
  t.on_packet_received(4, at_ms(0), true, Ecn::kNotEct);
  t.on_packet_received(3, at_ms(0), true, Ecn::kCe);  // duplicate: not counted
  auto f = t.build_ack(at_ms(0), 3);
  ASSERT_TRUE(f && f->ecn);
  EXPECT_EQ(*f->ecn, (wire::EcnCounts{2, 1, 1}));
}

TEST(AckTracker, RangeBoundDropsOldestAndRaisesFloor) {
  AckTracker t(false, milliseconds(25), 3);
  for (uint64_t pn : {0, 2, 4, 6, 8}) t.on_packet_received(pn, at_ms(0), true, Ecn::kNotEct);
  EXPECT_EQ(ranges_of(t), (std::vector<AckRange>{{8, 8}, {6, 6}, {4, 4}}));
  // Everything at or below the dropped ranges is now treated as a duplicate...
  EXPECT_TRUE(t.is_duplicate(2));
  EXPECT_TRUE(t.is_duplicate(1));
  EXPECT_FALSE(t.on_packet_received(1, at_ms(1), true, Ecn::kNotEct));
  // ...but the gap above the newest dropped range can still be filled.
  EXPECT_FALSE(t.is_duplicate(3));
  EXPECT_TRUE(t.on_packet_received(3, at_ms(1), true, Ecn::kNotEct));
  EXPECT_EQ(ranges_of(t), (std::vector<AckRange>{{8, 8}, {6, 6}, {3, 4}}));
}

TEST(AckTracker, AckOfAckPrunesReportedRanges) {
  AckTracker t;
  for (uint64_t pn : {0, 1, 2, 4, 5, 8, 9}) t.on_packet_received(pn, at_ms(0), true, Ecn::kNotEct);
  t.on_ack_sent();
  t.on_ack_of_ack(4);
  EXPECT_EQ(ranges_of(t), (std::vector<AckRange>{{8, 9}, {5, 5}}));
  // What arrived stays known: a replay below the acknowledged point is still a duplicate.
  EXPECT_TRUE(t.is_duplicate(4));
  EXPECT_TRUE(t.is_duplicate(1));
  EXPECT_FALSE(t.is_duplicate(6));
  EXPECT_TRUE(t.on_packet_received(7, at_ms(1), true, Ecn::kNotEct));
  EXPECT_EQ(ranges_of(t), (std::vector<AckRange>{{7, 9}, {5, 5}}));
}

// A packet that never came before the peer learned of the ranges around it (it crossed a
// slower network path) is accepted late and reported again.
TEST(AckTracker, LatePacketBelowTheAcknowledgedPointIsAcceptedAndReported) {
  AckTracker t;
  for (uint64_t pn : {0, 1, 2, 4, 5, 8, 9}) t.on_packet_received(pn, at_ms(0), true, Ecn::kNotEct);
  t.on_ack_sent();
  t.on_ack_of_ack(5);
  EXPECT_FALSE(t.is_duplicate(3));
  EXPECT_TRUE(t.on_packet_received(3, at_ms(1), true, Ecn::kNotEct));
  EXPECT_EQ(ranges_of(t), (std::vector<AckRange>{{8, 9}, {3, 5}}));
  EXPECT_FALSE(t.on_packet_received(3, at_ms(2), true, Ecn::kNotEct));
}

TEST(AckTracker, AckOfAckOfEverythingKeepsLargest) {
  AckTracker t;
  for (uint64_t pn : {0, 1, 2}) t.on_packet_received(pn, at_ms(0), true, Ecn::kNotEct);
  t.on_ack_of_ack(2);
  EXPECT_EQ(t.largest_received(), 2u);
  EXPECT_TRUE(t.is_duplicate(1));
  EXPECT_TRUE(t.is_duplicate(2));
  // The next packet is in order, so it does not force an immediate ACK.
  t.on_ack_sent();
  t.on_packet_received(3, at_ms(50), true, Ecn::kNotEct);
  EXPECT_EQ(t.ack_deadline(), at_ms(75));
}

}  // namespace
}  // namespace braid::recovery

// --- ack frequency (draft-ietf-quic-ack-frequency §6)

namespace braid::recovery {
namespace {

// Feeds `arrivals` one by one; after each, an ACK is "sent" when one is due at once (the
// connection does the same). Returns, per arrival, whether it triggered an immediate ACK.
std::vector<bool> immediate_acks(AckTracker& t, const std::vector<uint64_t>& arrivals, Ecn ecn = Ecn::kNotEct) {
  std::vector<bool> out;
  for (uint64_t pn : arrivals) {
    t.on_packet_received(pn, at_ms(0), true, ecn);
    bool now = t.ack_deadline() <= at_ms(0);
    out.push_back(now);
    if (now) t.on_ack_sent();
  }
  return out;
}

TEST(AckTrackerAckFrequency, ReorderingThresholdThreeFollowsTheDraftsTable) {
  AckTracker t;
  t.set_ack_frequency(100, milliseconds(25), 3);   // threshold high: only reordering triggers
  EXPECT_EQ(immediate_acks(t, {0, 1, 3, 4, 5, 8, 9, 10}),
            (std::vector<bool>{false, false, false, false, true, false, true, true}));
}

TEST(AckTrackerAckFrequency, ReorderingThresholdFiveFollowsTheDraftsTable) {
  AckTracker t;
  t.set_ack_frequency(100, milliseconds(25), 5);
  EXPECT_EQ(immediate_acks(t, {0, 1, 3, 5, 6, 7, 8, 9}),
            (std::vector<bool>{false, false, false, false, false, true, false, true}));
}

TEST(AckTrackerAckFrequency, APacketTheSenderAlreadyDeclaredLostIsAcknowledgedAtOnce) {
  AckTracker t;
  t.set_ack_frequency(100, milliseconds(25), 3);
  immediate_acks(t, {0, 1, 3, 4, 5});              // ACK sent at 5: 2 is missing
  EXPECT_EQ(immediate_acks(t, {2}), std::vector<bool>{true});   // 2 <= 5 - 3: spurious loss news
}

TEST(AckTrackerAckFrequency, ReorderingThresholdZeroNeverHurries) {
  AckTracker t;
  t.set_ack_frequency(100, milliseconds(25), 0);
  EXPECT_EQ(immediate_acks(t, {0, 5, 2, 9, 1}), (std::vector<bool>{false, false, false, false, false}));
  EXPECT_EQ(t.ack_deadline(), at_ms(25));          // the requested delay still bounds it
}

TEST(AckTrackerAckFrequency, ReorderingThresholdOneIsRfc9000) {
  AckTracker t;
  t.set_ack_frequency(100, milliseconds(25), 1);
  EXPECT_EQ(immediate_acks(t, {0, 1, 3, 2}), (std::vector<bool>{false, false, true, true}));
}

TEST(AckTrackerAckFrequency, AckElicitingThresholdCountsPacketsBetweenAcks) {
  AckTracker t;
  t.set_ack_frequency(4, milliseconds(5), 1);
  EXPECT_EQ(immediate_acks(t, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}),
            (std::vector<bool>{false, false, false, false, true, false, false, false, false, true}));
  EXPECT_EQ(t.max_ack_delay(), milliseconds(5));
  t.on_packet_received(10, at_ms(2), true, Ecn::kNotEct);
  EXPECT_EQ(t.ack_deadline(), at_ms(7));           // first unacknowledged + requested delay
}

TEST(AckTrackerAckFrequency, ThresholdZeroAcknowledgesEveryPacket) {
  AckTracker t;
  t.set_ack_frequency(0, milliseconds(25), 1);
  EXPECT_EQ(immediate_acks(t, {0, 1, 2}), (std::vector<bool>{true, true, true}));
}

TEST(AckTrackerAckFrequency, DefaultIsEverySecondPacket) {
  AckTracker t;
  EXPECT_EQ(immediate_acks(t, {0, 1, 2, 3}), (std::vector<bool>{false, true, false, true}));
}

TEST(AckTrackerAckFrequency, OnlyTheFirstCeMarkHurriesAboveThresholdOne) {
  AckTracker t;
  t.set_ack_frequency(10, milliseconds(25), 1);
  EXPECT_EQ(immediate_acks(t, {0}, Ecn::kEct0), std::vector<bool>{false});
  EXPECT_EQ(immediate_acks(t, {1, 2}, Ecn::kCe), (std::vector<bool>{true, false}));
  AckTracker d;   // RFC 9000 default: every CE mark
  EXPECT_EQ(immediate_acks(d, {0, 2}, Ecn::kCe).front(), true);
}

TEST(AckTrackerAckFrequency, ImmediateAckRequestIsHonouredAtOnce) {
  AckTracker t;
  t.set_ack_frequency(100, milliseconds(25), 0);
  t.on_packet_received(0, at_ms(0), true, Ecn::kNotEct);
  EXPECT_EQ(t.ack_deadline(), at_ms(25));
  t.request_immediate_ack();
  EXPECT_EQ(t.ack_deadline(), at_ms(0));
}

TEST(AckTrackerAckFrequency, ALowerThresholdAppliesToPacketsAlreadyWaiting) {
  AckTracker t;
  t.set_ack_frequency(10, milliseconds(25), 1);
  immediate_acks(t, {0, 1, 2});
  EXPECT_GT(t.ack_deadline(), at_ms(0));
  t.set_ack_frequency(1, milliseconds(25), 1);
  EXPECT_EQ(t.ack_deadline(), at_ms(0));
}

}  // namespace
}  // namespace braid::recovery

// LossDetector against RFC 9002 §6 / Appendix A: newly-acked detection across ranges, the
// RTT sampling rule, packet- and time-threshold loss, the loss timer, persistent
// congestion (§7.6), invalid ACKs and exact bytes-in-flight accounting.
#include "core/recovery/loss_detector.h"

#include <gtest/gtest.h>

#include <numeric>

namespace braid::recovery {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using wire::AckFrame;
using wire::AckRange;

TimePoint at_ms(double ms) { return time_from_us(static_cast<int64_t>(ms * 1000)); }

SentPacket packet(uint64_t pn, TimePoint t, uint32_t size = 1000, bool eliciting = true, bool in_flight = true) {
  SentPacket p;
  p.pn = pn;
  p.time_sent = t;
  p.size = size;
  p.ack_eliciting = eliciting;
  p.in_flight = in_flight;
  return p;
}

AckFrame ack_of(std::vector<AckRange> ranges) {
  AckFrame f;
  f.ranges = std::move(ranges);
  return f;
}

std::vector<uint64_t> pns(const std::vector<SentPacket>& v) {
  std::vector<uint64_t> out;
  for (const auto& p : v) out.push_back(p.pn);
  return out;
}

struct Fixture : ::testing::Test {
  LossDetector ld;
  RttEstimator rtt;
  Duration pto = milliseconds(20);  // x3 = 60 ms persistent-congestion period

  void send(uint64_t pn, double t_ms, uint32_t size = 1000, bool eliciting = true, bool in_flight = true) {
    EXPECT_EQ(ld.take_packet_number(), pn);
    ld.on_packet_sent(packet(pn, at_ms(t_ms), size, eliciting, in_flight));
  }
  AckOutcome ack(std::vector<AckRange> ranges, double now_ms, TimePoint first_rtt_sample = kNever) {
    auto r = ld.on_ack_received(ack_of(std::move(ranges)), Duration::zero(), at_ms(now_ms), rtt, true,
                                milliseconds(25), pto, first_rtt_sample);
    EXPECT_TRUE(r.has_value());
    return r.value_or(AckOutcome{});
  }
};

TEST_F(Fixture, BytesInFlightExactThroughAckLossAndTakeAll) {
  send(0, 0, 1200);
  send(1, 1, 50, false, false);  // ACK-only: tracked but not in flight
  send(2, 2, 700);
  send(3, 4.8, 1300);
  send(4, 4.9, 900, false, true);  // PADDING-only: in flight, not ack-eliciting
  send(5, 5, 1100);
  EXPECT_EQ(ld.bytes_in_flight(), 1200u + 700 + 1300 + 900 + 1100);
  EXPECT_EQ(ld.ack_eliciting_in_flight(), 4u);
  EXPECT_EQ(ld.size(), 6u);
  EXPECT_EQ(ld.time_of_last_ack_eliciting(), at_ms(5));

  auto out = ack({{4, 5}, {2, 2}}, 5.5);  // rtt 0.5 ms: loss delay 1 ms spares pn 3
  EXPECT_EQ(pns(out.newly_acked), (std::vector<uint64_t>{2, 4, 5}));
  EXPECT_EQ(out.acked_in_flight_bytes, 700u + 900 + 1100);
  EXPECT_EQ(pns(out.lost), (std::vector<uint64_t>{0, 1}));  // 5 >= pn + 3
  EXPECT_EQ(out.lost_in_flight_bytes, 1200u);
  EXPECT_EQ(ld.bytes_in_flight(), 1300u);
  EXPECT_EQ(ld.ack_eliciting_in_flight(), 1u);

  send(6, 6, 500);
  EXPECT_EQ(ld.bytes_in_flight(), 1800u);
  auto all = ld.take_all();
  EXPECT_EQ(pns(all), (std::vector<uint64_t>{3, 6}));
  EXPECT_EQ(ld.bytes_in_flight(), 0u);
  EXPECT_EQ(ld.ack_eliciting_in_flight(), 0u);
  EXPECT_TRUE(ld.empty());
  EXPECT_EQ(ld.loss_time(), kNever);
}

TEST_F(Fixture, PacketThresholdLossAndLossTime) {
  for (uint64_t pn = 0; pn < 5; ++pn) send(pn, static_cast<double>(pn));
  auto out = ack({{3, 3}}, 50);
  EXPECT_TRUE(out.rtt_updated);
  EXPECT_EQ(rtt.latest(), milliseconds(47));
  EXPECT_EQ(pns(out.lost), (std::vector<uint64_t>{0}));  // 3 >= 0 + 3; 1 and 2 are not
  // loss_time = send time of pn 1 + 9/8 * 47 ms
  EXPECT_EQ(ld.loss_time(), at_ms(1) + microseconds(52875));
  EXPECT_EQ(ld.bytes_in_flight(), 3000u);
  EXPECT_EQ(ld.largest_acked(), 3u);
}

TEST_F(Fixture, TimeThresholdLossOnTimer) {
  send(0, 0);
  send(1, 1);
  auto out = ack({{1, 1}}, 11);  // rtt 10 ms -> loss delay 11.25 ms
  EXPECT_TRUE(out.lost.empty());
  EXPECT_EQ(ld.loss_time(), at_ms(11.25));
  EXPECT_TRUE(ld.detect_lost(at_ms(11.2), rtt).empty());
  EXPECT_EQ(ld.loss_time(), at_ms(11.25));
  auto lost = ld.detect_lost(at_ms(11.25), rtt);
  EXPECT_EQ(pns(lost), (std::vector<uint64_t>{0}));
  EXPECT_EQ(ld.loss_time(), kNever);
  EXPECT_EQ(ld.bytes_in_flight(), 0u);
}

TEST_F(Fixture, TimeThresholdLossDuringAck) {
  send(0, 0);
  send(1, 100);
  auto out = ack({{1, 1}}, 110);
  EXPECT_EQ(pns(out.lost), (std::vector<uint64_t>{0}));
  EXPECT_EQ(ld.loss_time(), kNever);
}

TEST_F(Fixture, TimeThresholdUsesGranularityFloor) {
  send(0, 0);
  send(1, 0.05);
  ack({{1, 1}}, 0.15);  // rtt 100 us -> 9/8 * 100 us < 1 ms
  EXPECT_EQ(ld.loss_time(), at_ms(1));
}

TEST_F(Fixture, MultiRangeAck) {
  for (uint64_t pn = 0; pn < 10; ++pn) send(pn, static_cast<double>(pn));
  auto out = ack({{7, 9}, {3, 4}, {0, 1}}, 20);
  EXPECT_EQ(pns(out.newly_acked), (std::vector<uint64_t>{0, 1, 3, 4, 7, 8, 9}));
  EXPECT_EQ(out.largest_newly_acked, 9u);
  EXPECT_EQ(pns(out.lost), (std::vector<uint64_t>{2, 5, 6}));
  EXPECT_EQ(out.acked_in_flight_bytes, 7000u);
  EXPECT_EQ(ld.bytes_in_flight(), 0u);
  EXPECT_TRUE(ld.empty());

  // A repeated ACK acknowledges nothing new and takes no RTT sample.
  auto again = ack({{7, 9}, {3, 4}, {0, 1}}, 30);
  EXPECT_TRUE(again.newly_acked.empty());
  EXPECT_FALSE(again.rtt_updated);
  EXPECT_EQ(rtt.latest(), milliseconds(11));
}

TEST_F(Fixture, RttSampleOnlyWhenLargestIsNewlyAckedAndElicits) {
  send(0, 0);
  send(1, 1);
  send(2, 2, 50, false, false);
  auto out = ack({{1, 1}}, 10);
  EXPECT_TRUE(out.rtt_updated);
  EXPECT_EQ(rtt.latest(), milliseconds(9));
  // Largest (1) already acked; newly acks 0 only: no sample.
  out = ack({{0, 1}}, 15);
  EXPECT_EQ(pns(out.newly_acked), (std::vector<uint64_t>{0}));
  EXPECT_FALSE(out.rtt_updated);
  EXPECT_EQ(rtt.latest(), milliseconds(9));
  // Only a non-ack-eliciting packet newly acked: no sample.
  out = ack({{2, 2}}, 40);
  EXPECT_EQ(pns(out.newly_acked), (std::vector<uint64_t>{2}));
  EXPECT_FALSE(out.rtt_updated);
  EXPECT_EQ(rtt.latest(), milliseconds(9));
}

struct InvalidAckCase {
  const char* name;
  std::vector<AckRange> ranges;
  TransportErrorCode code;
};

class LossDetectorInvalidAck : public ::testing::TestWithParam<InvalidAckCase> {};

TEST_P(LossDetectorInvalidAck, Rejected) {
  LossDetector ld;
  RttEstimator rtt;
  for (uint64_t pn = 0; pn < 3; ++pn) ld.on_packet_sent(packet(ld.take_packet_number(), at_ms(0)));
  ld.skip_packet_number();  // pn 3 never sent
  ld.on_packet_sent(packet(ld.take_packet_number(), at_ms(1)));  // pn 4
  auto r = ld.on_ack_received(ack_of(GetParam().ranges), Duration::zero(), at_ms(10), rtt, true,
                              milliseconds(25), milliseconds(100), kNever);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, static_cast<uint64_t>(GetParam().code));
  EXPECT_EQ(ld.bytes_in_flight(), 4000u);  // nothing was processed
}

INSTANTIATE_TEST_SUITE_P(
    Cases, LossDetectorInvalidAck,
    ::testing::Values(
        InvalidAckCase{"largest_never_sent", {{5, 5}}, TransportErrorCode::kProtocolViolation},
        InvalidAckCase{"far_beyond_next", {{0, 1000}}, TransportErrorCode::kProtocolViolation},
        InvalidAckCase{"covers_skipped", {{2, 4}}, TransportErrorCode::kProtocolViolation},
        InvalidAckCase{"ranges_not_descending", {{0, 1}, {2, 2}}, TransportErrorCode::kFrameEncodingError},
        InvalidAckCase{"inverted_range", {{2, 1}}, TransportErrorCode::kFrameEncodingError}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(Fixture, AckOfHighestSentIsValid) {
  send(0, 0);
  auto r = ld.on_ack_received(ack_of({{0, 0}}), Duration::zero(), at_ms(5), rtt, true, milliseconds(25),
                              pto, kNever);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(pns(r->newly_acked), (std::vector<uint64_t>{0}));
}

// Persistent congestion (§7.6). First RTT sample at 10 ms (srtt 10 ms); period = 3 * 20 ms.
struct PersistentFixture : Fixture {
  void SetUp() override {
    send(0, 0);
    ack({{0, 0}}, 10);
  }
};

TEST_F(PersistentFixture, DetectedWhenLossSpansPeriod) {
  send(1, 20);
  send(2, 50);
  send(3, 90);
  send(4, 100);
  auto out = ack({{4, 4}}, 110, at_ms(10));
  EXPECT_EQ(pns(out.lost), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_TRUE(out.persistent_congestion);
}

TEST_F(PersistentFixture, NotDetectedWhenSpanTooShort) {
  send(1, 40);
  send(2, 60);
  send(3, 90);
  send(4, 100);
  auto out = ack({{4, 4}}, 110, at_ms(10));
  EXPECT_EQ(pns(out.lost), (std::vector<uint64_t>{1, 2, 3}));  // span 50 ms <= 60 ms
  EXPECT_FALSE(out.persistent_congestion);
}

TEST_F(PersistentFixture, NotDetectedWhenAckedPacketInsideSpan) {
  send(1, 20);
  send(2, 50);
  send(3, 90);
  send(4, 100);
  auto out = ack({{4, 4}, {2, 2}}, 110, at_ms(10));
  EXPECT_EQ(pns(out.lost), (std::vector<uint64_t>{1, 3}));
  EXPECT_FALSE(out.persistent_congestion);
}

TEST_F(PersistentFixture, NotDetectedWhenEarlierAckFellInsideSpan) {
  send(1, 20);
  send(2, 21);
  auto first = ack({{2, 2}}, 31, at_ms(10));  // pn 1 not yet lost (loss timer pending)
  EXPECT_TRUE(first.lost.empty());
  send(3, 90);
  send(4, 100);
  auto out = ack({{4, 4}}, 110, at_ms(10));
  EXPECT_EQ(pns(out.lost), (std::vector<uint64_t>{1, 3}));
  EXPECT_FALSE(out.persistent_congestion);
}

TEST_F(PersistentFixture, NotDetectedForPacketsBeforeFirstRttSample) {
  send(1, 20);
  send(2, 50);
  send(3, 90);
  send(4, 100);
  auto out = ack({{4, 4}}, 110, at_ms(30));  // only pn 2 and 3 qualify: 40 ms apart
  EXPECT_FALSE(out.persistent_congestion);
  // And with no RTT sample at all, never.
  EXPECT_FALSE(ld.in_persistent_congestion(out.lost, pto, kNever));
  EXPECT_TRUE(ld.in_persistent_congestion(out.lost, pto, at_ms(10)));
}

TEST_F(PersistentFixture, NonElicitingPacketsDoNotCount) {
  send(1, 20, 1000, false, true);
  send(2, 50);
  send(3, 90);
  send(4, 100);
  auto out = ack({{4, 4}}, 110, at_ms(10));
  EXPECT_EQ(pns(out.lost), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_FALSE(out.persistent_congestion);  // eliciting span is 50..90
}

TEST_F(Fixture, OldestUnackedSkipsNonEliciting) {
  send(0, 0, 50, false, false);
  send(1, 1);
  send(2, 2);
  send(3, 3);
  auto oldest = ld.oldest_unacked(2);
  ASSERT_EQ(oldest.size(), 2u);
  EXPECT_EQ(oldest[0]->pn, 1u);
  EXPECT_EQ(oldest[1]->pn, 2u);
}

TEST(LossDetector, NoAckNoLoss) {
  LossDetector ld;
  RttEstimator rtt;
  ld.on_packet_sent(packet(ld.take_packet_number(), at_ms(0)));
  EXPECT_TRUE(ld.detect_lost(at_ms(100000), rtt).empty());
  EXPECT_EQ(ld.loss_time(), kNever);
  EXPECT_FALSE(ld.largest_acked().has_value());
}

}  // namespace
}  // namespace braid::recovery

namespace braid::recovery {
namespace {

TEST(LossDetectorOwed, CountsAckElicitingPacketsAfterTheLargestAckedOnly) {
  LossDetector d;
  RttEstimator rtt(std::chrono::milliseconds(100));
  d.on_packet_sent(packet(0, at_ms(0)));
  d.on_packet_sent(packet(1, at_ms(1)));
  auto out = d.on_ack_received(ack_of({{1, 1}}), {}, at_ms(50), rtt, true, {}, std::chrono::seconds(1), kNever);
  ASSERT_TRUE(out);
  // A receiver's ACK-only packets (thousands, never acknowledged) do not hide what is owed.
  for (uint64_t pn = 2; pn < 3002; ++pn) d.on_packet_sent(packet(pn, at_ms(60), 40, false, false));
  d.on_packet_sent(packet(3002, at_ms(70)));
  d.on_packet_sent(packet(3003, at_ms(80)));
  auto o = d.owed(16);
  EXPECT_EQ(o.packets, 2u);   // packet 0 is below the largest acked: not owed
  EXPECT_EQ(o.oldest_sent, at_ms(70));
  EXPECT_EQ(o.sent[1], at_ms(80));
  EXPECT_EQ(d.owed(1).packets, 1u);   // capped
  // Acknowledged: nothing owed any more.
  out = d.on_ack_received(ack_of({{3003, 3003}}), {}, at_ms(130), rtt, true, {}, std::chrono::seconds(1), kNever);
  ASSERT_TRUE(out);
  EXPECT_EQ(d.owed(16).packets, 0u);
  // Nothing ever acknowledged: everything ack-eliciting in flight is owed.
  LossDetector fresh;
  fresh.on_packet_sent(packet(0, at_ms(5)));
  fresh.on_packet_sent(packet(1, at_ms(6), 40, false, false));
  EXPECT_EQ(fresh.owed(16).packets, 1u);
  EXPECT_EQ(fresh.owed(16).oldest_sent, at_ms(5));
  fresh.take_all();
  EXPECT_EQ(fresh.owed(16).packets, 0u);
}

}  // namespace
}  // namespace braid::recovery

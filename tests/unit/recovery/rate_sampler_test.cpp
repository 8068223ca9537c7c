// Delivery-rate sampling against sequences computed by hand from the draft's rules.
#include "core/recovery/rate_sampler.h"

#include <gtest/gtest.h>

namespace braid::recovery {
namespace {

using namespace std::chrono_literals;

TimePoint ms(int64_t v) { return time_from_us(v * 1000); }

struct Flight {
  RateSampler rs;
  uint64_t in_flight = 0;
  uint64_t next_pn = 0;

  SentPacket send(TimePoint t, uint32_t size = 1000) {
    SentPacket p;
    p.pn = next_pn++;
    p.time_sent = t;
    p.size = size;
    p.in_flight = true;
    rs.on_packet_sent(p, in_flight);
    in_flight += size;
    return p;
  }
  RateSample ack(std::initializer_list<SentPacket> pkts, TimePoint now, Duration min_rtt = 0ms,
                 std::initializer_list<SentPacket> lost = {}) {
    for (auto& p : lost) {
      rs.on_packet_lost(p);
      in_flight -= p.size;
    }
    for (auto& p : pkts) {
      rs.on_packet_acked(p, now);
      in_flight -= p.size;
    }
    return rs.take_sample(min_rtt);
  }
};

TEST(RateSampler, StampsPacketsAtSend) {
  Flight f;
  auto a = f.send(ms(0));
  EXPECT_EQ(a.delivered, 0u);
  EXPECT_EQ(a.first_sent_time, ms(0));
  EXPECT_EQ(a.delivered_time, ms(0));
  EXPECT_EQ(a.tx_in_flight, 1000u);
  auto b = f.send(ms(1));
  EXPECT_EQ(b.first_sent_time, ms(0));  // the flight began with a
  EXPECT_EQ(b.tx_in_flight, 2000u);
  EXPECT_FALSE(b.is_app_limited);
}

// Ten packets sent 1 ms apart, acked one by one 50 ms after each was sent. Nothing was
// delivered while they were sent, so each carries delivered = 0 and delivered_time = 0
// (the flight start). The ACK of packet k: delivered = (k+1)*1000, send_elapsed = k ms,
// ack_elapsed = 50+k ms, interval = 50+k ms.
TEST(RateSampler, SteadyFlightGivesDeliveredOverTheLongerElapsed) {
  Flight f;
  std::vector<SentPacket> pkts;
  for (int i = 0; i < 10; ++i) pkts.push_back(f.send(ms(i)));
  for (int k = 0; k < 10; ++k) {
    auto s = f.ack({pkts[k]}, ms(50 + k));
    EXPECT_TRUE(s.valid);
    EXPECT_EQ(s.delivered, static_cast<uint64_t>((k + 1) * 1000));
    EXPECT_EQ(s.send_elapsed, std::chrono::milliseconds(k));
    EXPECT_EQ(s.ack_elapsed, std::chrono::milliseconds(50 + k));
    EXPECT_EQ(s.interval, std::chrono::milliseconds(50 + k));
    EXPECT_EQ(s.delivery_rate, static_cast<uint64_t>((k + 1) * 1000.0 / ((50 + k) / 1000.0)));
    EXPECT_EQ(s.rtt, 50ms);
    EXPECT_EQ(s.newly_acked, 1000u);
  }
  // A second flight after the first was all delivered: nothing is in flight, so packet 10
  // (sent at 60 ms) starts a new interval there; acked at 110 ms: 1000 bytes in 50 ms.
  auto p = f.send(ms(60));
  EXPECT_EQ(p.delivered, 10000u);
  auto s = f.ack({p}, ms(110));
  EXPECT_EQ(s.delivered, 1000u);
  EXPECT_EQ(s.interval, 50ms);
  EXPECT_EQ(s.delivery_rate, 20'000u);
  EXPECT_EQ(f.rs.delivered(), 11000u);
}

// ACK aggregation: 4 packets sent 10 ms apart, the receiver's ACKs are held and all four
// arrive in one ACK at 80 ms. The sample uses the newest packet (sent at 30 ms):
// delivered 4000 bytes, send_elapsed = 30 ms, ack_elapsed = 80 - 0 = 80 ms (its
// delivered_time was the flight start). interval = 80 ms, so the burst of ACKs does not
// inflate the rate beyond 4000 B / 80 ms.
TEST(RateSampler, AggregatedAckUsesTheNewestPacketAndTheLongerInterval) {
  Flight f;
  std::vector<SentPacket> pkts;
  for (int i = 0; i < 4; ++i) pkts.push_back(f.send(ms(10 * i)));
  auto s = f.ack({pkts[2], pkts[0], pkts[3], pkts[1]}, ms(80));  // any order
  ASSERT_TRUE(s.valid);
  EXPECT_EQ(s.delivered, 4000u);
  EXPECT_EQ(s.send_elapsed, 30ms);
  EXPECT_EQ(s.ack_elapsed, 80ms);
  EXPECT_EQ(s.delivery_rate, 50'000u);
  EXPECT_EQ(s.newly_acked, 4000u);
  EXPECT_EQ(s.tx_in_flight, 4000u);
  EXPECT_EQ(s.rtt, 50ms);
}

// An ACK-compressed burst: the sample's interval is shorter than min_rtt, so it is not
// valid (draft: "discard samples with interval < min_rtt").
TEST(RateSampler, IntervalShorterThanMinRttIsDiscarded) {
  Flight f;
  auto a = f.send(ms(0));
  auto s = f.ack({a}, ms(5), 20ms);
  EXPECT_FALSE(s.valid);
  EXPECT_EQ(s.delivery_rate, 0u);
  EXPECT_EQ(f.rs.delivery_rate(), 0u);
  EXPECT_EQ(f.rs.delivered(), 1000u);  // delivery is still counted
}

// App-limited: the sender runs out of data with 2000 bytes in flight; the mark is
// delivered + in_flight = 2000. Packets sent from then on are app-limited; the period
// ends once more than 2000 bytes are delivered.
TEST(RateSampler, AppLimitedPeriodLastsUntilItsDataIsDelivered) {
  Flight f;
  auto a = f.send(ms(0));
  auto b = f.send(ms(1));
  EXPECT_FALSE(f.rs.app_limited());
  f.rs.mark_app_limited(f.in_flight);
  EXPECT_TRUE(f.rs.app_limited());
  auto c = f.send(ms(2));
  EXPECT_TRUE(c.is_app_limited);
  auto s1 = f.ack({a}, ms(40));
  EXPECT_FALSE(s1.is_app_limited);  // a was sent before the period
  EXPECT_TRUE(f.rs.app_limited());  // 1000 delivered, not past 2000
  auto s2 = f.ack({b}, ms(41));
  EXPECT_TRUE(f.rs.app_limited());  // exactly 2000: not past the mark yet
  auto s3 = f.ack({c}, ms(42));
  EXPECT_TRUE(s3.is_app_limited);   // c was sent app-limited
  EXPECT_FALSE(f.rs.app_limited()); // 3000 > 2000: the period is over
  (void)s2;
  // An app-limited sample never lowers the max rate; a later full sample does count.
  uint64_t max_before = f.rs.max_delivery_rate();
  auto d = f.send(ms(50));
  EXPECT_FALSE(d.is_app_limited);
  f.ack({d}, ms(100));
  EXPECT_GE(f.rs.max_delivery_rate(), max_before);
}

TEST(RateSampler, MarkIsAtLeastOneWithNothingDeliveredOrInFlight) {
  RateSampler rs;
  rs.mark_app_limited(0);
  EXPECT_TRUE(rs.app_limited());
}

// Losses: C.lost counts bytes declared lost; a sample's `lost` is what was lost while its
// packet was in flight, including this ACK's own losses (they are counted first).
TEST(RateSampler, LostBytesWhileInFlight) {
  Flight f;
  auto a = f.send(ms(0));
  auto b = f.send(ms(1));
  auto c = f.send(ms(2));
  auto d = f.send(ms(3));
  EXPECT_EQ(d.lost, 0u);
  auto s = f.ack({c, d}, ms(50), 0ms, {a});
  EXPECT_EQ(s.lost, 1000u);
  EXPECT_EQ(s.newly_lost, 1000u);
  EXPECT_EQ(s.tx_in_flight, 4000u);
  EXPECT_EQ(f.rs.lost(), 1000u);
  auto e = f.send(ms(51));
  EXPECT_EQ(e.lost, 1000u);
  // b is lost by a timer (no ACK): counted as newly lost in the next sample.
  f.rs.on_packet_lost(b);
  f.in_flight -= b.size;
  auto s2 = f.ack({e}, ms(100));
  EXPECT_EQ(s2.newly_lost, 1000u);
  EXPECT_EQ(s2.lost, 1000u);  // b was lost while e was in flight
  EXPECT_EQ(f.rs.lost(), 2000u);
}

TEST(RateSampler, AckWithNothingNewGivesAnEmptySample) {
  RateSampler rs;
  auto s = rs.take_sample(0ms);
  EXPECT_FALSE(s.valid);
  EXPECT_EQ(s.delivered, 0u);
}

TEST(RateSampler, ResetForgetsEverything) {
  Flight f;
  auto a = f.send(ms(0));
  f.ack({a}, ms(30));
  f.rs.mark_app_limited(0);
  f.rs.reset();
  EXPECT_EQ(f.rs.delivered(), 0u);
  EXPECT_EQ(f.rs.delivery_rate(), 0u);
  EXPECT_FALSE(f.rs.app_limited());
}

}  // namespace
}  // namespace braid::recovery

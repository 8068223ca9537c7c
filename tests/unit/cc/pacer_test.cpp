// Token-bucket pacer: a burst leaves at once, then packets are spaced at the pacing rate
// (1.25 * cwnd / srtt, or the controller's explicit rate); no RTT sample means no pacing.
#include "core/cc/pacer.h"

#include <gtest/gtest.h>

namespace braid::cc {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

TimePoint at_us(int64_t us) { return time_from_us(us); }

TEST(Pacer, NoRttNoPacing) {
  Pacer p(1200, 10);
  p.update(12000, Duration::zero(), std::nullopt);
  EXPECT_EQ(p.rate_bytes_per_second(), 0);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(p.next_send_time(at_us(0), 1200), at_us(0));
    p.on_packet_sent(at_us(0), 1200);
  }
}

TEST(Pacer, RateFromWindow) {
  Pacer p(1200, 10);
  p.update(12000, milliseconds(100), std::nullopt);
  EXPECT_DOUBLE_EQ(p.rate_bytes_per_second(), 150000.0);  // 1.25 * 12000 / 0.1 s
}

TEST(Pacer, BurstThenSpacedAtRate) {
  Pacer p(1200, 10);
  p.update(12000, milliseconds(100), std::nullopt);  // 150 kB/s: 8 ms per 1200 B
  TimePoint now = at_us(1000);
  for (int i = 0; i < 10; ++i) {
    ASSERT_LE(p.next_send_time(now, 1200), now) << "burst packet " << i;
    p.on_packet_sent(now, 1200);
  }
  TimePoint next = p.next_send_time(now, 1200);
  EXPECT_EQ(next, now + milliseconds(8));
  // Sending at each permitted time keeps the 8 ms spacing.
  for (int i = 0; i < 5; ++i) {
    now = p.next_send_time(now, 1200);
    p.on_packet_sent(now, 1200);
    EXPECT_EQ(p.next_send_time(now, 1200) - now, milliseconds(8));
  }
}

TEST(Pacer, IdleRefillIsCappedAtBurst) {
  Pacer p(1200, 4);
  p.update(12000, milliseconds(100), std::nullopt);
  TimePoint now = at_us(0);
  p.on_packet_sent(now, 1200);
  now += std::chrono::seconds(10);
  int sent = 0;
  while (p.next_send_time(now, 1200) <= now && sent < 100) {
    p.on_packet_sent(now, 1200);
    ++sent;
  }
  EXPECT_EQ(sent, 4);
}

TEST(Pacer, ExplicitRateOverridesWindow) {
  Pacer p(1200, 1);
  p.update(12000, milliseconds(100), Bandwidth{8'000'000});  // 1 MB/s: 1.2 ms per packet
  EXPECT_DOUBLE_EQ(p.rate_bytes_per_second(), 1e6);
  TimePoint now = at_us(0);
  p.next_send_time(now, 1200);
  p.on_packet_sent(now, 1200);
  EXPECT_EQ(p.next_send_time(now, 1200), now + microseconds(1200));
}

TEST(Pacer, HalfTokensWaitHalfInterval) {
  Pacer p(1200, 1);
  p.update(12000, milliseconds(100), std::nullopt);  // 8 ms per packet
  TimePoint now = at_us(0);
  p.next_send_time(now, 1200);
  p.on_packet_sent(now, 1200);
  EXPECT_EQ(p.next_send_time(now + milliseconds(4), 1200), now + milliseconds(8));
}

}  // namespace
}  // namespace braid::cc

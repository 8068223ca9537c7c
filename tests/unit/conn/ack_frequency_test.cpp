// Ack frequency policy (values in, request out) and the bookkeeping of ACK_FREQUENCY frames:
// thresholds from the window, slow start and recent loss, the delay left at the peer's,
// change hysteresis, rate limiting, sequence numbers, loss and the PTO's max_ack_delay.
#include "core/conn/ack_frequency.h"

#include <gtest/gtest.h>

namespace braid::conn {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = time_from_us(10'000'000);

AckFrequencyLimits limits(uint64_t max_threshold = 8) {
  AckFrequencyLimits l;
  l.peer_min_ack_delay = 1ms;
  l.peer_max_ack_delay = 25ms;
  l.max_threshold = max_threshold;
  l.packet_threshold = 3;
  return l;
}

AckFrequencyPathInput path(uint64_t window_packets, bool growing = false, bool lossy = false) {
  return AckFrequencyPathInput{window_packets * 1200, 1200, growing, lossy};
}

TEST(AckFrequencyPolicy, NoPathNoRequest) {
  EXPECT_FALSE(choose_ack_frequency({}, limits()).has_value());
}

TEST(AckFrequencyPolicy, AQuarterOfTheWindowWithinTheLimits) {
  std::vector<AckFrequencyPathInput> in{path(20)};
  auto r = choose_ack_frequency(in, limits());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ack_eliciting_threshold, 5u);
  EXPECT_EQ(r->max_ack_delay, 25ms);         // the peer's own, never shortened
  EXPECT_EQ(r->reordering_threshold, 3u);    // our packet threshold
  in = {path(400)};
  EXPECT_EQ(choose_ack_frequency(in, limits())->ack_eliciting_threshold, 8u);
  EXPECT_EQ(choose_ack_frequency(in, limits(32))->ack_eliciting_threshold, 32u);
  in = {path(2)};
  EXPECT_EQ(choose_ack_frequency(in, limits())->ack_eliciting_threshold, 1u);
}

TEST(AckFrequencyPolicy, SlowStartAndLossKeepAcksFrequent) {
  std::vector<AckFrequencyPathInput> in{path(400, true)};
  EXPECT_EQ(choose_ack_frequency(in, limits())->ack_eliciting_threshold, 1u);
  in = {path(400, false, true)};
  EXPECT_EQ(choose_ack_frequency(in, limits())->ack_eliciting_threshold, 2u);
  auto l = limits();
  l.lossy_threshold = 4;
  EXPECT_EQ(choose_ack_frequency(in, l)->ack_eliciting_threshold, 4u);
}

TEST(AckFrequencyPolicy, TheMostDemandingPathDecides) {
  std::vector<AckFrequencyPathInput> in{path(400), path(12), path(100)};
  EXPECT_EQ(choose_ack_frequency(in, limits())->ack_eliciting_threshold, 3u);
}

TEST(AckFrequencyPolicy, DelayNeverBelowThePeersMinimum) {
  auto l = limits();
  l.peer_min_ack_delay = 40ms;   // larger than its max_ack_delay: the minimum wins
  std::vector<AckFrequencyPathInput> in{path(40)};
  EXPECT_EQ(choose_ack_frequency(in, l)->max_ack_delay, 40ms);
}

TEST(AckFrequencyPolicy, ChangesOfAQuarterOrMoreCount) {
  AckFrequencyRequest have{8, 25ms, 3};
  EXPECT_FALSE(ack_frequency_changed(have, have));
  EXPECT_FALSE(ack_frequency_changed(have, {7, 25ms, 3}));
  EXPECT_TRUE(ack_frequency_changed(have, {6, 25ms, 3}));
  EXPECT_TRUE(ack_frequency_changed(have, {10, 25ms, 3}));
  EXPECT_TRUE(ack_frequency_changed(have, {8, 25ms, 1}));
  EXPECT_TRUE(ack_frequency_changed(have, {8, 10ms, 3}));
}

TEST(AckFrequencySender, NothingUntilEnabled) {
  AckFrequencySender s;
  s.consider(t0, {4, 25ms, 3}, 50ms);
  EXPECT_FALSE(s.pending());
  s.enable(25ms);
  s.consider(t0, {4, 25ms, 3}, 50ms);
  ASSERT_TRUE(s.pending());
  auto f = s.take_frame();
  EXPECT_EQ(f.sequence, 0u);
  EXPECT_EQ(f.ack_eliciting_threshold, 4u);
  EXPECT_EQ(f.requested_max_ack_delay_us, 25'000u);
  EXPECT_EQ(f.reordering_threshold, 3u);
  EXPECT_FALSE(s.pending());
  EXPECT_EQ(s.frames_sent(), 1u);
}

TEST(AckFrequencySender, RateLimitedAndOnlyOnRealChanges) {
  AckFrequencySender s;
  s.enable(25ms);
  s.consider(t0, {4, 25ms, 3}, 50ms);
  s.take_frame();
  s.consider(t0 + 100ms, {4, 25ms, 3}, 50ms);   // the same request: nothing
  EXPECT_FALSE(s.pending());
  s.consider(t0 + 10ms, {8, 25ms, 3}, 50ms);    // a change, but too soon
  EXPECT_FALSE(s.pending());
  s.consider(t0 + 60ms, {8, 25ms, 3}, 50ms);
  ASSERT_TRUE(s.pending());
  EXPECT_EQ(s.take_frame().sequence, 1u);
}

TEST(AckFrequencySender, ALostFrameIsResentOnlyIfNothingNewerWentOut) {
  AckFrequencySender s;
  s.enable(25ms);
  s.consider(t0, {4, 25ms, 3}, 0ms);
  auto f0 = s.take_frame();
  s.consider(t0 + 1s, {8, 25ms, 3}, 0ms);
  auto f1 = s.take_frame();
  s.on_lost(f0.sequence);            // overridden by f1 already
  EXPECT_FALSE(s.pending());
  s.on_lost(f1.sequence);            // the newest: send its request again
  ASSERT_TRUE(s.pending());
  auto f2 = s.take_frame();
  EXPECT_EQ(f2.sequence, 2u);
  EXPECT_EQ(f2.ack_eliciting_threshold, 8u);
  s.on_lost(f1.sequence);            // twice: no effect
  EXPECT_FALSE(s.pending());
}

TEST(AckFrequencySender, PtoAllowsForTheLargestDelayInFlight) {
  AckFrequencySender s;
  s.enable(25ms);
  EXPECT_EQ(s.peer_max_ack_delay(), 25ms);
  s.consider(t0, {4, 60ms, 3}, 0ms);
  auto f0 = s.take_frame();
  EXPECT_EQ(s.peer_max_ack_delay(), 60ms);   // in flight: the peer may already use it
  s.on_acked(f0.sequence);
  EXPECT_EQ(s.peer_max_ack_delay(), 60ms);
  s.consider(t0 + 1s, {4, 10ms, 3}, 0ms);
  auto f1 = s.take_frame();
  EXPECT_EQ(s.peer_max_ack_delay(), 60ms);   // until the shorter one is acknowledged
  s.on_acked(f1.sequence);
  EXPECT_EQ(s.peer_max_ack_delay(), 10ms);
  s.on_acked(f0.sequence);                   // a late ACK of an older frame changes nothing
  EXPECT_EQ(s.peer_max_ack_delay(), 10ms);
}

}  // namespace
}  // namespace braid::conn

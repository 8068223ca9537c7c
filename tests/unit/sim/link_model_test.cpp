// Link model: rate, delay, queue, loss models, duplication, MTU, jitter, traces, scheduled
// events and seeded determinism.
#include "sim/link_model.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "link_driver.h"

namespace braid::sim {
namespace {

using namespace std::chrono_literals;
using testing::drive;
using testing::paced;
using testing::Send;

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// Rate from first to last delivery: every packet after the first took one serialization.
double measured_rate_bps(const std::vector<Delivery>& d) {
  uint64_t bytes = 0;
  for (size_t i = 1; i < d.size(); ++i) bytes += d[i].bytes;
  return bytes * 8.0 / seconds(d.back().time - d.front().time);
}

TEST(Link, RateHoldsForBurstAndPacedLoad) {
  struct Case {
    const char* name;
    Duration gap;  // 0: everything at t=0
  } cases[] = {{"burst", 0ns}, {"paced above rate", 500us}, {"paced at 2x", 480us}};
  for (const auto& c : cases) {
    LinkConfig cfg;
    cfg.rate_bps = 10'000'000;
    cfg.delay = 5ms;
    Link link(cfg, 1);
    auto run = drive(link, paced(1000, 1200, c.gap));
    ASSERT_EQ(run.deliveries.size(), 1000u) << c.name;
    EXPECT_NEAR(measured_rate_bps(run.deliveries), 10e6, 10e6 * 0.01) << c.name;
    EXPECT_EQ(link.counters().delivered_bytes, 1000u * 1200) << c.name;
  }
}

TEST(Link, DelayAddsSerializationAndPropagation) {
  struct Case {
    const char* name;
    uint64_t rate_bps;
    Duration delay;
    Duration expected;
  } cases[] = {
      {"unlimited rate", 0, 30ms, 30ms},
      {"8 Mbit/s, 1000 bytes", 8'000'000, 30ms, 31ms},
      {"no delay", 8'000'000, 0ms, 1ms},
  };
  for (const auto& c : cases) {
    LinkConfig cfg;
    cfg.rate_bps = c.rate_bps;
    cfg.delay = c.delay;
    Link link(cfg, 1);
    auto run = drive(link, {{time_from_us(1000), 1000, 7}});
    ASSERT_EQ(run.deliveries.size(), 1u) << c.name;
    EXPECT_EQ(run.deliveries[0].packet_id, 7u);
    EXPECT_EQ(run.deliveries[0].time - time_from_us(1000), c.expected) << c.name;
    EXPECT_TRUE(run.deliveries[0].last_copy);
  }
}

TEST(Link, DropTailQueueInBytes) {
  LinkConfig cfg;
  cfg.rate_bps = 1'000'000;
  cfg.queue_bytes = 10'000;
  Link link(cfg, 1);
  auto run = drive(link, paced(20, 1000, 0ns));
  for (size_t i = 0; i < 20; ++i) {
    EXPECT_EQ(run.verdicts[i], i < 10 ? EnqueueResult::kQueued : EnqueueResult::kDroppedQueue) << i;
  }
  EXPECT_EQ(link.counters().dropped_queue, 10u);
  EXPECT_EQ(link.counters().queue_high_water_bytes, 10'000u);
  ASSERT_EQ(run.deliveries.size(), 10u);
  EXPECT_EQ(run.deliveries.back().time, TimePoint{} + 80ms);  // 10 x 8 ms serialization
  EXPECT_EQ(link.queued_bytes(), 0u);
}

TEST(Link, RandomLossMatchesProbability) {
  LinkConfig cfg;
  cfg.loss = 0.01;
  Link link(cfg, 42);
  auto run = drive(link, paced(100'000, 100, 1us));
  auto lost = link.counters().dropped_loss;
  EXPECT_GT(lost, 900u);
  EXPECT_LT(lost, 1100u);
  EXPECT_EQ(run.deliveries.size(), 100'000u - lost);
}

TEST(Link, GilbertElliottLossComesInBursts) {
  LinkConfig cfg;
  cfg.burst_loss = {.p_good_to_bad = 0.01, .p_bad_to_good = 0.25, .loss_in_bad = 1, .loss_in_good = 0};
  Link link(cfg, 7);
  auto run = drive(link, paced(200'000, 100, 1us));
  size_t bursts = 0, lost = 0, current = 0;
  for (auto v : run.verdicts) {
    if (v == EnqueueResult::kDroppedLoss) {
      ++lost;
      ++current;
    } else if (current > 0) {
      ++bursts;
      current = 0;
    }
  }
  ASSERT_GT(bursts, 1000u);
  double mean_burst = static_cast<double>(lost) / bursts;
  EXPECT_NEAR(mean_burst, 1 / 0.25, 0.4);
  EXPECT_NEAR(static_cast<double>(lost) / 200'000, 0.01 / 0.26, 0.005);
}

TEST(Link, DuplicationDeliversSomePacketsTwice) {
  LinkConfig cfg;
  cfg.duplicate = 0.1;
  cfg.delay = 10ms;
  Link link(cfg, 3);
  auto run = drive(link, paced(10'000, 500, 10us));
  std::map<uint64_t, int> copies, last_flags;
  size_t dup_flags = 0;
  for (const auto& d : run.deliveries) {
    copies[d.packet_id]++;
    last_flags[d.packet_id] += d.last_copy;
    dup_flags += d.duplicate;
  }
  EXPECT_EQ(copies.size(), 10'000u);
  EXPECT_GT(dup_flags, 850u);
  EXPECT_LT(dup_flags, 1150u);
  EXPECT_EQ(link.counters().duplicated_packets, dup_flags);
  for (auto [id, n] : last_flags) ASSERT_EQ(n, 1) << id;  // exactly one copy releases the payload
  EXPECT_EQ(run.deliveries.size(), 10'000u + dup_flags);
}

TEST(Link, MtuDropsLargerPackets) {
  struct Case {
    uint32_t mtu;
    uint32_t bytes;
    EnqueueResult expected;
  } cases[] = {{1500, 1500, EnqueueResult::kQueued},
               {1500, 1501, EnqueueResult::kDroppedMtu},
               {1200, 1201, EnqueueResult::kDroppedMtu},
               {1200, 1200, EnqueueResult::kQueued}};
  for (const auto& c : cases) {
    LinkConfig cfg;
    cfg.mtu = c.mtu;
    Link link(cfg, 1);
    EXPECT_EQ(link.enqueue(TimePoint{}, c.bytes, 1), c.expected) << c.mtu << "/" << c.bytes;
  }
}

std::vector<Delivery> jittered(bool reorders) {
  LinkConfig cfg;
  cfg.delay = 20ms;
  cfg.jitter = 10ms;
  cfg.jitter_reorders = reorders;
  Link link(cfg, 11);
  return drive(link, paced(500, 1000, 1ms)).deliveries;
}

TEST(Link, JitterWithoutReorderingKeepsOrder) {
  auto d = jittered(false);
  ASSERT_EQ(d.size(), 500u);
  Duration min_delay = 1h, max_delay{};
  for (size_t i = 0; i < d.size(); ++i) {
    ASSERT_EQ(d[i].packet_id, i);
    Duration owd = d[i].time - (TimePoint{} + static_cast<int64_t>(i) * 1ms);
    min_delay = std::min(min_delay, owd);
    max_delay = std::max(max_delay, owd);
  }
  EXPECT_GE(min_delay, 10ms);
  EXPECT_GT(max_delay - min_delay, 5ms);  // the jitter is there
}

TEST(Link, JitterWithReorderingReorders) {
  auto d = jittered(true);
  ASSERT_EQ(d.size(), 500u);
  size_t inversions = 0;
  for (size_t i = 1; i < d.size(); ++i) inversions += d[i].packet_id < d[i - 1].packet_id;
  EXPECT_GT(inversions, 50u);
  for (size_t i = 1; i < d.size(); ++i) ASSERT_GE(d[i].time, d[i - 1].time);  // pops stay in time order
}

std::shared_ptr<const Trace> make_trace(std::string_view text) {
  auto t = Trace::parse(text);
  EXPECT_TRUE(t.has_value()) << t.error();
  return std::make_shared<const Trace>(std::move(*t));
}

TEST(Link, TraceReplayDeliversAtTraceRate) {
  std::string text;
  for (int ms = 1; ms <= 100; ++ms) text += fmt::format("{}\n{}\n", ms, ms);  // 2 per ms = 24 Mbit/s
  LinkConfig cfg;
  cfg.trace = make_trace(text);
  Link link(cfg, 1);
  auto run = drive(link, paced(2000, 1500, 0ns));
  ASSERT_EQ(run.deliveries.size(), 2000u);
  EXPECT_EQ(run.deliveries.back().time, TimePoint{} + 1000ms);  // loops ten times
  EXPECT_NEAR(measured_rate_bps(run.deliveries), cfg.trace->mean_rate_bps(), 24e6 * 0.01);
}

TEST(Link, TraceSplitsSmallPacketsAcrossOpportunities) {
  LinkConfig cfg;
  cfg.trace = make_trace("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n");  // 1500 bytes per ms = 12 Mbit/s
  Link link(cfg, 1);
  auto run = drive(link, paced(300, 1000, 0ns));
  ASSERT_EQ(run.deliveries.size(), 300u);
  EXPECT_EQ(run.deliveries[0].time, TimePoint{} + 1ms);
  EXPECT_EQ(run.deliveries[1].time, TimePoint{} + 2ms);  // second packet needs part of ms 2
  EXPECT_EQ(run.deliveries[2].time, TimePoint{} + 2ms);
  EXPECT_EQ(run.deliveries.back().time, TimePoint{} + 200ms);
}

TEST(Link, TraceOpportunitiesWithNothingQueuedAreLost) {
  LinkConfig cfg;
  cfg.trace = make_trace("10\n20\n");
  cfg.delay = 5ms;
  Link link(cfg, 1);
  auto run = drive(link, {{TimePoint{} + 12ms, 1500, 1}, {TimePoint{} + 41ms, 1500, 2}});
  ASSERT_EQ(run.deliveries.size(), 2u);
  EXPECT_EQ(run.deliveries[0].time, TimePoint{} + 25ms);
  EXPECT_EQ(run.deliveries[1].time, TimePoint{} + 55ms);  // next cycle: 20 + 30 + 5
}

TEST(Link, RecordedTraceReplaysOnePeriodWhenPresent) {
  auto file = std::filesystem::path(__FILE__).parent_path() / "../../../../shared/traces/Verizon-LTE-short.up";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "no shared trace " << file;
  auto t = Trace::load(file.string());
  ASSERT_TRUE(t.has_value()) << t.error();
  LinkConfig cfg;
  cfg.trace = std::make_shared<const Trace>(std::move(*t));
  Link link(cfg, 1);
  size_t n = cfg.trace->size();
  auto run = drive(link, paced(n, 1500, 0ns));
  ASSERT_EQ(run.deliveries.size(), n);
  EXPECT_EQ(run.deliveries.back().time, TimePoint{} + cfg.trace->period());
}

TEST(Link, OutageDropsExactlyBetweenItsEnds) {
  LinkConfig cfg;
  cfg.delay = 10ms;
  cfg.events = {LinkEvent::outage(100ms, 200ms)};
  Link link(cfg, 1);
  auto run = drive(link, paced(300, 1000, 1ms));
  std::set<uint64_t> got;
  for (const auto& d : run.deliveries) got.insert(d.packet_id);
  for (uint64_t id = 0; id < 300; ++id) EXPECT_EQ(got.contains(id), id < 100 || id >= 200) << id;
  EXPECT_EQ(link.counters().dropped_down, 100u);
}

TEST(Link, DownAndUpEvents) {
  LinkConfig cfg;
  cfg.events = {LinkEvent::down(50ms), LinkEvent::up(60ms)};
  Link link(cfg, 1);
  auto run = drive(link, paced(100, 1000, 1ms));
  EXPECT_EQ(run.deliveries.size(), 90u);
  for (size_t i = 0; i < 100; ++i) {
    EXPECT_EQ(run.verdicts[i], i >= 50 && i < 60 ? EnqueueResult::kDroppedDown : EnqueueResult::kQueued);
  }
}

TEST(Link, RateChangeAtTime) {
  LinkConfig cfg;
  cfg.rate_bps = 10'000'000;
  cfg.events = {LinkEvent::rate(500ms, 5'000'000)};
  Link link(cfg, 1);
  auto run = drive(link, paced(2000, 1250, 500us));  // offered 20 Mbit/s
  auto count_in = [&](Duration from, Duration to) {
    return std::count_if(run.deliveries.begin(), run.deliveries.end(), [&](const Delivery& d) {
      return d.time >= TimePoint{} + from && d.time < TimePoint{} + to;
    });
  };
  EXPECT_EQ(count_in(100ms, 400ms), 300);  // 1 ms per packet
  EXPECT_EQ(count_in(600ms, 900ms), 150);  // 2 ms per packet
}

TEST(Link, DelayChangeAtTime) {
  LinkConfig cfg;
  cfg.delay = 10ms;
  cfg.events = {LinkEvent::delay_change(100ms, 50ms)};
  Link link(cfg, 1);
  auto run = drive(link, {{TimePoint{} + 50ms, 100, 1}, {TimePoint{} + 150ms, 100, 2}});
  ASSERT_EQ(run.deliveries.size(), 2u);
  EXPECT_EQ(run.deliveries[0].time, TimePoint{} + 60ms);
  EXPECT_EQ(run.deliveries[1].time, TimePoint{} + 200ms);
}

TEST(Link, RuntimeChangesAndDiscardOfQueuedPackets) {
  LinkConfig cfg;
  cfg.rate_bps = 1'000'000;  // 8 ms per 1000-byte packet
  Link link(cfg, 1);
  for (uint64_t id = 0; id < 10; ++id) link.enqueue(TimePoint{}, 1000, id);
  auto first = link.pop_delivered(TimePoint{} + 20ms);
  EXPECT_EQ(first.size(), 2u);
  link.set_up(TimePoint{} + 20ms, false);
  EXPECT_EQ(link.enqueue(TimePoint{} + 21ms, 1000, 99), EnqueueResult::kDroppedDown);
  EXPECT_TRUE(link.pop_delivered(TimePoint{} + 200ms).empty());
  EXPECT_EQ(link.take_discarded(), (std::vector<uint64_t>{2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_TRUE(link.take_discarded().empty());
  link.set_up(TimePoint{} + 200ms, true);
  link.set_rate(TimePoint{} + 200ms, 8'000'000);
  link.set_delay(TimePoint{} + 200ms, 5ms);
  link.enqueue(TimePoint{} + 200ms, 1000, 100);
  EXPECT_EQ(link.next_delivery_time(), TimePoint{} + 206ms);
  auto later = link.pop_delivered(TimePoint{} + 300ms);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].time, TimePoint{} + 206ms);
  EXPECT_EQ(link.counters().dropped_down, 9u);
}

std::vector<Delivery> noisy_run(uint64_t seed, std::vector<EnqueueResult>* verdicts) {
  LinkConfig cfg;
  cfg.rate_bps = 50'000'000;
  cfg.delay = 10ms;
  cfg.jitter = 3ms;
  cfg.jitter_reorders = true;
  cfg.loss = 0.05;
  cfg.burst_loss = {.p_good_to_bad = 0.01, .p_bad_to_good = 0.3};
  cfg.duplicate = 0.02;
  cfg.queue_bytes = 30'000;
  Link link(cfg, seed);
  auto run = drive(link, paced(5000, 1200, 150us));
  *verdicts = run.verdicts;
  return run.deliveries;
}

TEST(Link, SameSeedSameResultDifferentSeedDifferent) {
  std::vector<EnqueueResult> va, vb, vc;
  auto a = noisy_run(1, &va), b = noisy_run(1, &vb), c = noisy_run(2, &vc);
  EXPECT_EQ(va, vb);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].packet_id, b[i].packet_id);
    ASSERT_EQ(a[i].time, b[i].time);
    ASSERT_EQ(a[i].duplicate, b[i].duplicate);
  }
  EXPECT_NE(va, vc);
}

}  // namespace
}  // namespace braid::sim

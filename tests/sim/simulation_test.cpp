// Whole-simulation properties: clean-link goodput, determinism (same seed → identical
// summary), seed sensitivity under loss, outage behaviour, and the multipath hook
// (multipath behaviour itself: multipath_test.cpp).
#include <gtest/gtest.h>

#include "sim/scenario_loader.h"
#include "sim/simulation.h"
#include "sim/summary.h"

namespace braid::sim {
namespace {

Scenario parse(std::string_view toml) {
  auto s = parse_scenario_toml(toml, "test", {BRAID_TRACES_DIR});
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  return s ? *s : Scenario{};
}

SimulationResult run(const Scenario& s, std::optional<uint64_t> seed = {}) {
  SimulationOptions o;
  o.seed = seed;
  Simulation sim(s, o);
  return sim.run();
}

constexpr std::string_view kClean50 = R"(
name = "clean"
[[clients]]
[[clients.paths]]
link = { rate_mbps = 50, delay_ms = 10, queue_bytes = 250_000 }
[clients.workload]
kind = "bulk_download"
bytes = 20_000_000
)";

constexpr std::string_view kLossy = R"(
name = "lossy"
[[clients]]
[[clients.paths]]
link = { rate_mbps = 20, delay_ms = 15, loss = 0.02, jitter_ms = 1, queue_bytes = 100_000 }
[clients.workload]
kind = "bulk_download"
bytes = 3_000_000
streams = 3
)";

TEST(Simulation, CleanLinkGoodputAtLeast90PercentOfRate) {
  auto r = run(parse(kClean50));
  ASSERT_EQ(r.clients.size(), 1u);
  const auto& c = r.clients[0];
  EXPECT_TRUE(c.completed) << c.failure;
  EXPECT_EQ(c.app_bytes, 20'000'000u);
  EXPECT_GE(c.goodput_mbps, 45.0) << format_summary_text(r);
  EXPECT_LE(c.goodput_mbps, 50.0);
  EXPECT_LT(c.longest_stall_s, 0.5);
  ASSERT_EQ(c.paths.size(), 1u);
  EXPECT_TRUE(c.paths[0].used);
  EXPECT_GT(c.paths[0].bytes_received, 20'000'000u);
}

TEST(Simulation, SameSeedGivesIdenticalSummary) {
  Scenario s = parse(kLossy);
  std::string a = format_summary_json(run(s, 7));
  std::string b = format_summary_json(run(s, 7));
  EXPECT_EQ(a, b);
  EXPECT_EQ(format_summary_text(run(s, 7)), format_summary_text(run(s, 7)));
}

TEST(Simulation, DifferentSeedsDifferUnderLoss) {
  Scenario s = parse(kLossy);
  auto a = run(s, 1), b = run(s, 2);
  ASSERT_TRUE(a.clients[0].completed) << a.clients[0].failure;
  ASSERT_TRUE(b.clients[0].completed) << b.clients[0].failure;
  EXPECT_GT(a.clients[0].packets_lost, 0u);
  EXPECT_NE(format_summary_json(a), format_summary_json(b));
}

TEST(Simulation, LossIsRepairedAndCounted) {
  auto r = run(parse(kLossy));
  const auto& c = r.clients[0];
  EXPECT_TRUE(c.completed) << c.failure;
  EXPECT_EQ(c.app_bytes, 3'000'000u);
  EXPECT_GT(c.packets_lost, 10u);
  EXPECT_GT(c.retransmitted_stream_bytes, 0u);
}

TEST(Simulation, UploadCompletes) {
  auto r = run(parse(R"(
name = "upload"
[[clients]]
[[clients.paths]]
link = { rate_mbps = 10, delay_ms = 20 }
[clients.workload]
kind = "bulk_upload"
bytes = 2_000_000
streams = 2
)"));
  EXPECT_TRUE(r.clients[0].completed) << r.clients[0].failure;
  EXPECT_EQ(r.clients[0].app_bytes, 2'000'000u);
  EXPECT_GT(r.clients[0].paths[0].bytes_sent, 2'000'000u);
}

TEST(Simulation, OutageShorterThanIdleTimeoutStallsThenCompletes) {
  auto r = run(parse(R"(
name = "outage"
[[clients]]
[[clients.paths]]
link = { rate_mbps = 10, delay_ms = 10, events = [ { kind = "outage", at_s = 1.0, until_s = 2.0 } ] }
[clients.workload]
kind = "bulk_download"
bytes = 4_000_000
)"));
  const auto& c = r.clients[0];
  EXPECT_TRUE(c.completed) << c.failure;
  EXPECT_GE(c.longest_stall_s, 1.0);
  EXPECT_LT(c.longest_stall_s, 3.5);
}

TEST(Simulation, PermanentOutageEndsAtIdleTimeout) {
  auto r = run(parse(R"(
name = "down"
time_limit_s = 20
[transport]
idle_timeout_s = 3
[[clients]]
[[clients.paths]]
link = { rate_mbps = 10, delay_ms = 10, events = [ { kind = "down", at_s = 1.0 } ] }
[clients.workload]
kind = "bulk_download"
bytes = 10_000_000
)"));
  const auto& c = r.clients[0];
  EXPECT_FALSE(c.completed);
  EXPECT_NE(c.failure.find("idle"), std::string::npos) << c.failure;
  EXPECT_LT(r.virtual_time_s, 6.0);
}

// A hook replaces the default path opening: a no-op keeps each client on path 0.
TEST(Simulation, HookRunsOncePerMultiPathClientAndReplacesPathOpening) {
  Scenario s = parse(R"(
name = "two_paths"
[[clients]]
count = 2
[[clients.paths]]
name = "a"
link = { rate_mbps = 10, delay_ms = 10 }
[[clients.paths]]
name = "b"
link = { rate_mbps = 5, delay_ms = 30 }
[clients.workload]
kind = "bulk_download"
bytes = 500_000
)");
  Simulation sim(s);
  int calls = 0;
  sim.on_multipath_ready = [&](TimePoint, Connection&, const ClientHost& host, const SocketAddress&) {
    calls++;
    EXPECT_EQ(host.paths.size(), 2u);
  };
  auto r = sim.run();
  EXPECT_EQ(calls, 2);
  for (const auto& c : r.clients) {
    EXPECT_TRUE(c.completed) << c.failure;
    ASSERT_EQ(c.paths.size(), 2u);
    EXPECT_TRUE(c.paths[0].used);
    EXPECT_FALSE(c.paths[1].used);
    EXPECT_EQ(c.paths[1].down_delivered_bytes, 0u);
  }
}

TEST(Simulation, RequestResponseLatencyIsAboutOneRtt) {
  auto r = run(parse(R"(
name = "rpc"
[[clients]]
[[clients.paths]]
link = { rate_mbps = 50, delay_ms = 20 }
[clients.workload]
kind = "request_response"
count = 50
rate_per_s = 100
request_bytes = 100
response_bytes = 1000
)"));
  const auto& c = r.clients[0];
  EXPECT_TRUE(c.completed) << c.failure;
  EXPECT_EQ(c.messages_delivered, 50u);
  EXPECT_GE(c.latency.p50_ms, 40.0);
  EXPECT_LT(c.latency.p50_ms, 60.0);
}

}  // namespace
}  // namespace braid::sim

// Timed one-way messages (streams and datagrams, content-checked), several workloads on one
// connection, and per-path traffic counters that add up to the connection totals.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "sim/expectations.h"
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

SimulationResult run(const Scenario& s) {
  Simulation sim(s);
  return sim.run();
}

// One 20 Mbit/s path, 20 ms one way (40 ms RTT); `workloads` are [[clients.workloads]].
std::string one_path(std::string_view workloads, std::string_view link_extra = "") {
  return fmt::format(R"(
name = "messages"
time_limit_s = 30
[[clients]]
name = "c"
[[clients.paths]]
link = {{ rate_mbps = 20, delay_ms = 20, queue_bytes = 100_000{} }}
{}
)",
                     link_extra, workloads);
}

void expect_ordered(const LatencySummary& l) {
  EXPECT_LE(l.p50_ms, l.p90_ms);
  EXPECT_LE(l.p90_ms, l.p99_ms);
  EXPECT_LE(l.p99_ms, l.p999_ms);
  EXPECT_LE(l.p999_ms, l.max_ms);
}

TEST(Messages, DownstreamStreamMessagesArriveCheckedAfterAboutOneOneWayDelay) {
  auto r = run(parse(one_path(R"(
[[clients.workloads]]
kind = "messages"
count = 50
rate_per_s = 50
message_bytes = 3000
)")));
  const auto& c = r.clients[0];
  ASSERT_TRUE(c.completed) << c.failure << "\n" << format_summary_text(r);
  ASSERT_EQ(c.workloads.size(), 1u);
  const auto& w = c.workloads[0];
  EXPECT_EQ(w.kind, "messages");
  EXPECT_EQ(w.messages_sent, 50u);
  EXPECT_EQ(w.messages_delivered, 50u);
  EXPECT_EQ(w.messages_corrupt, 0u);
  EXPECT_EQ(w.app_bytes, 50u * 3000);
  EXPECT_EQ(w.latency.samples, 50u);
  // One way is 20 ms plus ~1.2 ms to serialize 3 KB at 20 Mbit/s; nothing else queues.
  EXPECT_GE(w.latency.p50_ms, 20.0);
  EXPECT_LT(w.latency.p50_ms, 30.0);
  EXPECT_LT(w.latency.p99_ms, 40.0) << format_summary_text(r);  // below one RTT
  expect_ordered(w.latency);
  // The client's fields are this workload's.
  EXPECT_EQ(c.messages_delivered, 50u);
  EXPECT_DOUBLE_EQ(c.latency.p99_ms, w.latency.p99_ms);
  // 50 messages at 50/s: the last is due ~0.98 s after the handshake.
  EXPECT_GT(w.completion_s, 0.98);
  EXPECT_TRUE(check_expectations({}, r).empty());
}

TEST(Messages, UpstreamDatagramMessagesArrive) {
  auto r = run(parse(one_path(R"(
[[clients.workloads]]
kind = "messages"
count = 40
rate_per_s = 100
message_bytes = 1000
direction = "upstream"
transport = "datagram"
drain_s = 0.2
)")));
  const auto& c = r.clients[0];
  ASSERT_TRUE(c.completed) << c.failure;
  const auto& w = c.workloads[0];
  EXPECT_EQ(w.messages_delivered, 40u);
  EXPECT_EQ(w.messages_refused, 0u);
  EXPECT_EQ(w.messages_corrupt, 0u);
  EXPECT_GE(w.latency.p50_ms, 20.0);
  EXPECT_LT(w.latency.p99_ms, 40.0);
  EXPECT_GT(c.paths[0].client.bytes_sent, 40u * 1000);
}

// Datagram messages lost on a lossy link are not resent; the workload ends drain_s after
// the last send and reports the delivery ratio.
TEST(Messages, LostDatagramMessagesCountAgainstTheDeliveryRatio) {
  Scenario s = parse(one_path(R"(
[[clients.workloads]]
kind = "messages"
count = 200
rate_per_s = 200
message_bytes = 500
transport = "datagram"
drain_s = 0.3
)",
                              ", loss = 0.05"));
  s.expect.min_delivery_ratio = 0.99;
  auto r = run(s);
  const auto& w = r.clients[0].workloads[0];
  EXPECT_TRUE(w.completed);
  EXPECT_LT(w.messages_delivered, 200u);
  EXPECT_GT(w.messages_delivered, 170u);
  auto f = check_expectations(s.expect, r);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].find("min_delivery_ratio: client c:"), std::string::npos) << f[0];
}

// The receiver checks every message's length, header and pattern: datagrams injected with a
// wrong pattern, the wrong length or an unknown sequence number count as corrupt and fail
// the content check, while the genuine messages still arrive.
TEST(Messages, ContentIsCheckedNotOnlyCounted) {
  Scenario s = parse(one_path(R"(
[[clients.workloads]]
kind = "messages"
count = 20
rate_per_s = 20
message_bytes = 100
transport = "datagram"
drain_s = 0.2
)"));
  Simulation sim(s);
  auto header = [](uint32_t seq, size_t size) {
    std::vector<uint8_t> d(size, 0x5a);
    for (int i = 0; i < 4; ++i) {
      d[i] = 0;                                        // tag: workload 0
      d[4 + i] = static_cast<uint8_t>(seq >> (8 * i));  // sequence number
    }
    return d;
  };
  sim.events().schedule(sim.origin() + std::chrono::milliseconds(500), [&] {
    Connection* server = sim.server_connection(0);
    ASSERT_NE(server, nullptr);
    EXPECT_TRUE(server->send_datagram(header(19, 100)));   // right length, wrong pattern (not yet sent)
    EXPECT_TRUE(server->send_datagram(header(18, 60)));    // wrong length
    EXPECT_TRUE(server->send_datagram(header(1000, 100))); // no such message
  });
  auto r = sim.run();
  const auto& w = r.clients[0].workloads[0];
  EXPECT_EQ(w.messages_corrupt, 3u) << format_summary_text(r);
  EXPECT_EQ(w.messages_delivered, 20u);  // 18 and 19 arrive genuinely later
  EXPECT_EQ(r.clients[0].messages_corrupt, 3u);
  auto f = check_expectations({}, r);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].find("message content: client c: 3 messages arrived corrupt"), std::string::npos) << f[0];
  EXPECT_NE(format_summary_text(r).find("CORRUPT 3"), std::string::npos);
}

TEST(Messages, BulkAndMessagesShareOneConnection) {
  auto r = run(parse(one_path(R"(
[clients.workload]
kind = "bulk_download"
bytes = 4_000_000
streams = 2
[[clients.workloads]]
kind = "messages"
count = 30
rate_per_s = 20
message_bytes = 1024
[[clients.workloads]]
kind = "messages"
count = 10
rate_per_s = 10
message_bytes = 200
direction = "upstream"
start_s = 0.5
)")));
  const auto& c = r.clients[0];
  ASSERT_TRUE(c.completed) << c.failure << "\n" << format_summary_text(r);
  EXPECT_EQ(c.workload, "bulk_download+messages+messages");
  ASSERT_EQ(c.workloads.size(), 3u);
  const auto &bulk = c.workloads[0], &down = c.workloads[1], &up = c.workloads[2];
  EXPECT_TRUE(bulk.completed);
  EXPECT_EQ(bulk.app_bytes, 4'000'000u);
  EXPECT_GT(bulk.goodput_mbps, 10.0);
  EXPECT_FALSE(bulk.has_latency);
  EXPECT_EQ(down.messages_delivered, 30u);
  EXPECT_EQ(down.messages_corrupt, 0u);
  EXPECT_EQ(up.messages_delivered, 10u);
  EXPECT_EQ(up.messages_corrupt, 0u);
  EXPECT_DOUBLE_EQ(up.start_s, 0.5);
  // Messages behind the bulk transfer's queue still arrive within a few RTTs.
  EXPECT_GE(down.latency.p50_ms, 20.0);
  EXPECT_LT(down.latency.p99_ms, 400.0) << format_summary_text(r);
  // The client's summary covers all three.
  EXPECT_EQ(c.app_bytes, 4'000'000u + 30 * 1024 + 10 * 200);
  EXPECT_EQ(c.messages_delivered, 40u);
  EXPECT_EQ(c.latency.samples, 40u);
  double last = 0;
  for (const auto& w : c.workloads) last = std::max(last, w.start_s + w.completion_s);
  EXPECT_NEAR(c.completion_s, last, 1e-9);  // the client started at 0
  std::string text = format_summary_text(r);
  EXPECT_NE(text.find("workload 0 bulk_download"), std::string::npos) << text;
  EXPECT_NE(text.find("workload 2 messages (10 x 200 B at 10/s, upstream, stream)"), std::string::npos) << text;
  std::string json = format_summary_json(r);
  EXPECT_NE(json.find("\"workloads\": ["), std::string::npos);
  EXPECT_NE(json.find("\"p99.9\""), std::string::npos);
}

// A workload that starts later begins at its own start, not at the handshake.
TEST(Messages, LaterWorkloadBeginsAtItsStart) {
  auto r = run(parse(one_path(R"(
[[clients.workloads]]
kind = "messages"
count = 5
rate_per_s = 10
[[clients.workloads]]
kind = "bulk_download"
bytes = 200_000
start_s = 1.5
)")));
  const auto& c = r.clients[0];
  ASSERT_TRUE(c.completed) << c.failure;
  const auto& bulk = c.workloads[1];
  EXPECT_DOUBLE_EQ(bulk.start_s, 1.5);
  EXPECT_GT(bulk.completion_s, 0.04);  // at least a round trip after its start
  EXPECT_LT(bulk.completion_s, 1.0);
  EXPECT_GT(c.completion_s, 1.5);
}

TEST(PathCounters, PerPathBytesAddUpToTheConnectionTotals) {
  auto r = run(parse(R"(
name = "two_paths"
[[clients]]
name = "c"
[[clients.paths]]
name = "a"
link = { rate_mbps = 20, delay_ms = 10, queue_bytes = 100_000, loss = 0.005 }
[[clients.paths]]
name = "b"
link = { rate_mbps = 10, delay_ms = 30, queue_bytes = 100_000 }
[[clients.workloads]]
kind = "bulk_download"
bytes = 3_000_000
[[clients.workloads]]
kind = "bulk_upload"
bytes = 500_000
)"));
  const auto& c = r.clients[0];
  ASSERT_TRUE(c.completed) << c.failure;
  ASSERT_EQ(c.paths.size(), 2u);
  ASSERT_TRUE(c.paths[1].used);
  TrafficCounters client, server;
  for (const auto& p : c.paths) {
    client += p.client;
    server += p.server;
    EXPECT_GT(p.server.stream_bytes_sent, 0u) << p.name;  // both paths carried the download
    EXPECT_EQ(p.stream_bytes_down, p.server.stream_bytes_sent);
    EXPECT_EQ(p.stream_bytes_up, p.client.stream_bytes_sent);
    EXPECT_EQ(p.bytes_sent, p.client.bytes_sent);
  }
  for (auto [sum, total, who] : {std::tuple{client, c.client_totals, "client"}, {server, c.server_totals, "server"}}) {
    SCOPED_TRACE(who);
    EXPECT_EQ(sum.bytes_sent, total.bytes_sent);
    EXPECT_EQ(sum.bytes_received, total.bytes_received);
    EXPECT_EQ(sum.stream_bytes_sent, total.stream_bytes_sent);
    EXPECT_EQ(sum.stream_bytes_received, total.stream_bytes_received);
    EXPECT_EQ(sum.duplicate_bytes_sent, total.duplicate_bytes_sent);
    EXPECT_EQ(sum.reinjected_bytes_sent, total.reinjected_bytes_sent);
    EXPECT_EQ(sum.duplicate_bytes_received, total.duplicate_bytes_received);
    EXPECT_EQ(sum.packets_sent, total.packets_sent);
  }
  // What one side sent on the paths' stream frames covers what the other read.
  EXPECT_GE(server.stream_bytes_sent, 3'000'000u);
  EXPECT_GE(client.stream_bytes_received, 3'000'000u);
  EXPECT_GE(client.stream_bytes_sent, 500'000u);
  std::string json = format_summary_json(r);
  EXPECT_NE(json.find("\"reinjected_bytes_sent\""), std::string::npos);
  EXPECT_NE(json.find("\"connection\""), std::string::npos);
  EXPECT_NE(format_summary_text(r).find("    server: sent "), std::string::npos);
}

}  // namespace
}  // namespace braid::sim

// The metric families built from hand-made statistics: names, labels, values and units,
// aggregation over connections, no addresses or CIDs in labels, and the text exposition
// checked by `promtool check metrics` when Prometheus is installed.
#include "metrics/metrics_families.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

namespace braid::metrics {
namespace {

using prometheus::MetricFamily;
using prometheus::MetricType;

PathStats path(PathId id, PathState state, PathHealth health) {
  PathStats p;
  p.path_id = id;
  p.tuple.local = *SocketAddress::parse("192.0.2.1:4433");
  p.tuple.remote = *SocketAddress::parse("198.51.100.7:55000");
  p.state = state;
  p.health = health;
  p.smoothed_rtt = std::chrono::milliseconds(40);
  p.min_rtt = std::chrono::milliseconds(30);
  p.latest_rtt = std::chrono::milliseconds(45);
  p.rtt_variance = std::chrono::milliseconds(5);
  p.congestion_window = 120000;
  p.bytes_in_flight = 30000;
  p.pacing_rate_bytes_per_second = 2'500'000;
  p.delivery_rate_bytes_per_second = 2'000'000;
  p.packets_sent = 1000;
  p.packets_received = 900;
  p.packets_lost = 7;
  p.bytes_sent = 1'200'000;
  p.bytes_received = 50'000;
  p.duplicate_bytes_sent = 11;
  p.reinjected_bytes_sent = 22;
  p.max_datagram_size = 1452;
  p.suspicions = 2;
  p.failures = id == 1 ? 1 : 0;
  p.probes_sent = 5;
  return p;
}

// Two paths, the second failed.
ConnectionStats two_paths() {
  ConnectionStats s;
  s.packets_sent = 2000;
  s.packets_received = 1800;
  s.packets_lost = 14;
  s.bytes_sent = 2'400'000;
  s.bytes_received = 100'000;
  s.stream_bytes_sent = 2'000'000;
  s.spurious_losses = 3;
  s.key_updates = 1;
  s.multipath = true;
  s.bonding = BondingState::kDegraded;
  s.paths.push_back(path(0, PathState::kActive, PathHealth::kHealthy));
  s.paths.push_back(path(1, PathState::kFailed, PathHealth::kFailed));
  s.paths[1].backup = true;
  s.paths[1].smoothed_rtt = std::chrono::milliseconds(250);
  return s;
}

const MetricFamily* find(const Families& fs, const std::string& name) {
  for (const auto& f : fs) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string label(const prometheus::ClientMetric& m, const std::string& name) {
  for (const auto& l : m.label) {
    if (l.name == name) return l.value;
  }
  return "";
}

// The sample of `name` whose labels include every pair in `want`.
std::optional<double> value(const Families& fs, const std::string& name,
                            std::vector<std::pair<std::string, std::string>> want) {
  const MetricFamily* f = find(fs, name);
  if (!f) return std::nullopt;
  for (const auto& m : f->metric) {
    bool all = true;
    for (const auto& [k, v] : want) all = all && label(m, k) == v;
    if (all) return f->type == MetricType::Counter ? m.counter.value : m.gauge.value;
  }
  return std::nullopt;
}

std::string serialize(const Families& fs) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, fs);
  return out.str();
}

RoleValues client_with(std::vector<ConnectionStats> open) {
  RoleValues r;
  r.role = "client";
  r.open = std::move(open);
  r.connections_total = r.open.size();
  return r;
}

TEST(MetricsFamilies, PathSeriesCarryRoleAndPathIdInBaseUnits) {
  RoleValues r = client_with({two_paths()});
  Families fs = braid_families(std::span(&r, 1));
  EXPECT_DOUBLE_EQ(*value(fs, "braid_path_rtt_smoothed_seconds", {{"role", "client"}, {"path_id", "0"}}), 0.04);
  EXPECT_DOUBLE_EQ(*value(fs, "braid_path_rtt_smoothed_seconds", {{"path_id", "1"}}), 0.25);
  EXPECT_DOUBLE_EQ(*value(fs, "braid_path_rtt_min_seconds", {{"path_id", "0"}}), 0.03);
  EXPECT_DOUBLE_EQ(*value(fs, "braid_path_rtt_latest_seconds", {{"path_id", "0"}}), 0.045);
  EXPECT_DOUBLE_EQ(*value(fs, "braid_path_rtt_variance_seconds", {{"path_id", "0"}}), 0.005);
  EXPECT_EQ(*value(fs, "braid_path_congestion_window_bytes", {{"path_id", "0"}}), 120000);
  EXPECT_EQ(*value(fs, "braid_path_bytes_in_flight", {{"path_id", "0"}}), 30000);
  EXPECT_EQ(*value(fs, "braid_path_pacing_rate_bytes_per_second", {{"path_id", "0"}}), 2'500'000);
  EXPECT_EQ(*value(fs, "braid_path_delivery_rate_bytes_per_second", {{"path_id", "0"}}), 2'000'000);
  EXPECT_EQ(*value(fs, "braid_path_packets_sent_total", {{"path_id", "1"}}), 1000);
  EXPECT_EQ(*value(fs, "braid_path_packets_lost_total", {{"path_id", "1"}}), 7);
  EXPECT_EQ(*value(fs, "braid_path_reinjected_bytes_total", {{"path_id", "0"}}), 22);
  EXPECT_EQ(*value(fs, "braid_path_duplicate_bytes_sent_total", {{"path_id", "0"}}), 11);
  EXPECT_EQ(*value(fs, "braid_path_mtu_bytes", {{"path_id", "0"}}), 1452);
  EXPECT_EQ(*value(fs, "braid_path_failures_total", {{"path_id", "1"}}), 1);
  EXPECT_EQ(*value(fs, "braid_path_failures_total", {{"path_id", "0"}}), 0);
  EXPECT_EQ(*value(fs, "braid_path_probes_total", {{"path_id", "1"}}), 5);
  EXPECT_EQ(*value(fs, "braid_path_backup", {{"path_id", "1"}}), 1);
  EXPECT_EQ(*value(fs, "braid_path_backup", {{"path_id", "0"}}), 0);
  EXPECT_EQ(find(fs, "braid_path_packets_sent_total")->type, MetricType::Counter);
  EXPECT_EQ(find(fs, "braid_path_rtt_smoothed_seconds")->type, MetricType::Gauge);
}

TEST(MetricsFamilies, StateAndHealthAreOneHot) {
  RoleValues r = client_with({two_paths()});
  Families fs = path_families(std::span(&r, 1));
  EXPECT_EQ(*value(fs, "braid_path_state", {{"path_id", "0"}, {"state", "active"}}), 1);
  EXPECT_EQ(*value(fs, "braid_path_state", {{"path_id", "1"}, {"state", "failed"}}), 1);
  EXPECT_EQ(*value(fs, "braid_path_health", {{"path_id", "1"}, {"health", "failed"}}), 1);
  EXPECT_EQ(*value(fs, "braid_path_health", {{"path_id", "0"}, {"health", "healthy"}}), 1);
  for (const char* id : {"0", "1"}) {
    double states = 0, healths = 0;
    for (const auto& m : find(fs, "braid_path_state")->metric) {
      if (label(m, "path_id") == id) states += m.gauge.value;
    }
    for (const auto& m : find(fs, "braid_path_health")->metric) {
      if (label(m, "path_id") == id) healths += m.gauge.value;
    }
    EXPECT_EQ(states, 1) << "path " << id;
    EXPECT_EQ(healths, 1) << "path " << id;
  }
  EXPECT_EQ(find(fs, "braid_path_health")->metric.size(), 8u);  // 4 values x 2 paths
  Families cf = connection_families(std::span(&r, 1));
  EXPECT_EQ(*value(cf, "braid_bonding_state", {{"role", "client"}, {"state", "degraded"}}), 1);
  EXPECT_EQ(*value(cf, "braid_bonding_state", {{"role", "client"}, {"state", "bonded"}}), 0);
}

TEST(MetricsFamilies, ConnectionCountersAndEndpointSeries) {
  RoleValues r = client_with({two_paths()});
  r.handshakes.observe(std::chrono::milliseconds(3));
  r.handshakes.observe(std::chrono::milliseconds(40));
  Families fs = braid_families(std::span(&r, 1));
  EXPECT_EQ(*value(fs, "braid_connection_bytes_sent_total", {{"role", "client"}}), 2'400'000);
  EXPECT_EQ(*value(fs, "braid_connection_packets_lost_total", {{"role", "client"}}), 14);
  EXPECT_EQ(*value(fs, "braid_connection_spurious_losses_total", {{"role", "client"}}), 3);
  EXPECT_EQ(*value(fs, "braid_connection_key_updates_total", {{"role", "client"}}), 1);
  EXPECT_EQ(*value(fs, "braid_connection_stream_bytes_sent_total", {{"role", "client"}}), 2'000'000);
  EXPECT_EQ(*value(fs, "braid_connections_open", {{"role", "client"}}), 1);
  const MetricFamily* hs = find(fs, "braid_handshake_duration_seconds");
  ASSERT_NE(hs, nullptr);
  EXPECT_EQ(hs->type, MetricType::Histogram);
  const auto& h = hs->metric.at(0).histogram;
  EXPECT_EQ(h.sample_count, 2u);
  EXPECT_NEAR(h.sample_sum, 0.043, 1e-9);
  for (const auto& b : h.bucket) {
    uint64_t want = b.upper_bound < 0.003 ? 0 : b.upper_bound < 0.04 ? 1 : 2;
    EXPECT_EQ(b.cumulative_count, want) << "le=" << b.upper_bound;
  }
}

// Several connections of one role: counters add up (closed ones included), numeric gauges
// take the largest, enum gauges count connections.
TEST(MetricsFamilies, ConnectionsOfARoleAggregate) {
  ConnectionStats a = two_paths(), b = two_paths();
  b.paths[0].smoothed_rtt = std::chrono::milliseconds(90);
  b.paths[0].state = PathState::kStandby;
  b.bonding = BondingState::kBonded;
  RoleValues r;
  r.role = "server";
  r.open = {a, b};
  ConnectionStats gone = two_paths();
  gone.paths.push_back(path(2, PathState::kClosed, PathHealth::kHealthy));
  fold_closed(r.closed, gone);
  fold_closed(r.closed, gone);
  Families fs = braid_families(std::span(&r, 1));
  EXPECT_EQ(*value(fs, "braid_path_packets_sent_total", {{"role", "server"}, {"path_id", "0"}}), 4000);
  EXPECT_EQ(*value(fs, "braid_path_packets_sent_total", {{"path_id", "2"}}), 2000);  // closed only
  EXPECT_EQ(*value(fs, "braid_path_suspicions_total", {{"path_id", "0"}}), 8);
  EXPECT_EQ(*value(fs, "braid_connection_bytes_sent_total", {{"role", "server"}}), 4 * 2'400'000.0);
  EXPECT_DOUBLE_EQ(*value(fs, "braid_path_rtt_smoothed_seconds", {{"path_id", "0"}}), 0.09);
  EXPECT_FALSE(value(fs, "braid_path_rtt_smoothed_seconds", {{"path_id", "2"}}));  // no open connection has it
  EXPECT_EQ(*value(fs, "braid_path_state", {{"path_id", "0"}, {"state", "active"}}), 1);
  EXPECT_EQ(*value(fs, "braid_path_state", {{"path_id", "0"}, {"state", "standby"}}), 1);
  EXPECT_EQ(*value(fs, "braid_bonding_state", {{"state", "bonded"}}), 1);
  EXPECT_EQ(*value(fs, "braid_bonding_state", {{"state", "degraded"}}), 1);
  EXPECT_EQ(*value(fs, "braid_connections_open", {{"role", "server"}}), 2);
}

TEST(MetricsFamilies, NoLabelLooksLikeAnAddressOrConnectionId) {
  RoleValues r = client_with({two_paths()});
  TransferMetricsValues t;
  t.mode = "bulk";
  RelayLinkValues link;
  link.link = "0";
  Families fs = braid_families(std::span(&r, 1));
  merge_families(fs, transfer_families(t));
  merge_families(fs, relay_families(std::span(&link, 1)));
  static const std::regex address(R"(\d+\.\d+\.\d+\.\d+|:[0-9]{2,5}$|::)");
  static const std::regex hex_id("^[0-9a-fA-F]{8,}$");
  for (const auto& f : fs) {
    EXPECT_EQ(f.name.rfind("braid_", 0), 0u) << f.name;
    EXPECT_FALSE(f.help.empty()) << f.name;
    EXPECT_EQ(f.type == MetricType::Counter, f.name.ends_with("_total")) << f.name;
    for (const auto& m : f.metric) {
      for (const auto& l : m.label) {
        EXPECT_FALSE(std::regex_search(l.value, address)) << f.name << " " << l.name << "=" << l.value;
        EXPECT_FALSE(std::regex_match(l.value, hex_id)) << f.name << " " << l.name << "=" << l.value;
        EXPECT_NE(l.name, "connection_id");
      }
    }
  }
}

TEST(MetricsFamilies, TransferHookProducesProgressAndModeOneHot) {
  TransferMetricsValues t;
  t.bytes_total = 1000;
  t.bytes_done = 250;
  t.active_streams = 4;
  t.total_streams = 9;
  t.mode = "parallel";
  t.modes = {"single", "parallel", "redundant"};
  t.throughput_bytes_per_second = 1.5e6;
  t.chunks_ok_total = 12;
  Families fs = transfer_families(t);
  EXPECT_DOUBLE_EQ(*value(fs, "braid_transfer_progress_ratio", {{"role", "client"}}), 0.25);
  EXPECT_EQ(*value(fs, "braid_transfer_bytes_transferred_total", {}), 250);
  EXPECT_EQ(*value(fs, "braid_transfer_active_streams", {}), 4);
  EXPECT_EQ(*value(fs, "braid_transfer_mode", {{"mode", "parallel"}}), 1);
  EXPECT_EQ(*value(fs, "braid_transfer_mode", {{"mode", "single"}}), 0);
  EXPECT_EQ(*value(fs, "braid_transfer_chunks_total", {{"result", "ok"}}), 12);
}

TEST(MetricsFamilies, RelayLinksPerDirection) {
  RelayLinkValues l;
  l.link = "1";
  l.up.packets_forwarded = 10;
  l.up.bytes_forwarded = 12000;
  l.down.dropped_loss = 3;
  l.down.queue_bytes = 4000;
  l.down.up = false;
  Families fs = relay_families(std::span(&l, 1));
  EXPECT_EQ(*value(fs, "braid_netem_bytes_forwarded_total", {{"link", "1"}, {"direction", "up"}}), 12000);
  EXPECT_EQ(*value(fs, "braid_netem_packets_dropped_total", {{"direction", "down"}, {"reason", "loss"}}), 3);
  EXPECT_EQ(*value(fs, "braid_netem_queue_bytes", {{"direction", "down"}}), 4000);
  EXPECT_EQ(*value(fs, "braid_netem_link_up", {{"direction", "down"}}), 0);
  EXPECT_EQ(*value(fs, "braid_netem_link_up", {{"direction", "up"}}), 1);
}

// Runs `promtool check metrics` on `text`; returns exit status and what it printed.
std::pair<int, std::string> promtool_check(const std::string& text) {
  auto file = std::filesystem::temp_directory_path() / ("braid-metrics-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(file) << text;
  std::string cmd = "/usr/bin/promtool check metrics < " + file.string() + " 2>&1";
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {-1, "popen failed"};
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = ::pclose(p);
  std::filesystem::remove(file);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(MetricsFamilies, ExpositionPassesPromtool) {
  if (!std::filesystem::exists("/usr/bin/promtool")) GTEST_SKIP() << "promtool not installed (Debian: prometheus)";
  RoleValues roles[2] = {client_with({two_paths()}), client_with({two_paths(), two_paths()})};
  roles[1].role = "server";
  roles[0].handshakes.observe(std::chrono::milliseconds(12));
  Families fs = braid_families(roles);
  TransferMetricsValues t;
  t.mode = "bulk";
  merge_families(fs, transfer_families(t));
  RelayLinkValues links[2];
  links[0].link = "0";
  links[1].link = "1";
  merge_families(fs, relay_families(links));
  std::string text = serialize(fs);
  EXPECT_NE(text.find("braid_path_rtt_smoothed_seconds{role=\"client\",path_id=\"0\"} 0.04"), std::string::npos) << text;
  EXPECT_NE(text.find("braid_handshake_duration_seconds_bucket{role=\"client\",le=\"+Inf\"} 1"), std::string::npos);
  auto [status, complaints] = promtool_check(text);
  EXPECT_EQ(status, 0) << complaints;
  EXPECT_EQ(complaints, "") << complaints;
}

}  // namespace
}  // namespace braid::metrics

// `braid sim --timeseries`: samples every interval of virtual time, per endpoint and path,
// with cumulative counters that grow; off by default (no "timeseries" key) and sampling
// does not change the run.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "sim/scenario_loader.h"
#include "sim/simulation.h"
#include "sim/summary.h"

namespace braid::sim {
namespace {

constexpr std::string_view kTwoPaths = R"(
name = "timeseries_two_paths"
[transport]
scheduler = "minrtt"
[[clients]]
name = "c"
[[clients.paths]]
name = "fast"
link = { rate_mbps = 20, delay_ms = 10, queue_bytes = 100_000 }
[[clients.paths]]
name = "slow"
link = { rate_mbps = 10, delay_ms = 30, queue_bytes = 100_000 }
[clients.workload]
kind = "bulk_download"
bytes = 3_000_000
)";

Scenario two_paths() {
  auto s = parse_scenario_toml(kTwoPaths, "test", {BRAID_TRACES_DIR});
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  return s ? *s : Scenario{};
}

SimulationResult run(const Scenario& s, std::optional<Duration> interval) {
  SimulationOptions o;
  o.timeseries_interval = interval;
  Simulation sim(s, o);
  return sim.run();
}

TEST(SimTimeseries, SamplesBothPathsAtTheInterval) {
  Scenario s = two_paths();
  auto r = run(s, std::chrono::milliseconds(100));
  ASSERT_EQ(r.clients.size(), 1u);
  ASSERT_TRUE(r.clients[0].completed) << r.clients[0].failure;
  ASSERT_TRUE(r.timeseries.has_value());
  EXPECT_DOUBLE_EQ(r.timeseries->interval_s, 0.1);

  // (side, path id) -> sample times; the sender's view of each path carries its data.
  std::map<std::pair<bool, uint64_t>, std::vector<const TimeseriesSample*>> by_path;
  for (const auto& x : r.timeseries->samples) by_path[{x.server, x.path_id}].push_back(&x);
  for (bool server : {false, true}) {
    for (uint64_t id : {0u, 1u}) {
      auto& v = by_path[{server, id}];
      ASSERT_GE(v.size(), 5u) << (server ? "server" : "client") << " path " << id;
      for (size_t k = 0; k < v.size(); ++k) {
        // On the interval grid, one sample per tick, no gaps once the path exists.
        double ticks = v[k]->t_s / 0.1;
        EXPECT_NEAR(ticks, std::round(ticks), 1e-6);
        ASSERT_TRUE(v[k]->path.has_value());
        EXPECT_EQ(*v[k]->path, id);   // path 1 was opened on the second scenario path
        if (k > 0) {
          EXPECT_NEAR(v[k]->t_s - v[k - 1]->t_s, 0.1, 1e-6);
          EXPECT_GE(v[k]->stream_bytes_sent, v[k - 1]->stream_bytes_sent);
          EXPECT_GE(v[k]->stream_bytes_received, v[k - 1]->stream_bytes_received);
        }
      }
    }
    // The server sends the download: both of its paths carried stream data with a window.
    if (server) {
      for (uint64_t id : {0u, 1u}) {
        const auto& v = by_path[{true, id}];
        EXPECT_GT(v.back()->stream_bytes_sent, 100'000u) << "path " << id;
        bool cwnd = false, srtt = false;
        for (auto* x : v) cwnd |= x->cwnd_bytes > 0, srtt |= x->srtt_ms > 0;
        EXPECT_TRUE(cwnd && srtt);
        EXPECT_FALSE(v.back()->state.empty());
        EXPECT_FALSE(v.back()->health.empty());
      }
    }
  }

  // The JSON summary has them under "timeseries".
  auto j = nlohmann::json::parse(format_summary_json(r));
  ASSERT_TRUE(j.contains("timeseries"));
  EXPECT_EQ(j["timeseries"]["interval_s"], 0.1);
  ASSERT_EQ(j["timeseries"]["samples"].size(), r.timeseries->samples.size());
  const auto& first = j["timeseries"]["samples"][0];
  for (const char* k : {"t_s", "client", "side", "path_id", "path", "path_name", "state", "health", "cwnd_bytes",
                        "bytes_in_flight", "srtt_ms", "pacing_rate_bps", "delivery_rate_bps", "stream_bytes_sent",
                        "stream_bytes_received"}) {
    EXPECT_TRUE(first.contains(k)) << k;
  }
}

TEST(SimTimeseries, OffByDefaultAndSamplingChangesNothing) {
  Scenario s = two_paths();
  auto plain = run(s, std::nullopt);
  auto sampled = run(s, std::chrono::milliseconds(50));
  EXPECT_FALSE(plain.timeseries.has_value());
  EXPECT_FALSE(nlohmann::json::parse(format_summary_json(plain)).contains("timeseries"));
  ASSERT_TRUE(sampled.timeseries.has_value());
  // Everything but the samples is the same summary.
  sampled.timeseries.reset();
  EXPECT_EQ(format_summary_json(plain), format_summary_json(sampled));
}

}  // namespace
}  // namespace braid::sim

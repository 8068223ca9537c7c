// The scheduler matrix runner (`braid sim --matrix`): rows per scenario × scheduler, the
// columns, path-rate sums, spec lists and up-front validation.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "braid/path_scheduler.h"
#include "sim/matrix.h"
#include "sim/scenario_loader.h"

namespace braid::sim {
namespace {

MatrixInput input(std::string_view toml) {
  auto s = parse_scenario_toml(toml, "test", {BRAID_TRACES_DIR});
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  MatrixInput in;
  if (s) {
    in.label = s->name;
    in.scenario = *s;
  }
  return in;
}

constexpr std::string_view kTinyBulk = R"(
name = "tiny_bulk"
time_limit_s = 10
[[clients]]
[[clients.paths]]
link = { rate_mbps = 20, delay_ms = 5 }
[[clients.paths]]
link = { rate_mbps = 10, delay_ms = 15 }
[clients.workload]
kind = "bulk_download"
bytes = 300_000
[expect]
must_complete = true
max_goodput_mbps = 0.001   # fails on purpose: the verdict column names the key
)";

constexpr std::string_view kTinyMessages = R"(
name = "tiny_messages"
time_limit_s = 10
[[clients]]
[[clients.paths]]
link = { rate_mbps = 5, delay_ms = 10 }
[[clients.workloads]]
kind = "bulk_download"
bytes = 100_000
[[clients.workloads]]
kind = "messages"
count = 10
rate_per_s = 50
[expect]
must_complete = true
)";

TEST(Matrix, RunsEveryScenarioWithEveryScheduler) {
  std::vector<MatrixInput> inputs{input(kTinyBulk), input(kTinyMessages)};
  MatrixOptions o;
  o.schedulers = {"minrtt"};
  int progress = 0;
  o.on_row = [&](const MatrixRow&, double wall) {
    progress++;
    EXPECT_GE(wall, 0.0);
  };
  auto rows = run_matrix(inputs, o);
  ASSERT_TRUE(rows.has_value()) << rows.error();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(progress, 2);
  const MatrixRow &bulk = (*rows)[0], &msgs = (*rows)[1];
  EXPECT_EQ(bulk.scenario, "tiny_bulk");
  EXPECT_EQ(bulk.scheduler, "minrtt");
  EXPECT_EQ(bulk.congestion_controller, "cubic");
  EXPECT_TRUE(bulk.completed);
  EXPECT_GT(bulk.goodput_mbps, 1.0);
  ASSERT_TRUE(bulk.capacity_mbps.has_value());
  EXPECT_DOUBLE_EQ(*bulk.capacity_mbps, 30.0);
  ASSERT_TRUE(bulk.percent_of_capacity.has_value());
  EXPECT_NEAR(*bulk.percent_of_capacity, bulk.goodput_mbps / 30 * 100, 1e-9);
  EXPECT_FALSE(bulk.message_p99_ms.has_value());
  ASSERT_EQ(bulk.expectation_failures.size(), 1u);
  EXPECT_TRUE(msgs.completed);
  ASSERT_TRUE(msgs.message_p99_ms.has_value());
  EXPECT_GE(*msgs.message_p99_ms, 10.0);  // at least the one-way delay
  EXPECT_TRUE(msgs.expectation_failures.empty());

  std::string md = format_matrix_markdown(*rows);
  EXPECT_NE(md.find("| scenario | scheduler | cc | goodput (Mbit/s) | % of path rates | longest stall (s) | "
                    "message p99 (ms) | completed | expect |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| tiny_bulk | minrtt | cubic | "), std::string::npos) << md;
  EXPECT_NE(md.find("| yes | fail: max_goodput_mbps |"), std::string::npos) << md;
  EXPECT_NE(md.find("| tiny_messages | minrtt | cubic | "), std::string::npos) << md;
  EXPECT_NE(md.find("| yes | pass |"), std::string::npos) << md;
  EXPECT_NE(md.find(" | - | yes | fail"), std::string::npos) << md;  // tiny_bulk: no message p99

  auto j = nlohmann::json::parse(format_matrix_json(*rows));
  ASSERT_EQ(j["rows"].size(), 2u);
  EXPECT_EQ(j["rows"][0]["scenario"], "tiny_bulk");
  EXPECT_TRUE(j["rows"][0]["message_p99_ms"].is_null());
  EXPECT_EQ(j["rows"][0]["capacity_mbps"], 30.0);
  EXPECT_EQ(j["rows"][1]["completed"], true);
  EXPECT_TRUE(j["rows"][1]["message_p99_ms"].is_number());
  EXPECT_EQ(j["rows"][1]["expectations_met"], true);

  // Deterministic: the same inputs give the same table.
  auto again = run_matrix(inputs, o);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(format_matrix_json(*again), format_matrix_json(*rows));
}

TEST(Matrix, DefaultsToEverySchedulerAndCrossesControllers) {
  std::vector<MatrixInput> inputs{input(kTinyMessages)};
  inputs.push_back(MatrixInput{"gone", std::nullopt, "trace 'x' not found", true});
  MatrixOptions o;
  o.congestion_controllers = {"cubic", "reno"};
  auto rows = run_matrix(inputs, o);
  ASSERT_TRUE(rows.has_value()) << rows.error();
  size_t n = path_scheduler_names().size();
  ASSERT_EQ(rows->size(), 2 * n * 2);
  EXPECT_EQ((*rows)[0].congestion_controller, "cubic");
  EXPECT_EQ((*rows)[1].congestion_controller, "reno");
  EXPECT_EQ((*rows)[0].scheduler, path_scheduler_names()[0]);
  const MatrixRow& missing = rows->back();
  EXPECT_TRUE(missing.skipped);
  EXPECT_NE(format_matrix_markdown(*rows).find("| gone | "), std::string::npos);
  EXPECT_NE(format_matrix_markdown(*rows).find("skipped: trace 'x' not found"), std::string::npos);
}

TEST(Matrix, RejectsUnknownSchedulersAndControllersUpFront) {
  std::vector<MatrixInput> inputs{input(kTinyBulk)};
  MatrixOptions o;
  o.schedulers = {"minrtt", "nosuch:x=1"};
  auto r = run_matrix(inputs, o);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("scheduler 'nosuch:x=1': unknown path scheduler 'nosuch' (known: backup, blest, ecf, lowlat, minrtt"),
            std::string::npos)
      << r.error();
  o.schedulers = {"minrtt"};
  o.congestion_controllers = {"bbr9"};
  r = run_matrix(inputs, o);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("unknown controller 'bbr9'"), std::string::npos) << r.error();
}

TEST(Matrix, SplitsSchedulerListsKeepingParameters) {
  EXPECT_EQ(split_scheduler_list("minrtt"), std::vector<std::string>{"minrtt"});
  EXPECT_EQ(split_scheduler_list("minrtt, rr:quota=4,burst=2 ,backup:inner=minrtt,lowlat"),
            (std::vector<std::string>{"minrtt", "rr:quota=4,burst=2", "backup:inner=minrtt", "lowlat"}));
  EXPECT_TRUE(split_scheduler_list("").empty());
}

TEST(Matrix, PathCapacitySumsDownlinksAndSharedLinksOnce) {
  auto s = parse_scenario_toml(R"(
name = "cap"
[links.bottleneck]
rate_mbps = 40
[[clients]]
count = 3
[[clients.paths]]
up = { rate_mbps = 5 }
down = "bottleneck"
[[clients.paths]]
link = { rate_mbps = 10 }
up = { rate_mbps = 2 }
[clients.workload]
kind = "bulk_download"
bytes = 1
)",
                               "t", {});
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_DOUBLE_EQ(*path_capacity_mbps(*s), 40 + 3 * 10);
  // Every workload sends upstream: the uplinks count.
  for (auto& w : s->clients[0].workloads) w.kind = WorkloadKind::kBulkUpload;
  EXPECT_DOUBLE_EQ(*path_capacity_mbps(*s), 3 * (5 + 2));
  // An unlimited link has no rate to compare with.
  s->clients[0].paths[1].up.config.rate_bps = 0;
  EXPECT_FALSE(path_capacity_mbps(*s).has_value());
}

}  // namespace
}  // namespace braid::sim

// Table-driven over scenarios/: every scenario loads, runs, and meets its own [expect]
// table. Trace-driven scenarios skip when the shared traces directory is absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "sim/expectations.h"
#include "sim/scenario_loader.h"
#include "sim/simulation.h"
#include "sim/summary.h"
#include "tests/sim/library_sweep.h"

namespace braid::sim {
namespace {

using sweep::scenario_files;

class ScenarioLibrary : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioLibrary, MeetsItsExpectations) {
  auto s = load_scenario(GetParam(), {BRAID_TRACES_DIR});
  if (!s && s.error().missing_trace) GTEST_SKIP() << s.error().message;
  ASSERT_TRUE(s.has_value()) << s.error().message;
  Simulation sim(*s);
  SimulationResult r = sim.run();
  auto failures = check_expectations(s->expect, r);
  for (const auto& f : failures) ADD_FAILURE() << f;
  if (!failures.empty()) std::cerr << format_summary_text(r);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, ScenarioLibrary, ::testing::ValuesIn(scenario_files()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return std::filesystem::path(info.param).stem().string();
                         });

// Every built-in scheduler completes every scenario that must complete (the workloads check
// the bytes they receive), and never completes one that must not.
struct SchedulerCase {
  std::string file, scheduler;
};
std::vector<SchedulerCase> scheduler_cases() {
  std::vector<SchedulerCase> out;
  for (const auto& f : scenario_files()) {
    for (const char* s : {"rr", "lowlat", "weighted", "blest", "ecf", "redundant", "backup:inner=rr"}) out.push_back({f, s});
  }
  return out;
}

class EveryScheduler : public ::testing::TestWithParam<SchedulerCase> {};

TEST_P(EveryScheduler, CompletesTheScenario) {
  auto s = load_scenario(GetParam().file, {BRAID_TRACES_DIR});
  if (!s && s.error().missing_trace) GTEST_SKIP() << s.error().message;
  ASSERT_TRUE(s.has_value()) << s.error().message;
  auto spec = parse_scheduler_spec(GetParam().scheduler);
  ASSERT_TRUE(spec.has_value()) << spec.error();
  s->transport.scheduler = *spec;
  sweep::run_for_completion(*s);
}

INSTANTIATE_TEST_SUITE_P(Schedulers, EveryScheduler, ::testing::ValuesIn(scheduler_cases()),
                         [](const ::testing::TestParamInfo<SchedulerCase>& info) {
                           return sweep::test_name(info.param.file, info.param.scheduler);
                         });

TEST(ScenarioLibraryContents, HasTheRequiredScenarios) {
  auto files = scenario_files();
  for (const char* name : {"clean_50mbit", "wan_two_unequal", "wifi_lte", "satellite_terrestrial", "lossy_cellular",
                           "blackhole_midtransfer", "handover", "many_clients_fairness", "request_response",
                           "datagram_flow", "aggregation_20_10", "backup_failover", "wan_two_unequal_single_path",
                           "handover_single_path", "fast_slow_50_10", "satellite_messages",
                           "satellite_messages_handshake_on_satellite", "terrestrial_messages_single_path"}) {
    bool found = std::any_of(files.begin(), files.end(), [&](const std::string& f) {
      return std::filesystem::path(f).stem() == name;
    });
    EXPECT_TRUE(found) << name;
  }
}

}  // namespace
}  // namespace braid::sim

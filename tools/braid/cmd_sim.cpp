// `braid sim`: runs a scenario file in the deterministic simulator and prints its summary
// (text or JSON). The summary depends only on the scenario and seed; wall-clock time goes
// to stderr. With --check, failed [expect] bounds make the exit status non-zero.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>

#include "sim/expectations.h"
#include "sim/scenario_loader.h"
#include "sim/simulation.h"
#include "sim/summary.h"
#include "tools/braid/subcommand.h"

namespace braid::tool {
namespace {

struct SimOptions {
  std::string file;
  std::optional<uint64_t> seed;
  std::string qlog_dir;
  std::string traces_dir;
  bool json = false;
  bool check = false;
};

// --traces-dir, else $BRAID_TRACES_DIR, else ../shared/traces next to the repository that
// holds the scenario (or the current directory), found by walking up.
std::string resolve_traces_dir(const SimOptions& o) {
  namespace fs = std::filesystem;
  if (!o.traces_dir.empty()) return o.traces_dir;
  if (const char* env = std::getenv("BRAID_TRACES_DIR"); env && *env) return env;
  std::error_code ec;
  for (fs::path start : {fs::absolute(o.file, ec).parent_path(), fs::current_path(ec)}) {
    for (fs::path d = start; !d.empty(); d = d.parent_path()) {
      fs::path candidate = d / ".." / "shared" / "traces";
      if (fs::is_directory(candidate, ec)) return fs::weakly_canonical(candidate, ec).string();
      if (d == d.parent_path()) break;
    }
  }
  return "../shared/traces";
}

void run_sim(const SimOptions& o) {
  sim::LoadOptions lo;
  lo.traces_dir = resolve_traces_dir(o);
  auto scenario = sim::load_scenario(o.file, lo);
  if (!scenario) {
    fmt::print(stderr, "braid sim: invalid scenario: {}\n", scenario.error().message);
    throw CLI::RuntimeError(2);
  }
  if (!o.qlog_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.qlog_dir, ec);
    if (ec) {
      fmt::print(stderr, "braid sim: --qlog-dir {}: {}\n", o.qlog_dir, ec.message());
      throw CLI::RuntimeError(2);
    }
  }
  sim::SimulationOptions so;
  so.seed = o.seed;
  so.qlog_dir = o.qlog_dir;
  auto wall_start = std::chrono::steady_clock::now();
  sim::SimulationResult result;
  {
    sim::Simulation simulation(*scenario, so);
    result = simulation.run();
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::cout << (o.json ? sim::format_summary_json(result) : sim::format_summary_text(result)) << std::flush;
  fmt::print(stderr, "wall time {:.3f} s for {:.3f} s of virtual time ({:.1f}x faster than real time)\n", wall,
             result.virtual_time_s, wall > 0 ? result.virtual_time_s / wall : 0.0);
  auto failures = sim::check_expectations(scenario->expect, result);
  for (const auto& f : failures) fmt::print(stderr, "expectation failed: {}\n", f);
  if (o.check && !failures.empty()) throw CLI::RuntimeError(1);
}

void setup(CLI::App& app) {
  auto opts = std::make_shared<SimOptions>();
  auto* cmd = app.add_subcommand("sim", "run a scenario in the deterministic network simulator");
  cmd->add_option("file", opts->file, "scenario file (.toml or .json)")->required();
  cmd->add_option("--seed", opts->seed, "random seed (default: the scenario's `seed`)");
  cmd->add_option("--qlog-dir", opts->qlog_dir, "write one qlog file per connection here");
  cmd->add_option("--traces-dir", opts->traces_dir,
                  "directory of Mahimahi traces (default: $BRAID_TRACES_DIR or ../shared/traces)");
  cmd->add_flag("--json", opts->json, "print the summary as JSON");
  cmd->add_flag("--check", opts->check, "exit with status 1 when an [expect] bound fails");
  cmd->callback([opts] { run_sim(*opts); });
}

}  // namespace

BRAID_SUBCOMMAND(sim, "sim", setup);

}  // namespace braid::tool

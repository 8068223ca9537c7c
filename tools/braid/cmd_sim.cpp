// `braid sim`: runs a scenario file in the deterministic simulator and prints its summary
// (text or JSON). The summary depends only on the scenario and seed; wall-clock time goes
// to stderr. With --check, failed [expect] bounds make the exit status non-zero.
// --scheduler/--cc override the scenario's transport; --matrix runs scenarios × schedulers
// (× controllers) and prints one comparison table (src/sim/matrix.h).
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>

#include "sim/expectations.h"
#include "sim/matrix.h"
#include "sim/scenario_loader.h"
#include "sim/simulation.h"
#include "sim/summary.h"
#include "tools/braid/subcommand.h"
#include "tools/braid/units.h"

namespace braid::tool {
namespace {

struct SimOptions {
  std::string file;
  std::optional<uint64_t> seed;
  std::string qlog_dir;
  std::string traces_dir;
  bool json = false;
  bool check = false;
  std::string scheduler;             // --scheduler SPEC
  std::vector<std::string> cc;       // --cc NAME (a list with --matrix)
  std::string failure_detector;      // --failure-detector SPEC|off
  bool matrix = false;
  std::vector<std::string> scenarios;
  std::optional<std::string> dir;        // --dir (default scenarios/)
  std::vector<std::string> schedulers;  // --schedulers LIST (may repeat)
  std::string timeseries;                // --timeseries INTERVAL (JSON summary only)
};

[[noreturn]] void usage_error(const std::string& msg) {
  fmt::print(stderr, "braid sim: {}\n", msg);
  throw CLI::RuntimeError(2);
}

// --traces-dir, else $BRAID_TRACES_DIR, else ../shared/traces next to the repository that
// holds the scenario (or the current directory), found by walking up.
std::string resolve_traces_dir(const SimOptions& o, const std::string& file) {
  namespace fs = std::filesystem;
  if (!o.traces_dir.empty()) return o.traces_dir;
  if (const char* env = std::getenv("BRAID_TRACES_DIR"); env && *env) return env;
  std::error_code ec;
  for (fs::path start : {fs::absolute(file, ec).parent_path(), fs::current_path(ec)}) {
    for (fs::path d = start; !d.empty(); d = d.parent_path()) {
      fs::path candidate = d / ".." / "shared" / "traces";
      if (fs::is_directory(candidate, ec)) return fs::weakly_canonical(candidate, ec).string();
      if (d == d.parent_path()) break;
    }
  }
  return "../shared/traces";
}

void run_matrix(const SimOptions& o) {
  if (!o.qlog_dir.empty()) usage_error("--qlog-dir is not supported with --matrix");
  if (!o.timeseries.empty()) usage_error("--timeseries is not supported with --matrix");
  std::vector<std::string> files = o.scenarios;
  if (!o.file.empty()) files.push_back(o.file);
  if (files.empty()) {
    std::string dir = o.dir.value_or("scenarios");
    files = sim::scenario_files_in(dir);
    if (files.empty()) usage_error(fmt::format("--dir {}: no .toml or .json scenarios there", dir));
  }
  sim::MatrixOptions mo;
  for (const auto& list : o.schedulers) {
    for (auto& s : sim::split_scheduler_list(list)) mo.schedulers.push_back(std::move(s));
  }
  if (!o.scheduler.empty()) mo.schedulers.push_back(o.scheduler);
  mo.congestion_controllers = o.cc;
  mo.seed = o.seed;
  std::vector<sim::MatrixInput> inputs;
  bool invalid = false;
  for (const auto& f : files) {
    sim::LoadOptions lo;
    lo.traces_dir = resolve_traces_dir(o, f);
    inputs.push_back(sim::load_matrix_input(f, lo));
    if (!inputs.back().scenario) {
      fmt::print(stderr, "braid sim: {}: {}\n", inputs.back().missing_trace ? "skipped" : "invalid scenario",
                 inputs.back().error);
      invalid = invalid || !inputs.back().missing_trace;
    }
  }
  size_t done = 0;
  double wall_total = 0;
  mo.on_row = [&](const sim::MatrixRow& r, double wall) {
    done++;
    wall_total += wall;
    if (!r.error.empty()) return;
    fmt::print(stderr, "[{}] {} / {} / {}: {}, {:.3f} s virtual, {:.3f} s wall\n", done, r.scenario, r.scheduler,
               r.congestion_controller, r.completed ? "completed" : "not completed", r.virtual_time_s, wall);
  };
  auto wall_start = std::chrono::steady_clock::now();
  auto rows = sim::run_matrix(inputs, mo);
  if (!rows) usage_error(rows.error());
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::cout << (o.json ? sim::format_matrix_json(*rows) : sim::format_matrix_markdown(*rows)) << std::flush;
  size_t failed = 0;
  for (const auto& r : *rows) failed += r.error.empty() && !r.expectation_failures.empty();
  fmt::print(stderr, "matrix: {} runs in {:.3f} s wall time; {} with failed [expect] bounds\n", rows->size(), wall,
             failed);
  if (invalid) throw CLI::RuntimeError(2);
  if (o.check && failed) throw CLI::RuntimeError(1);
}

void run_sim(const SimOptions& o) {
  if (o.matrix) return run_matrix(o);
  if (o.file.empty()) usage_error("a scenario FILE is required (or --matrix)");
  if (!o.scenarios.empty() || !o.schedulers.empty() || o.dir) {
    usage_error("--scenarios, --schedulers and --dir need --matrix");
  }
  if (o.cc.size() > 1) usage_error("--cc takes one name without --matrix");
  sim::LoadOptions lo;
  lo.traces_dir = resolve_traces_dir(o, o.file);
  auto scenario = sim::load_scenario(o.file, lo);
  if (!scenario) {
    fmt::print(stderr, "braid sim: invalid scenario: {}\n", scenario.error().message);
    throw CLI::RuntimeError(2);
  }
  // Overrides for sweeps, checked like the scenario's own keys.
  if (!o.scheduler.empty()) {
    auto spec = sim::parse_scheduler_spec(o.scheduler);
    if (!spec) usage_error(fmt::format("--scheduler: {}", spec.error()));
    scenario->transport.scheduler = std::move(*spec);
  }
  if (!o.cc.empty()) {
    if (auto ok = sim::check_congestion_controller(o.cc[0]); !ok) usage_error(fmt::format("--cc: {}", ok.error()));
    scenario->transport.congestion_controller = o.cc[0];
  }
  if (!o.failure_detector.empty()) {
    FailureDetectionConfig probe;
    if (auto ok = set_failure_detector(probe, o.failure_detector); !ok) {
      usage_error(fmt::format("--failure-detector: {}", ok.error()));
    }
    scenario->transport.failure_detector = o.failure_detector;
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
  if (!o.timeseries.empty()) {
    // The samples only appear in the JSON summary; asking for them without --json is a slip.
    if (!o.json) usage_error("--timeseries needs --json (the samples go into the JSON summary)");
    auto d = parse_duration(o.timeseries);
    if (!d) usage_error(fmt::format("--timeseries: {}", d.error()));
    if (*d < std::chrono::milliseconds(1)) usage_error("--timeseries: at least 1ms");
    so.timeseries_interval = *d;
  }
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
  cmd->add_option("file", opts->file, "scenario file (.toml or .json); with --matrix, one more scenario");
  cmd->add_option("--seed", opts->seed, "random seed (default: the scenario's `seed`)");
  cmd->add_option("--qlog-dir", opts->qlog_dir, "write one qlog file per connection here");
  cmd->add_option("--traces-dir", opts->traces_dir,
                  "directory of Mahimahi traces (default: $BRAID_TRACES_DIR or ../shared/traces)");
  cmd->add_flag("--json", opts->json, "print the summary as JSON");
  cmd->add_option("--timeseries", opts->timeseries,
                  "with --json: sample every path of both endpoints every INTERVAL of virtual time (e.g. 100ms) "
                  "into the summary's \"timeseries\" (input for `braid plot`)");
  cmd->add_flag("--check", opts->check, "exit with status 1 when an [expect] bound fails (any row with --matrix)");
  cmd->add_option("--scheduler", opts->scheduler,
                  "path scheduler spec NAME[:k=v,...], overriding the scenario's [transport] scheduler");
  cmd->add_option("--cc", opts->cc,
                  "congestion controller overriding the scenario's; with --matrix a comma-separated list "
                  "(default: each scenario's own)")
      ->delimiter(',');
  cmd->add_option("--failure-detector", opts->failure_detector,
                  "path failure detector spec NAME[:k=v,...] (fast, pf, phi) or off, overriding the scenario's");
  cmd->add_flag("--matrix", opts->matrix,
                "run scenarios x schedulers (x controllers) and print one table (Markdown, or JSON with --json)");
  cmd->add_option("--scenarios", opts->scenarios, "with --matrix: scenario files (default: every .toml in --dir)");
  cmd->add_option("--dir", opts->dir, "with --matrix: directory of scenarios (default: scenarios/)");
  cmd->add_option("--schedulers", opts->schedulers,
                  "with --matrix: comma-separated scheduler specs, e.g. minrtt,rr:quota=4 "
                  "(default: every registered scheduler)");
  cmd->callback([opts] { run_sim(*opts); });
}

}  // namespace

BRAID_SUBCOMMAND(sim, "sim", setup);

}  // namespace braid::tool

// Scheduler comparison: runs scenarios × path schedulers (× congestion controllers) in the
// simulator, one run per cell with the scenario's own seed, and tabulates goodput (and its
// share of the paths' rates), the longest stall, message p99 latency, completion and the
// scenario's own [expect] verdict. `braid sim --matrix` prints the table (docs/simulator.md).
#pragma once
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "braid/plugin_params.h"
#include "sim/scenario.h"
#include "sim/scenario_loader.h"

namespace braid::sim {

// One scenario to run, or why it cannot run (an invalid file, a missing trace).
struct MatrixInput {
  std::string label;  // the scenario's name (or the file, when it did not load)
  std::optional<Scenario> scenario;
  std::string error;
  bool missing_trace = false;
};

struct MatrixRow {
  std::string scenario, scheduler, congestion_controller;
  std::string error;        // non-empty: not run (the row's other values are empty)
  bool skipped = false;     // not run because a trace is missing
  bool completed = false;   // every client completed every workload
  // One client: its goodput. Several: their goodput bytes over the time from the first
  // client's begin to the last one's end (a sum of per-client rates could exceed a shared
  // link's rate when clients finish at different times). 0 unless every client completed.
  double goodput_mbps = 0;
  std::optional<double> capacity_mbps;       // path_capacity_mbps() of the scenario
  std::optional<double> percent_of_capacity;
  double longest_stall_s = 0;                // the longest of any client
  std::optional<double> message_p99_ms;      // the worst client's p99, when any workload sends messages
  double virtual_time_s = 0;
  std::vector<std::string> expectation_failures;  // check_expectations() of the scenario's [expect]
};

struct MatrixOptions {
  // Scheduler specs ("minrtt", "rr:quota=4"); empty: every name in path_scheduler_names().
  std::vector<std::string> schedulers;
  // Congestion controller names; empty: each scenario's own.
  std::vector<std::string> congestion_controllers;
  std::optional<uint64_t> seed;  // overrides every scenario's seed
  // Called after each row (progress), with the wall-clock seconds the run took.
  std::function<void(const MatrixRow&, double wall_s)> on_row;
};

// Every .toml and .json file directly in `dir`, sorted (empty when `dir` is not a directory).
std::vector<std::string> scenario_files_in(const std::string& dir);
// Loads one file; a file that does not load becomes an input that reports why.
MatrixInput load_matrix_input(const std::string& file, const LoadOptions& opts);

// The sum of the rates of the links the scenario's clients receive on: each path's downlink
// (uplink when every workload of every client sends upstream), a shared link counted once,
// a client with `count` = N counted N times. Initial rates: link events are ignored. nullopt
// when a link is trace-driven or unlimited (rate 0).
std::optional<double> path_capacity_mbps(const Scenario& s);

// "minrtt,rr:quota=4,x=1,lowlat" → {"minrtt", "rr:quota=4,x=1", "lowlat"}: a comma starts a
// new spec unless the piece after it is a key=value without a ':' (a further parameter).
std::vector<std::string> split_scheduler_list(std::string_view list);

// Validates the schedulers and controllers first (an error lists what is known), then runs
// every input × scheduler × controller in that order.
std::expected<std::vector<MatrixRow>, std::string> run_matrix(const std::vector<MatrixInput>& inputs,
                                                              const MatrixOptions& opts);

std::string format_matrix_markdown(const std::vector<MatrixRow>& rows);
std::string format_matrix_json(const std::vector<MatrixRow>& rows);

}  // namespace braid::sim

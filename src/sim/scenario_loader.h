// Reads scenario files (TOML, or the same structure as JSON) into a Scenario, validating
// every key: errors name the file and the key path ("clients[0].paths[1].up.rate_mbps").
// Trace files are resolved against a traces directory; the format is in docs/simulator.md.
#pragma once
#include <expected>
#include <string>
#include <string_view>

#include "sim/scenario.h"

namespace braid::sim {

struct ScenarioError {
  std::string message;
  bool missing_trace = false;  // a trace file (or the traces directory) was not found
};

struct LoadOptions {
  std::string traces_dir;  // where `trace = "NAME"` files are looked up
};

// The checks [transport] applies, shared with command-line overrides (`braid sim --scheduler
// --cc`, the matrix): a scheduler spec ("minrtt", "rr:quota=4") is parsed with
// parse_plugin_spec() and created once with make_path_scheduler(), so unknown names (the
// message lists the known ones) and bad parameters fail here rather than at connect.
std::expected<PluginSpec, std::string> parse_scheduler_spec(std::string_view text);
std::expected<void, std::string> check_congestion_controller(std::string_view name);

// Format by extension: .json is JSON, anything else TOML.
std::expected<Scenario, ScenarioError> load_scenario(const std::string& path, const LoadOptions& opts);
// Parses text; `origin` names the source in errors.
std::expected<Scenario, ScenarioError> parse_scenario_toml(std::string_view text, std::string_view origin,
                                                           const LoadOptions& opts);
std::expected<Scenario, ScenarioError> parse_scenario_json(std::string_view text, std::string_view origin,
                                                           const LoadOptions& opts);

}  // namespace braid::sim

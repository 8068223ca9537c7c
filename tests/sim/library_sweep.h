// Shared by the sweeps over scenarios/ (every scheduler, every congestion controller): the
// scenario files, and a run that only has to complete what must complete (and never what
// must not), with the failures reported and the run's summary printed when there are any.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "sim/expectations.h"
#include "sim/simulation.h"
#include "sim/summary.h"

namespace braid::sim::sweep {

inline std::vector<std::string> scenario_files() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(BRAID_SCENARIOS_DIR)) {
    if (e.path().extension() == ".toml" || e.path().extension() == ".json") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// "<scenario stem>_<variant>" with every other character made '_' (a gtest name).
inline std::string test_name(const std::string& file, const std::string& variant) {
  std::string n = std::filesystem::path(file).stem().string() + "_" + variant;
  for (auto& c : n) if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

inline SimulationResult run_for_completion(const Scenario& s) {
  SimulationResult r = Simulation(s).run();
  Expectations only_completion;
  only_completion.must_complete = s.expect.must_complete;
  only_completion.must_not_complete = s.expect.must_not_complete;
  auto failures = check_expectations(only_completion, r);
  for (const auto& f : failures) ADD_FAILURE() << f;
  if (!failures.empty()) std::cerr << format_summary_text(r);
  return r;
}

}  // namespace braid::sim::sweep

// Failure-detection and RTT-prior flags; see detection_flags.h.
#include "tools/braid/detection_flags.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "braid/failure_detector.h"
#include "io/rtt_cache_file.h"
#include "tools/braid/tool_support.h"
#include "tools/braid/units.h"

namespace braid::tool {

void add_detection_flags(CLI::App* cmd, DetectionFlags& f) {
  cmd->add_option("--failure-detector", f.detector,
                  fmt::format("path failure detector NAME[:k=v,...] ({}) or off", fmt::join(failure_detector_names(), ", ")))
      ->capture_default_str();
  cmd->add_option("--path-probe-interval", f.probe_interval,
                  "PING idle and backup paths this often while another path is busy (0s: never)")
      ->capture_default_str();
  cmd->add_option("--on-failure", f.on_failure, "a failed path becomes FAILED (fail) or a local backup (standby)")
      ->capture_default_str();
  cmd->add_option("--abandon-failed-after", f.abandon_after,
                  "abandon a path failed this long (PATH_ABANDON, PATH_UNSTABLE_OR_POOR); 0s keeps probing it")
      ->capture_default_str();
}

FailureDetectionConfig detection_config(const std::string& cmd, const DetectionFlags& f) {
  FailureDetectionConfig c;
  if (auto ok = set_failure_detector(c, f.detector); !ok) {
    fail_command(cmd, fmt::format("--failure-detector {}: {}", f.detector, ok.error()), 2);
  }
  auto interval = parse_duration(f.probe_interval);
  if (!interval || interval->count() < 0) {
    fail_command(cmd, fmt::format("--path-probe-interval {}: {}", f.probe_interval,
                                  interval ? "cannot be negative" : interval.error()), 2);
  }
  c.probe_interval = *interval;
  auto policy = parse_on_failure(f.on_failure);
  if (!policy) fail_command(cmd, fmt::format("--on-failure: {}", policy.error()), 2);
  c.on_failure = *policy;
  auto abandon = parse_duration(f.abandon_after);
  if (!abandon || abandon->count() < 0) {
    fail_command(cmd, fmt::format("--abandon-failed-after {}: {}", f.abandon_after,
                                  abandon ? "cannot be negative" : abandon.error()), 2);
  }
  c.abandon_after = *abandon;
  return c;
}

std::shared_ptr<RttPriorStore> load_rtt_cache_flag(const std::string& cmd, const std::string& path) {
  auto store = std::make_shared<RttPriorStore>();
  if (path.empty()) return store;
  if (auto ok = io::load_rtt_cache(path, *store); !ok) {
    fmt::print(stderr, "braid {}: --rtt-cache {}: {} (starting without priors)\n", cmd, path, ok.error());
  }
  return store;
}

void save_rtt_cache_flag(const std::string& cmd, const std::string& path, const RttPriorStore& store) {
  if (path.empty()) return;
  if (auto ok = io::save_rtt_cache(path, store); !ok) {
    fmt::print(stderr, "braid {}: --rtt-cache {}: {}\n", cmd, path, ok.error());
  }
}

}  // namespace braid::tool

// Failure-detection and RTT-prior flags shared by client, server, perf and demo:
// --failure-detector SPEC|off, --path-probe-interval DUR, --on-failure fail|standby,
// --abandon-failed-after DUR, and the client's --rtt-cache FILE.
#pragma once
#include <memory>
#include <string>

#include "braid/config.h"
#include "braid/rtt_prior.h"

namespace CLI {
class App;
}

namespace braid::tool {

struct DetectionFlags {
  std::string detector = "fast";
  std::string probe_interval = "1s";
  std::string on_failure = "fail";
  std::string abandon_after = "0s";
};

void add_detection_flags(CLI::App* cmd, DetectionFlags& f);
// The configuration the flags describe; a bad value ends `cmd` with exit code 2 and says
// what is accepted.
FailureDetectionConfig detection_config(const std::string& cmd, const DetectionFlags& f);

// --rtt-cache FILE: a store loaded from FILE (missing: empty; unreadable or corrupt: a
// warning and an empty store, the run goes on), and saving it back after the run.
std::shared_ptr<RttPriorStore> load_rtt_cache_flag(const std::string& cmd, const std::string& path);
void save_rtt_cache_flag(const std::string& cmd, const std::string& path, const RttPriorStore& store);

}  // namespace braid::tool

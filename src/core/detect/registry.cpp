// Failure detector registry: detectors are created by name plus parameters; the built-in
// ones (fast, pf, phi) are listed here and applications add theirs at run time.
#include <fmt/format.h>

#include <map>
#include <mutex>

#include "braid/failure_detector.h"
#include "core/detect/fast_detector.h"
#include "core/detect/phi_accrual.h"
#include "core/detect/potentially_failed.h"

namespace braid {

namespace {
using Registry = std::map<std::string, FailureDetectorFactory, std::less<>>;

Registry& registry() {
  static Registry r = {
      {"fast", detect::FastDetector::create},
      {"pf", detect::PotentiallyFailedDetector::create},
      {"phi", detect::PhiAccrualDetector::create},
  };
  return r;
}
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
}  // namespace

std::string_view liveness_name(Liveness l) {
  switch (l) {
    case Liveness::kLive: return "live";
    case Liveness::kSuspect: return "suspect";
    case Liveness::kDown: return "down";
  }
  return "unknown";
}

std::expected<std::unique_ptr<FailureDetector>, std::string> make_failure_detector(const PluginSpec& spec) {
  FailureDetectorFactory factory;
  {
    std::lock_guard lock(registry_mutex());
    auto it = registry().find(spec.name);
    if (it == registry().end()) {
      std::vector<std::string> names;
      for (auto& [n, f] : registry()) names.push_back(n);
      return std::unexpected(
          fmt::format("unknown failure detector '{}' (known: {})", spec.name, fmt::join(names, ", ")));
    }
    factory = it->second;
  }
  auto d = factory(spec.params);   // outside the lock: a factory may itself use the registry
  if (d && !*d) return std::unexpected(fmt::format("failure detector '{}' could not be created", spec.name));
  return d;
}

void register_failure_detector(std::string name, FailureDetectorFactory factory) {
  std::lock_guard lock(registry_mutex());
  registry()[std::move(name)] = std::move(factory);
}

std::vector<std::string> failure_detector_names() {
  std::lock_guard lock(registry_mutex());
  std::vector<std::string> out;
  for (auto& [n, f] : registry()) out.push_back(n);
  return out;
}

}  // namespace braid

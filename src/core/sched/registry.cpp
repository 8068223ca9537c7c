// Path scheduler registry: schedulers are created by name; "minrtt" is built in.
#include <algorithm>
#include <map>
#include <mutex>

#include "braid/path_scheduler.h"
#include "core/sched/min_rtt.h"

namespace braid {

namespace {
std::map<std::string, PathSchedulerFactory, std::less<>>& registry() {
  static std::map<std::string, PathSchedulerFactory, std::less<>> r = {
      {"minrtt", [] { return std::make_unique<sched::MinRttScheduler>(); }},
  };
  return r;
}
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
}  // namespace

std::unique_ptr<PathScheduler> make_path_scheduler(std::string_view name) {
  std::lock_guard lock(registry_mutex());
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : it->second();
}

void register_path_scheduler(std::string name, PathSchedulerFactory factory) {
  std::lock_guard lock(registry_mutex());
  registry()[std::move(name)] = std::move(factory);
}

std::vector<std::string> path_scheduler_names() {
  std::lock_guard lock(registry_mutex());
  std::vector<std::string> out;
  for (auto& [n, f] : registry()) out.push_back(n);
  return out;
}

}  // namespace braid

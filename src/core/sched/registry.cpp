// Path scheduler registry: schedulers are created by name plus parameters; the built-in
// ones are listed in builtin_schedulers() and applications add theirs at run time.
#include <fmt/format.h>

#include <map>
#include <mutex>

#include "braid/path_scheduler.h"
#include "core/sched/builtin.h"

namespace braid {

namespace {
std::map<std::string, PathSchedulerFactory, std::less<>>& registry() {
  static std::map<std::string, PathSchedulerFactory, std::less<>> r = sched::builtin_schedulers();
  return r;
}
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
}  // namespace

std::expected<std::unique_ptr<PathScheduler>, std::string> make_path_scheduler(const SchedulerConfig& cfg) {
  PathSchedulerFactory factory;
  {
    std::lock_guard lock(registry_mutex());
    auto it = registry().find(cfg.name);
    if (it == registry().end()) {
      std::vector<std::string> names;
      for (auto& [n, f] : registry()) names.push_back(n);
      return std::unexpected(
          fmt::format("unknown path scheduler '{}' (known: {})", cfg.name, fmt::join(names, ", ")));
    }
    factory = it->second;
  }
  auto s = factory(cfg.params);
  if (s && !*s) return std::unexpected(fmt::format("path scheduler '{}' could not be created", cfg.name));
  return s;
}

void register_path_scheduler(std::string name, PathSchedulerFactory factory) {
  std::lock_guard lock(registry_mutex());
  registry()[std::move(name)] = std::move(factory);
}

void register_path_scheduler(std::string name, std::function<std::unique_ptr<PathScheduler>()> factory) {
  std::string n = name;
  register_path_scheduler(std::move(name),
                          [n, factory](const PluginParams& params) -> std::expected<std::unique_ptr<PathScheduler>, std::string> {
                            ParamReader r(n, params);
                            if (auto ok = r.finish(); !ok) return std::unexpected(ok.error());
                            return factory();
                          });
}

std::expected<SchedulerConfig, std::string> parse_scheduler_config(std::string_view text) {
  auto spec = parse_plugin_spec(text);
  if (!spec) return std::unexpected(spec.error());
  if (auto s = make_path_scheduler(*spec); !s) return std::unexpected(s.error());
  return *spec;
}

std::vector<std::string> path_scheduler_names() {
  std::lock_guard lock(registry_mutex());
  std::vector<std::string> out;
  for (auto& [n, f] : registry()) out.push_back(n);
  return out;
}

}  // namespace braid

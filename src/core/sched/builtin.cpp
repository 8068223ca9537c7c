// One line per built-in scheduler: its name and how its parameters are read.
#include "core/sched/builtin.h"

#include "core/sched/min_rtt.h"

namespace braid::sched {

namespace {
template <typename S>
PathSchedulerFactory plain(std::string name) {
  return [name](const PluginParams& params) -> std::expected<std::unique_ptr<PathScheduler>, std::string> {
    ParamReader r(name, params);
    if (auto ok = r.finish(); !ok) return std::unexpected(ok.error());
    return std::make_unique<S>();
  };
}
}  // namespace

std::map<std::string, PathSchedulerFactory, std::less<>> builtin_schedulers() {
  return {
      {"minrtt", plain<MinRttScheduler>("minrtt")},
  };
}

}  // namespace braid::sched

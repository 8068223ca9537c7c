// One line per built-in scheduler: its name and how its parameters are read.
#include "core/sched/builtin.h"

#include "core/sched/backup.h"
#include "core/sched/blest.h"
#include "core/sched/ecf.h"
#include "core/sched/low_latency.h"
#include "core/sched/min_rtt.h"
#include "core/sched/redundant.h"
#include "core/sched/round_robin.h"
#include "core/sched/weighted.h"

namespace braid::sched {

namespace {
using Made = std::expected<std::unique_ptr<PathScheduler>, std::string>;

// A factory that reads its parameters with `read` and builds the scheduler from them.
template <typename Read>
PathSchedulerFactory with_params(std::string name, Read read) {
  return [name, read](const PluginParams& params) -> Made {
    ParamReader r(name, params);
    auto s = read(r);
    if (auto ok = r.finish(); !ok) return std::unexpected(ok.error());
    return Made(std::move(s));
  };
}

template <typename S>
PathSchedulerFactory plain(std::string name) {
  return with_params(name, [](ParamReader&) -> std::unique_ptr<PathScheduler> { return std::make_unique<S>(); });
}
}  // namespace

std::map<std::string, PathSchedulerFactory, std::less<>> builtin_schedulers() {
  return {
      {"minrtt", plain<MinRttScheduler>("minrtt")},
      {"rr", with_params("rr", [](ParamReader& r) -> std::unique_ptr<PathScheduler> {
         return std::make_unique<RoundRobinScheduler>(r.count("quota", 1, 1, 1000));
       })},
      {"lowlat", with_params("lowlat", [](ParamReader& r) -> std::unique_ptr<PathScheduler> {
         return std::make_unique<LowLatencyScheduler>(r.number("rtt_bias", 0.5, 0.0, 1.0));
       })},
      {"weighted", with_params("weighted", [](ParamReader& r) -> std::unique_ptr<PathScheduler> {
         return std::make_unique<WeightedScheduler>(r.count("history", 262144, 16384, uint64_t{1} << 30));
       })},
      {"blest", with_params("blest", [](ParamReader& r) -> std::unique_ptr<PathScheduler> {
         return std::make_unique<BlestScheduler>(r.number("lambda", 1.2, 0.5, 4.0));
       })},
      {"ecf", with_params("ecf", [](ParamReader& r) -> std::unique_ptr<PathScheduler> {
         return std::make_unique<EcfScheduler>(r.number("beta", 0.25, 0.0, 1.0));
       })},
      {"redundant", with_params("redundant", [](ParamReader& r) -> std::unique_ptr<PathScheduler> {
         return std::make_unique<RedundantScheduler>(r.count("paths", 0, 0, PathChoice::kMaxPaths));
       })},
      {"backup", make_backup_scheduler},
  };
}

}  // namespace braid::sched

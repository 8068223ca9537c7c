// The backup wrapper's view of the paths and its factory.
#include "core/sched/backup.h"

#include <fmt/format.h>

#include <vector>

#include "core/sched/affinity.h"
#include "core/sched/usable.h"

namespace braid::sched {

PathChoice BackupScheduler::select(std::span<const PathSnapshot> paths, const SendIntent& intent, TimePoint now) {
  if (auto pinned = pinned_choice(paths, intent)) return *pinned;
  bool tier = backup_tier(paths);
  std::vector<PathSnapshot> view;
  for (auto& p : paths) {
    if (p.backup != tier) continue;
    view.push_back(p);
    view.back().backup = false;
  }
  PathChoice inner = inner_->select(view, intent, now);   // kept alive: paths() is a view into it
  PathChoice out;
  for (PathId id : inner.paths()) {
    for (auto& p : view) {
      if (p.path_id == id && p.can_send_now) out.add(id);
    }
  }
  return out;
}

std::expected<std::unique_ptr<PathScheduler>, std::string> make_backup_scheduler(const PluginParams& params) {
  PluginParams own, rest;
  for (auto& [k, v] : params) (k == "inner" ? own : rest).emplace(k, v);
  ParamReader r("backup", own);
  std::string inner = r.text("inner", "minrtt");
  if (auto ok = r.finish(); !ok) return std::unexpected(ok.error());
  if (inner == "backup") return std::unexpected(std::string("backup: parameter inner=backup would wrap itself"));
  auto s = make_path_scheduler(SchedulerConfig{inner, rest});
  if (!s) return std::unexpected(fmt::format("backup: parameter inner={}: {}", inner, s.error()));
  return std::make_unique<BackupScheduler>(std::move(*s), "backup:inner=" + inner);
}

}  // namespace braid::sched

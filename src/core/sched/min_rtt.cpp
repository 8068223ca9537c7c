// min-RTT path selection with backup semantics and path affinity.
#include "core/sched/min_rtt.h"

#include "core/sched/usable.h"

namespace braid::sched {

PathChoice MinRttScheduler::select(std::span<const PathSnapshot> paths, const SendIntent& intent,
                                              TimePoint) {
  if (intent.affinity) {
    for (auto& p : paths) {
      if (p.path_id == *intent.affinity && usable(p)) return p.can_send_now ? PathChoice::one(p.path_id) : PathChoice{};
    }
    // The pinned path is gone: fall through to the normal choice.
  }
  for (bool backup_pass : {false, true}) {
    const PathSnapshot* best = nullptr;
    bool any_usable = false;
    for (auto& p : paths) {
      if (!usable(p) || p.backup != backup_pass) continue;
      any_usable = true;
      if (!p.can_send_now) continue;
      // Paths without an RTT sample sort last but still get traffic (they need samples).
      auto key = [](const PathSnapshot& s) { return s.has_rtt_sample ? s.smoothed_rtt : Duration::max(); };
      if (!best || key(p) < key(*best) || (key(p) == key(*best) && p.path_id < best->path_id)) best = &p;
    }
    if (best) return PathChoice::one(best->path_id);
    if (any_usable) return {};   // usable non-backup paths are only full: wait
  }
  return {};
}

}  // namespace braid::sched

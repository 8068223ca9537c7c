// min-RTT path selection with backup semantics and path affinity.
#include "core/sched/min_rtt.h"

#include "core/sched/affinity.h"
#include "core/sched/usable.h"

namespace braid::sched {

bool rtt_before(const PathSnapshot& a, const PathSnapshot& b) {
  // Paths without an RTT sample sort last but still get traffic (they need samples).
  auto key = [](const PathSnapshot& s) { return s.has_rtt_sample ? s.smoothed_rtt : Duration::max(); };
  if (key(a) != key(b)) return key(a) < key(b);
  return a.path_id < b.path_id;
}

const PathSnapshot* lowest_rtt(std::span<const PathSnapshot> paths, bool backup_tier, bool must_send) {
  const PathSnapshot* best = nullptr;
  for (auto& p : paths) {
    if (!eligible(p, backup_tier) || (must_send && !p.can_send_now)) continue;
    if (!best || rtt_before(p, *best)) best = &p;
  }
  return best;
}

PathChoice MinRttScheduler::select(std::span<const PathSnapshot> paths, const SendIntent& intent, TimePoint) {
  if (auto pinned = pinned_choice(paths, intent)) return *pinned;
  // Usable non-backup paths that are only full mean wait, not a backup path.
  const PathSnapshot* best = lowest_rtt(paths, backup_tier(paths), true);
  return best ? PathChoice::one(best->path_id) : PathChoice{};
}

}  // namespace braid::sched

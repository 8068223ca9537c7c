// Redundant sending, best path first.
#include "core/sched/redundant.h"

#include <algorithm>
#include <vector>

#include "core/sched/affinity.h"
#include "core/sched/min_rtt.h"
#include "core/sched/usable.h"

namespace braid::sched {

PathChoice RedundantScheduler::select(std::span<const PathSnapshot> paths, const SendIntent& intent, TimePoint) {
  if (auto pinned = pinned_choice(paths, intent)) return *pinned;
  bool tier = backup_tier(paths);
  std::vector<const PathSnapshot*> ready;
  for (auto& p : paths) {
    if (eligible(p, tier) && p.can_send_now) ready.push_back(&p);
  }
  std::sort(ready.begin(), ready.end(), [](auto* a, auto* b) { return rtt_before(*a, *b); });
  size_t n = carries_data(intent.kind) ? (paths_ == 0 ? ready.size() : paths_) : 1;
  PathChoice c;
  for (size_t i = 0; i < ready.size() && i < n; ++i) c.add(ready[i]->path_id);
  return c;
}

}  // namespace braid::sched

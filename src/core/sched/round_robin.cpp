// Round-robin with a burst quota per turn.
#include "core/sched/round_robin.h"

#include "core/sched/affinity.h"
#include "core/sched/usable.h"

namespace braid::sched {

PathChoice RoundRobinScheduler::select(std::span<const PathSnapshot> paths, const SendIntent& intent, TimePoint) {
  if (auto pinned = pinned_choice(paths, intent)) return *pinned;
  bool tier = backup_tier(paths);
  // Among the paths that can send: the current one, the next id after it, the lowest id.
  const PathSnapshot *current = nullptr, *next = nullptr, *first = nullptr;
  for (auto& p : paths) {
    if (!eligible(p, tier) || !p.can_send_now) continue;
    if (!first || p.path_id < first->path_id) first = &p;
    if (!current_) continue;
    if (p.path_id == *current_) current = &p;
    if (p.path_id > *current_ && (!next || p.path_id < next->path_id)) next = &p;
  }
  if (current && used_ < quota_) return PathChoice::one(current->path_id);
  if (next) return PathChoice::one(next->path_id);
  return first ? PathChoice::one(first->path_id) : PathChoice{};
}

void RoundRobinScheduler::on_sent(PathId path, uint64_t, SendKind kind, TimePoint) {
  if (!carries_data(kind)) return;
  if (current_ == path) {
    ++used_;
  } else {
    current_ = path;   // a new turn starts with this datagram
    used_ = 1;
  }
}

}  // namespace braid::sched

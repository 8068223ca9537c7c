// Deficit scheduling by capacity weight.
#include "core/sched/weighted.h"

#include <vector>

#include "core/sched/affinity.h"
#include "core/sched/usable.h"

namespace braid::sched {

namespace {
double cwnd_over_srtt(const PathSnapshot& p) {
  if (!p.has_rtt_sample || p.smoothed_rtt <= Duration::zero()) return 0;
  return static_cast<double>(p.congestion_window) / std::chrono::duration<double>(p.smoothed_rtt).count();
}
}  // namespace

PathChoice WeightedScheduler::select(std::span<const PathSnapshot> paths, const SendIntent& intent, TimePoint) {
  if (auto pinned = pinned_choice(paths, intent)) return *pinned;
  bool tier = backup_tier(paths);
  std::vector<const PathSnapshot*> set;
  bool have_capacity = false;
  for (auto& p : paths) {
    if (!eligible(p, tier)) continue;
    set.push_back(&p);
    have_capacity = have_capacity || p.capacity_weight > 0;
  }
  std::vector<double> w;
  double smallest = 0;
  for (auto* p : set) {
    w.push_back(have_capacity ? p->capacity_weight : cwnd_over_srtt(*p));
    if (w.back() > 0 && (smallest == 0 || w.back() < smallest)) smallest = w.back();
  }
  double sum = 0, total = 0;
  for (size_t i = 0; i < set.size(); ++i) {
    if (w[i] <= 0) w[i] = smallest > 0 ? smallest : 1.0;   // unknown: smallest known, or equal shares
    sum += w[i];
    auto it = sent_.find(set[i]->path_id);
    total += it == sent_.end() ? 0.0 : static_cast<double>(it->second);
  }
  const PathSnapshot* best = nullptr;
  double best_deficit = 0;
  for (size_t i = 0; i < set.size(); ++i) {
    const PathSnapshot& p = *set[i];
    if (!p.can_send_now) continue;
    auto it = sent_.find(p.path_id);
    double deficit = w[i] / sum * total - (it == sent_.end() ? 0.0 : static_cast<double>(it->second));
    if (!best || deficit > best_deficit || (deficit == best_deficit && p.path_id < best->path_id)) {
      best = &p;
      best_deficit = deficit;
    }
  }
  return best ? PathChoice::one(best->path_id) : PathChoice{};
}

void WeightedScheduler::on_sent(PathId path, uint64_t bytes, SendKind kind, TimePoint) {
  if (!carries_data(kind)) return;
  sent_[path] += bytes;
  uint64_t total = 0;
  for (auto& [id, b] : sent_) total += b;
  if (total <= history_) return;
  for (auto& [id, b] : sent_) b /= 2;   // keeps every ratio, forgets the older half
}

void WeightedScheduler::on_path_event(PathId path, PathEventKind kind, TimePoint) {
  if (kind == PathEventKind::kAbandoned || kind == PathEventKind::kFailed) {
    sent_.erase(path);
  } else {
    sent_.clear();   // a path joined, came back or changed status: shares start afresh
  }
}

}  // namespace braid::sched

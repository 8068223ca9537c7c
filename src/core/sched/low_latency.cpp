// RTT + load scoring.
#include "core/sched/low_latency.h"

#include <cmath>

#include "core/sched/affinity.h"
#include "core/sched/usable.h"

namespace braid::sched {

namespace {
double load(const PathSnapshot& p) {
  if (p.congestion_window == 0) return 1.0;
  return static_cast<double>(p.bytes_in_flight) / static_cast<double>(p.congestion_window);
}
}  // namespace

PathChoice LowLatencyScheduler::select(std::span<const PathSnapshot> paths, const SendIntent& intent, TimePoint) {
  if (auto pinned = pinned_choice(paths, intent)) return *pinned;
  bool tier = backup_tier(paths);
  const PathSnapshot *probe = nullptr, *best = nullptr, *unsampled = nullptr;
  double best_score = 0;
  for (auto& p : paths) {
    if (!eligible(p, tier) || !p.can_send_now) continue;
    if (!p.has_rtt_sample) {
      if (p.bytes_in_flight == 0) {
        if (!probe || p.path_id < probe->path_id) probe = &p;
      } else if (!unsampled || load(p) < load(*unsampled) ||
                 (load(p) == load(*unsampled) && p.path_id < unsampled->path_id)) {
        unsampled = &p;
      }
      continue;
    }
    double srtt = std::chrono::duration<double, std::micro>(p.smoothed_rtt).count();
    double score = std::pow(srtt, rtt_bias_) * std::pow(1.0 + load(p), 1.0 - rtt_bias_);
    if (!best || score < best_score || (score == best_score && p.path_id < best->path_id)) {
      best = &p;
      best_score = score;
    }
  }
  if (probe) return PathChoice::one(probe->path_id);
  if (best) return PathChoice::one(best->path_id);
  return unsampled ? PathChoice::one(unsampled->path_id) : PathChoice{};
}

}  // namespace braid::sched

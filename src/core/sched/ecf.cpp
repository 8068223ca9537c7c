// ECF's wait-or-use-the-slow-path inequalities.
#include "core/sched/ecf.h"

#include <algorithm>

#include "core/sched/affinity.h"
#include "core/sched/min_rtt.h"
#include "core/sched/usable.h"

namespace braid::sched {

namespace {
double us(Duration d) { return std::chrono::duration<double, std::micro>(d).count(); }
}  // namespace

PathChoice EcfScheduler::select(std::span<const PathSnapshot> paths, const SendIntent& intent, TimePoint) {
  if (auto pinned = pinned_choice(paths, intent)) return *pinned;
  bool tier = backup_tier(paths);
  const PathSnapshot* s = lowest_rtt(paths, tier, true);
  if (!s) return {};
  const PathSnapshot* f = lowest_rtt(paths, tier, false);
  // Without RTT samples there is nothing to weigh: min-RTT's choice (the path needs samples).
  if (f == s || !f->has_rtt_sample || !s->has_rtt_sample) return PathChoice::one(s->path_id);
  double k = static_cast<double>(intent.bytes);
  double w_f = static_cast<double>(f->congestion_window), w_s = static_cast<double>(s->congestion_window);
  double x_f = std::max(k, w_f), x_s = std::max(k, w_s);
  double srtt_f = us(f->smoothed_rtt), srtt_s = us(s->smoothed_rtt);
  double delta = 2 * us(std::max(f->rtt_variance, s->rtt_variance));
  double margin = last_data_path_ == f->path_id ? 1 + beta_ : 1.0;
  // Multiplied out as in OOT, so a zero cwnd cannot divide.
  bool f_first = srtt_f * (x_f + w_f) < margin * w_f * (srtt_s + delta);
  if (f_first && srtt_s * x_s >= w_s * (2 * srtt_f + delta)) return {};   // wait for f
  return PathChoice::one(s->path_id);
}

void EcfScheduler::on_sent(PathId path, uint64_t, SendKind kind, TimePoint) {
  if (carries_data(kind)) last_data_path_ = path;
}

}  // namespace braid::sched

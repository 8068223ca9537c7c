// ECF, Earliest Completion First (Lim et al., CoNEXT 2017; OOT mptcp_ecf.c v0.95;
// ALGORITHMS.md §2.7): min-RTT, except that when the fastest path f is cwnd-blocked and
// min-RTT would use a slower path s, it waits for f if the k bytes ready (SendIntent.bytes)
// would finish sooner that way: (1 + x_f/W_f)·srtt_f < (1 + m·β)·(srtt_s + δ) and
// (x_s/W_s)·srtt_s ≥ 2·srtt_f + δ, with x = max(k, W), W = cwnd, δ = 2·max(rttvar).
// Hysteresis m: select() may not keep state, so m is read from feedback instead of latched
// on a wait: m = 1 while the last data datagram went on f (ECF has been holding out for f,
// so s must lose by a β larger margin before it is taken), 0 once data went on another path.
#pragma once
#include <optional>

#include "braid/path_scheduler.h"

namespace braid::sched {

class EcfScheduler final : public PathScheduler {
 public:
  explicit EcfScheduler(double beta) : beta_(beta) {}
  PathChoice select(std::span<const PathSnapshot> paths, const SendIntent& intent, TimePoint now) override;
  void on_sent(PathId path, uint64_t bytes, SendKind kind, TimePoint now) override;
  std::string_view name() const override { return "ecf"; }

 private:
  double beta_;
  std::optional<PathId> last_data_path_;
};

}  // namespace braid::sched

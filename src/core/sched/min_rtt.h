// min-RTT scheduler (MPTCP default, ALGORITHMS.md §2.1): among usable non-backup paths
// that can send now pick the lowest smoothed RTT; backup paths only when no non-backup
// path is usable at all (not merely congestion-limited).
#pragma once
#include "braid/path_scheduler.h"

namespace braid::sched {

class MinRttScheduler final : public PathScheduler {
 public:
  PathChoice select(std::span<const PathSnapshot> paths, const SendIntent& intent, TimePoint now) override;
  std::string_view name() const override { return "minrtt"; }
};

}  // namespace braid::sched

// min-RTT scheduler (MPTCP default, ALGORITHMS.md §2.1): among usable non-backup paths
// that can send now pick the lowest smoothed RTT; backup paths only when no non-backup
// path is usable at all (not merely congestion-limited). The rule itself is shared with
// BLEST, ECF and redundant.
#pragma once
#include "braid/path_scheduler.h"

namespace braid::sched {

// Paths without an RTT sample sort after every sampled one; ties go to the lowest path id.
bool rtt_before(const PathSnapshot& a, const PathSnapshot& b);

// The lowest-RTT path of the tier (backup_tier: see usable.h); with must_send only paths
// that can send now. nullptr when there is none.
const PathSnapshot* lowest_rtt(std::span<const PathSnapshot> paths, bool backup_tier, bool must_send);

class MinRttScheduler final : public PathScheduler {
 public:
  PathChoice select(std::span<const PathSnapshot> paths, const SendIntent& intent, TimePoint now) override;
  std::string_view name() const override { return "minrtt"; }
};

}  // namespace braid::sched

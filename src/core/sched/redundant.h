// Redundant scheduler (ALGORITHMS.md §2.8, after TQUIC's redundant scheduler): every data
// datagram goes on every usable path of the tier that can send now, or on the `paths` best
// by smoothed RTT (0 = all, at most PathChoice::kMaxPaths); the lowest-RTT path comes first
// and carries the datagram, the others carry copies. ACK-only and probe datagrams are not
// duplicated. Costs ×N; MP21 does not recommend it for general use.
#pragma once
#include "braid/path_scheduler.h"

namespace braid::sched {

class RedundantScheduler final : public PathScheduler {
 public:
  explicit RedundantScheduler(uint64_t paths) : paths_(paths) {}
  PathChoice select(std::span<const PathSnapshot> paths, const SendIntent& intent, TimePoint now) override;
  std::string_view name() const override { return "redundant"; }

 private:
  uint64_t paths_;   // 0 = all
};

}  // namespace braid::sched

// Weighted scheduler (ALGORITHMS.md §2.5, WLB's deficit round-robin with the "engineering
// substitute" weights): each path's share of the data is its capacity_weight, or cwnd/srtt
// when no path has one; a path with no weight yet (no RTT sample) counts as the smallest
// known weight so it still gets traffic. The path owed the most bytes (weight share of
// all bytes sent minus its own bytes) that can send takes the datagram. Deficits advance in
// on_sent by bytes; the byte history is halved past `history` bytes so that changed weights
// take effect, and restarts when the set of paths changes (no catch-up burst on a new path).
#pragma once
#include <map>

#include "braid/path_scheduler.h"

namespace braid::sched {

class WeightedScheduler final : public PathScheduler {
 public:
  explicit WeightedScheduler(uint64_t history) : history_(history) {}
  PathChoice select(std::span<const PathSnapshot> paths, const SendIntent& intent, TimePoint now) override;
  void on_sent(PathId path, uint64_t bytes, SendKind kind, TimePoint now) override;
  void on_path_event(PathId path, PathEventKind kind, TimePoint now) override;
  std::string_view name() const override { return "weighted"; }

 private:
  uint64_t history_;
  std::map<PathId, uint64_t> sent_;   // data bytes sent per path in the current history
};

}  // namespace braid::sched

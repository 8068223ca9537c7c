// Round-robin scheduler (ALGORITHMS.md §2.3, after OOT mptcp_rr.c): paths take turns in
// path-id order, each turn lasting `quota` data datagrams; a path that cannot send now is
// skipped (it does not make the rest wait). Backup semantics as minrtt. The turn advances
// in on_sent, never in select().
#pragma once
#include <optional>

#include "braid/path_scheduler.h"

namespace braid::sched {

class RoundRobinScheduler final : public PathScheduler {
 public:
  explicit RoundRobinScheduler(uint64_t quota) : quota_(quota) {}
  PathChoice select(std::span<const PathSnapshot> paths, const SendIntent& intent, TimePoint now) override;
  void on_sent(PathId path, uint64_t bytes, SendKind kind, TimePoint now) override;
  std::string_view name() const override { return "rr"; }

 private:
  uint64_t quota_;
  std::optional<PathId> current_;   // whose turn it is
  uint64_t used_ = 0;               // data datagrams current_ has sent in this turn
};

}  // namespace braid::sched

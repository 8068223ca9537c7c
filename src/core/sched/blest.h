// BLEST (Ferlin et al., IFIP Networking 2016; OOT mptcp_blest.c v0.95; ALGORITHMS.md §2.6):
// min-RTT, except that when the fastest path f is cwnd-blocked and min-RTT would use a
// slower path s, the datagram goes on s only if the connection's send window still leaves
// room for what f could send while s holds the datagram (its linger time T), scaled by λ;
// otherwise it waits for f. λ is the fixed `lambda` parameter: OOT adapts it from
// receive-buffer retransmissions, a signal braid's scheduler interface does not carry.
#pragma once
#include "braid/path_scheduler.h"

namespace braid::sched {

class BlestScheduler final : public PathScheduler {
 public:
  explicit BlestScheduler(double lambda) : lambda_(lambda) {}
  PathChoice select(std::span<const PathSnapshot> paths, const SendIntent& intent, TimePoint now) override;
  std::string_view name() const override { return "blest"; }

 private:
  double lambda_;
};

}  // namespace braid::sched

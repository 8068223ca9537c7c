// The values the congestion controllers of one connection's paths share, so that coupled
// controllers (LIA, OLIA, BALIA) can compute their increase from every path's window and
// RTT. Each controller publishes its own path's state; the connection says which paths
// count (usable, carrying data). Values only: no controller sees another controller or the
// connection. A connection is single-threaded, so the group is too.
#pragma once
#include <cstdint>
#include <map>
#include <vector>

#include "braid/time.h"
#include "braid/types.h"

namespace braid {

struct CoupledPathState {
  uint64_t cwnd = 0;                 // bytes
  uint64_t ssthresh = UINT64_MAX;    // bytes
  Duration smoothed_rtt{};
  bool has_rtt_sample = false;
  uint64_t max_datagram_size = 1200;
  bool in_slow_start = true;
  bool in_recovery = false;
  // OLIA's l_r inputs: bytes acknowledged since the last loss episode, and between the
  // two episodes before it.
  uint64_t acked_since_loss = 0;
  uint64_t acked_between_losses = 0;
};

class CoupledGroup {
 public:
  // Records the path's state; a path first published counts until set_counted says not.
  void publish(PathId id, const CoupledPathState& s);
  void remove(PathId id);
  // The connection's word on whether the path takes part in the coupled sums (usable and
  // not an idle backup). Kept across publish calls.
  void set_counted(PathId id, bool counted);

  struct Member {
    PathId id;
    CoupledPathState state;
  };
  // Paths that count: published, counted, with an RTT sample and a non-zero window.
  std::vector<Member> counted() const;
  const CoupledPathState* find(PathId id) const;
  size_t size() const { return paths_.size(); }
  // Changes whenever a member is published, removed or (un)counted.
  uint64_t version() const { return version_; }

 private:
  struct Entry {
    CoupledPathState state;
    bool counted = true;
    bool published = false;
  };
  std::map<PathId, Entry> paths_;
  uint64_t version_ = 0;
};

}  // namespace braid

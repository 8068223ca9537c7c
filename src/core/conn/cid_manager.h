// Connection IDs of both ends: ours (LocalCidTable: issued per path ID, routed by the
// endpoint) and the peer's, per path ID with their sequence numbers and reset tokens
// (draft-ietf-quic-multipath §5; one space under path ID 0 without multipath), plus the
// SCID our long headers carry.
#pragma once
#include <map>
#include <utility>

#include "braid/types.h"
#include "core/conn/local_cids.h"

namespace braid::conn {

// A connection ID the peer issued to us.
struct RemoteCid {
  ConnectionId cid;
  StatelessResetToken token{};
  bool has_token = false;
  bool in_use = false;
};
// The peer's CIDs for one path ID, by sequence (not retired ones).
struct RemoteCidSet {
  std::map<uint64_t, RemoteCid> cids;
  uint64_t retire_prior_to = 0;
};
using PathSeq = std::pair<PathId, uint64_t>;

class CidManager {
 public:
  explicit CidManager(KeyedCidHash hash) : local(hash) {}

  LocalCidTable local;
  ConnectionId initial_scid;   // our SCID in long headers (path 0, sequence 0)

  // The peer's CIDs for `path` (created empty on first use).
  RemoteCidSet& remote(PathId path) { return remote_[path]; }
  const RemoteCidSet* find_remote(PathId path) const;
  bool has_remote(PathId path) const;   // at least one unretired CID for the path
  // The path is gone: its CIDs are retired with it.
  void forget_remote(PathId path) { remote_.erase(path); }
  std::map<PathId, RemoteCidSet>& all_remote() { return remote_; }
  const std::map<PathId, RemoteCidSet>& all_remote() const { return remote_; }

 private:
  std::map<PathId, RemoteCidSet> remote_;
};

}  // namespace braid::conn

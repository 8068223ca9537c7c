// The connection IDs we issued (RFC 9000 §5.1, draft-ietf-quic-multipath §5): per path ID,
// by sequence number, with their stateless-reset tokens and whether the peer was sent and
// has acknowledged each; an index from CID bytes to (path ID, sequence) for every incoming
// packet; retirement that frees state at once (a few recently retired IDs stay routable
// for packets already in flight). Every operation costs O(1) or O(active IDs of a path),
// never O(IDs ever issued), so a peer that churns CIDs cannot make packets expensive.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "braid/time.h"
#include "braid/types.h"
#include "core/conn/cid_hash.h"

namespace braid::conn {

struct LocalCid {
  ConnectionId cid;
  StatelessResetToken token{};
  bool sent = false;    // in a NEW_CONNECTION_ID (or the handshake / preferred_address) already
  bool acked = false;   // the peer acknowledged it: it can answer with it
};

class LocalCidTable {
 public:
  struct Ref {
    PathId path = 0;
    uint64_t sequence = 0;
  };
  enum class RetireResult : uint8_t { kRetired, kAlreadyRetired, kNeverSent };

  // How long, and how many, retired IDs stay routable for packets already in flight.
  static constexpr size_t kMaxRecentlyRetired = 16;

  explicit LocalCidTable(KeyedCidHash hash);

  // Adds the next sequence number of `path` and returns it.
  uint64_t issue(PathId path, const ConnectionId& cid, const StatelessResetToken& token, bool sent = false,
                 bool acked = false);
  LocalCid* find(PathId path, uint64_t sequence);
  const LocalCid* find(PathId path, uint64_t sequence) const;
  // The path and sequence an incoming DCID was issued for (recently retired ones included).
  std::optional<Ref> lookup(const ConnectionId& cid) const;

  // RFC 9000 §19.16: retiring a sequence never sent is a PROTOCOL_VIOLATION; one retired
  // before is ignored. Retired IDs stay routable until `now + grace` (at most
  // kMaxRecentlyRetired of them).
  RetireResult retire(PathId path, uint64_t sequence, TimePoint now, Duration grace);
  // Every ID of `path`, at once (path abandoned and forgotten).
  void retire_path(PathId path);
  // Drops recently retired IDs whose grace ended.
  void expire(TimePoint now);

  size_t active_count(PathId path) const;
  size_t acked_count(PathId path) const;
  uint64_t next_sequence(PathId path) const;
  bool has_active(PathId path) const { return active_count(path) > 0; }
  void for_each_active(PathId path, const std::function<void(uint64_t, const LocalCid&)>& fn) const;

  // Every ID packets may still arrive with (active and recently retired), for routing.
  std::vector<ConnectionId> routable() const;
  // Bumped whenever routable() changes.
  uint64_t version() const { return version_; }
  // Entries held in all (active + recently retired): bounded, for tests and stats.
  size_t stored() const { return index_.size(); }

 private:
  struct PathCids {
    std::map<uint64_t, LocalCid> active;   // by sequence
    uint64_t next_seq = 0;
  };
  struct Retired {
    ConnectionId cid;
    TimePoint until;
  };
  void drop_recent(const ConnectionId& cid);

  std::map<PathId, PathCids> paths_;
  std::unordered_map<ConnectionId, Ref, KeyedCidHash> index_;
  std::deque<Retired> recent_;
  uint64_t version_ = 1;
};

}  // namespace braid::conn

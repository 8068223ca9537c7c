// The connection's paths and what is known about path IDs: the live paths by ID (path 0,
// or the lowest remaining, is the primary), IDs retired for good, PATH_STATUS that arrived
// before its path, the path ID limits both ends allow, stream and datagram pinning, and
// the bonding state over the usable paths. Iterates like a map of PathId to Path.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "braid/types.h"
#include "core/path/bonding.h"
#include "core/path/path.h"

namespace braid::conn {

class PathSet {
 public:
  using Map = std::map<PathId, std::unique_ptr<path::Path>>;

  // Map-like access to the live paths, in path ID order.
  Map::iterator begin() { return paths_.begin(); }
  Map::iterator end() { return paths_.end(); }
  Map::const_iterator begin() const { return paths_.begin(); }
  Map::const_iterator end() const { return paths_.end(); }
  Map::iterator find(PathId id) { return paths_.find(id); }
  Map::const_iterator find(PathId id) const { return paths_.find(id); }
  size_t size() const { return paths_.size(); }
  bool empty() const { return paths_.empty(); }
  size_t count(PathId id) const { return paths_.count(id); }
  path::Path* get(PathId id);
  const path::Path* get(PathId id) const;
  path::Path& add(std::unique_ptr<path::Path> p);
  // Drops a path and the pinning to it; its ID is retired when `retire_id`.
  void remove(PathId id, bool retire_id);
  // Path 0 while it lives (it carries the handshake), else the lowest remaining path.
  path::Path& primary() { return *paths_.begin()->second; }
  const path::Path& primary() const { return *paths_.begin()->second; }
  size_t usable_count() const;

  // Path IDs abandoned and forgotten: never reused, their frames ignored.
  bool is_retired(PathId id) const { return retired_.count(id) > 0; }
  void retire(PathId id) { retired_.insert(id); }
  size_t retired_count() const { return retired_.size(); }

  // PATH_STATUS for a path whose first packet has not arrived (it may travel on a faster
  // path): the newest by sequence is kept and applied when the path is created.
  void remember_early_status(PathId id, uint64_t sequence, bool available);
  std::optional<std::pair<uint64_t, bool>> take_early_status(PathId id);
  size_t early_status_count() const { return early_status_.size(); }

  // Path ID limits (initial_max_path_id / MAX_PATH_ID): highest we accept, highest the peer does.
  bool multipath = false;
  PathId local_max_id = 0;
  PathId peer_max_id = 0;

  // Pinning: a stream or the datagram flow sent only on one path while it is usable.
  void pin_stream(StreamId s, std::optional<PathId> p);
  std::optional<PathId> stream_path(StreamId s) const;
  void forget_stream(StreamId s) { stream_pins_.erase(s); }
  size_t pinned_streams() const { return stream_pins_.size(); }
  std::optional<PathId> datagram_path;

  path::BondingTracker bonding;

 private:
  Map paths_;
  std::set<PathId> retired_;
  std::map<PathId, std::pair<uint64_t, bool>> early_status_;
  std::map<StreamId, PathId> stream_pins_;
};

}  // namespace braid::conn

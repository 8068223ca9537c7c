// PathSet: lookups, retirement, early PATH_STATUS and pinning.
#include "core/conn/path_set.h"

namespace braid::conn {

path::Path* PathSet::get(PathId id) {
  auto it = paths_.find(id);
  return it == paths_.end() ? nullptr : it->second.get();
}

const path::Path* PathSet::get(PathId id) const {
  auto it = paths_.find(id);
  return it == paths_.end() ? nullptr : it->second.get();
}

path::Path& PathSet::add(std::unique_ptr<path::Path> p) {
  PathId id = p->id;
  auto& slot = paths_[id];
  slot = std::move(p);
  return *slot;
}

void PathSet::remove(PathId id, bool retire_id) {
  if (auto it = paths_.find(id); it != paths_.end() && it->second->cc) it->second->cc->on_path_removed();
  paths_.erase(id);
  if (retire_id) retired_.insert(id);
  for (auto it = stream_pins_.begin(); it != stream_pins_.end();) {
    it = it->second == id ? stream_pins_.erase(it) : std::next(it);
  }
  if (datagram_path == id) datagram_path.reset();
}

size_t PathSet::usable_count() const {
  size_t n = 0;
  for (auto& [id, p] : paths_) n += p->usable() && p->sendable();
  return n;
}

void PathSet::remember_early_status(PathId id, uint64_t sequence, bool available) {
  auto it = early_status_.find(id);
  if (it == early_status_.end() || sequence > it->second.first) early_status_[id] = {sequence, available};
}

std::optional<std::pair<uint64_t, bool>> PathSet::take_early_status(PathId id) {
  auto it = early_status_.find(id);
  if (it == early_status_.end()) return std::nullopt;
  auto v = it->second;
  early_status_.erase(it);
  return v;
}

void PathSet::pin_stream(StreamId s, std::optional<PathId> p) {
  if (p) stream_pins_[s] = *p;
  else stream_pins_.erase(s);
}

std::optional<PathId> PathSet::stream_path(StreamId s) const {
  auto it = stream_pins_.find(s);
  return it == stream_pins_.end() ? std::nullopt : std::optional(it->second);
}

}  // namespace braid::conn

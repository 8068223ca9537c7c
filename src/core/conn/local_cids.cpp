// Our connection IDs: issue, index, retire and free (see local_cids.h).
#include "core/conn/local_cids.h"

namespace braid::conn {

LocalCidTable::LocalCidTable(KeyedCidHash hash) : index_(16, std::move(hash)) {}

uint64_t LocalCidTable::issue(PathId path, const ConnectionId& cid, const StatelessResetToken& token, bool sent,
                              bool acked) {
  auto& p = paths_[path];
  uint64_t seq = p.next_seq++;
  drop_recent(cid);   // a reissued value (only in tests) must not expire with its old entry
  p.active[seq] = LocalCid{cid, token, sent, acked};
  index_[cid] = Ref{path, seq};
  version_++;
  return seq;
}

LocalCid* LocalCidTable::find(PathId path, uint64_t sequence) {
  auto p = paths_.find(path);
  if (p == paths_.end()) return nullptr;
  auto it = p->second.active.find(sequence);
  return it == p->second.active.end() ? nullptr : &it->second;
}

const LocalCid* LocalCidTable::find(PathId path, uint64_t sequence) const {
  return const_cast<LocalCidTable*>(this)->find(path, sequence);
}

std::optional<LocalCidTable::Ref> LocalCidTable::lookup(const ConnectionId& cid) const {
  auto it = index_.find(cid);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

LocalCidTable::RetireResult LocalCidTable::retire(PathId path, uint64_t sequence, TimePoint now, Duration grace) {
  auto p = paths_.find(path);
  if (p == paths_.end() || sequence >= p->second.next_seq) return RetireResult::kNeverSent;
  auto it = p->second.active.find(sequence);
  if (it == p->second.active.end()) return RetireResult::kAlreadyRetired;
  if (!it->second.sent) return RetireResult::kNeverSent;
  // Still routable for a while: packets sent before the peer retired it may be in flight.
  if (recent_.size() >= kMaxRecentlyRetired) {
    index_.erase(recent_.front().cid);
    recent_.pop_front();
  }
  recent_.push_back(Retired{it->second.cid, now + grace});
  p->second.active.erase(it);
  version_++;
  return RetireResult::kRetired;
}

void LocalCidTable::retire_path(PathId path) {
  auto p = paths_.find(path);
  if (p == paths_.end()) return;
  for (auto& [seq, c] : p->second.active) index_.erase(c.cid);
  p->second.active.clear();
  version_++;
}

void LocalCidTable::expire(TimePoint now) {
  bool changed = false;
  while (!recent_.empty() && recent_.front().until <= now) {
    auto it = index_.find(recent_.front().cid);
    // Only if no active entry took the same bytes since.
    if (it != index_.end() && !find(it->second.path, it->second.sequence)) index_.erase(it);
    recent_.pop_front();
    changed = true;
  }
  if (changed) version_++;
}

void LocalCidTable::drop_recent(const ConnectionId& cid) {
  for (auto it = recent_.begin(); it != recent_.end(); ++it) {
    if (it->cid == cid) {
      recent_.erase(it);
      return;
    }
  }
}

size_t LocalCidTable::active_count(PathId path) const {
  auto p = paths_.find(path);
  return p == paths_.end() ? 0 : p->second.active.size();
}

size_t LocalCidTable::acked_count(PathId path) const {
  size_t n = 0;
  for_each_active(path, [&](uint64_t, const LocalCid& c) { n += c.acked ? 1 : 0; });
  return n;
}

uint64_t LocalCidTable::next_sequence(PathId path) const {
  auto p = paths_.find(path);
  return p == paths_.end() ? 0 : p->second.next_seq;
}

void LocalCidTable::for_each_active(PathId path, const std::function<void(uint64_t, const LocalCid&)>& fn) const {
  auto p = paths_.find(path);
  if (p == paths_.end()) return;
  for (auto& [seq, c] : p->second.active) fn(seq, c);
}

std::vector<ConnectionId> LocalCidTable::routable() const {
  std::vector<ConnectionId> out;
  out.reserve(index_.size());
  for (auto& [cid, ref] : index_) out.push_back(cid);
  return out;
}

}  // namespace braid::conn

// Connection IDs (RFC 9000 §5.1, draft-ietf-quic-multipath §5): issuing our own per path ID
// with stateless-reset tokens, tracking the peer's per path ID, retirement in both
// directions, and stateless-reset detection.
#include <gnutls/crypto.h>

#include "core/conn/connection_impl.h"
#include "core/conn/cid_worker.h"

namespace braid::conn {

StatelessResetToken ConnectionImpl::reset_token_for(const ConnectionId& cid) const {
  // Tokens are an HMAC of the CID under the endpoint's key, so the endpoint can answer for
  // connections it no longer has state for (RFC 9000 §10.3.2).
  uint8_t mac[32];
  gnutls_hmac_fast(GNUTLS_MAC_SHA256, reset_key_.data(), reset_key_.size(), cid.data(), cid.size(), mac);
  StatelessResetToken t;
  std::copy(mac, mac + 16, t.begin());
  return t;
}

ConnectionId ConnectionImpl::new_local_cid() {
  if (perspective_ == Perspective::kServer && cfg_.load_balancer) {
    if (!lb_) lb_ = QuicLbCodec::create(*cfg_.load_balancer);   // checked with the config
    if (lb_) return lb_->generate(rng_);
  }
  ConnectionId cid;
  cid.resize(cfg_.connection_id_length);
  rng_.fill({cid.data(), cid.size()});
  if (perspective_ == Perspective::kServer) mark_cid_worker(cid, cfg_.cid_worker_index, cfg_.cid_worker_count);
  return cid;
}

void ConnectionImpl::issue_connection_ids() {
  if (cfg_.connection_id_length == 0) return;
  uint64_t peer_limit = peer_params_applied_ ? peer_params_.active_connection_id_limit : 2;
  auto issue_for = [&](PathId pid, uint64_t want) {
    for (size_t active = cids_.local.active_count(pid); active < want; ++active) {
      ConnectionId cid = new_local_cid();
      uint64_t seq = cids_.local.issue(pid, cid, reset_token_for(cid));
      pending_.new_cid.insert({pid, seq});
    }
  };
  issue_for(0, std::min<uint64_t>(peer_limit, 4));
  if (!multipath()) return;
  // Proactively for every path ID both sides allow (draft §5.1.1), so the client can open
  // paths without waiting for a round trip; never for abandoned path IDs.
  PathId max = std::min(paths_.local_max_id, paths_.peer_max_id);
  for (PathId pid = 1; pid <= max; ++pid) {
    if (paths_.is_retired(pid)) continue;
    if (auto* p = find_path(pid); p && (p->state == PathState::kClosing || p->state == PathState::kClosed ||
                                         (p->state == PathState::kFailed && p->abandon_sent))) {
      continue;
    }
    issue_for(pid, std::min<uint64_t>(peer_limit, cfg_.connection_ids_per_path));
  }
}

std::vector<ConnectionId> ConnectionImpl::local_connection_ids() const { return cids_.local.routable(); }

std::optional<PathId> ConnectionImpl::path_of_local_cid(const ConnectionId& dcid) const {
  if (auto r = cids_.local.lookup(dcid)) return r->path;
  return std::nullopt;
}

Status ConnectionImpl::on_new_connection_id(const wire::NewConnectionIdFrame& f) {
  uint64_t ftype = f.path_id ? 0x3e78 : 0x18;
  PathId pid = f.path_id.value_or(0);
  if (primary_path().remote_cid.empty()) {
    return fail(TransportErrorCode::kProtocolViolation, "NEW_CONNECTION_ID while using zero-length CIDs", ftype);
  }
  if (f.path_id) {
    if (auto st = check_path_id_limit(pid, ftype); !st) return st;
    if (paths_.is_retired(pid)) return {};   // abandoned path: ignored (draft §8)
    if (auto* p = find_path(pid); p && p->abandon_sent) return {};
  }
  if (f.retire_prior_to > f.sequence) {
    return fail(TransportErrorCode::kFrameEncodingError, "retire_prior_to beyond sequence", ftype);
  }
  auto& set = cids_.remote(pid);
  if (auto it = set.cids.find(f.sequence); it != set.cids.end()) {
    if (!(it->second.cid == f.cid) || (it->second.has_token && it->second.token != f.reset_token)) {
      return fail(TransportErrorCode::kProtocolViolation, "NEW_CONNECTION_ID reuses a sequence number", ftype);
    }
    return {};
  }
  for (auto& [p2, s2] : cids_.all_remote()) {
    for (auto& [seq, c] : s2.cids) {
      if (c.cid == f.cid) return fail(TransportErrorCode::kProtocolViolation, "CID issued twice", ftype);
    }
  }
  if (f.sequence < set.retire_prior_to) {
    pending_.retire_cid.insert({pid, f.sequence});  // already retired by an earlier retire_prior_to
    return {};
  }
  set.cids[f.sequence] = RemoteCid{f.cid, f.reset_token, true, false};
  if (f.retire_prior_to > set.retire_prior_to) {
    set.retire_prior_to = f.retire_prior_to;
    for (auto it = set.cids.begin(); it != set.cids.end();) {
      if (it->first < set.retire_prior_to) {
        pending_.retire_cid.insert({pid, it->first});
        it = set.cids.erase(it);
      } else {
        ++it;
      }
    }
    // A path on a retired CID moves to a fresh one of the same path ID.
    if (auto* p = find_path(pid); p && p->remote_cid_sequence < set.retire_prior_to) {
      for (auto& [seq, c] : set.cids) {
        if (!c.in_use) {
          c.in_use = true;
          p->remote_cid = c.cid;
          p->remote_cid_sequence = seq;
          break;
        }
      }
    }
  }
  if (set.cids.size() > cfg_.active_connection_id_limit) {
    return fail(TransportErrorCode::kConnectionIdLimitError, "peer exceeded active_connection_id_limit", ftype);
  }
  // A path the peer opened before its CIDs for that path ID reached us (they travel on
  // another path and can arrive second) was created without a DCID and could not send;
  // it takes the first usable one now, so its PATH_RESPONSE and challenge can go out.
  if (auto* p = find_path(pid); p && !p->has_remote_cid && !p->abandon_sent) {
    for (auto& [seq, c] : set.cids) {
      if (!c.in_use && seq >= set.retire_prior_to) {
        c.in_use = true;
        p->remote_cid = c.cid;
        p->remote_cid_sequence = seq;
        p->has_remote_cid = true;
        break;
      }
    }
  }
  return {};
}

std::optional<uint64_t> ConnectionImpl::take_unused_remote_cid() {
  auto& set = cids_.remote(primary_path().id);
  for (auto& [seq, c] : set.cids) {
    if (!c.in_use && seq >= set.retire_prior_to) {
      c.in_use = true;
      return seq;
    }
  }
  return std::nullopt;
}

Status ConnectionImpl::on_retire_connection_id(const wire::RetireConnectionIdFrame& f, const ConnectionId&) {
  uint64_t ftype = f.path_id ? 0x3e79 : 0x19;
  PathId pid = f.path_id.value_or(0);
  if (f.path_id) {
    if (auto st = check_path_id_limit(pid, ftype); !st) return st;
  }
  if (f.path_id && paths_.is_retired(pid)) return {};   // the whole path ID is gone
  if (auto* c = cids_.local.find(pid, f.sequence); c && c->cid == last_packet_dcid_) {
    return fail(TransportErrorCode::kProtocolViolation, "RETIRE_CONNECTION_ID names the packet's own CID", ftype);
  }
  // Freed at once: state per connection stays O(active IDs) however often the peer
  // retires (a few stay routable for packets already in flight).
  switch (cids_.local.retire(pid, f.sequence, now_, 3 * largest_pto())) {
    case LocalCidTable::RetireResult::kNeverSent:
      return fail(TransportErrorCode::kProtocolViolation, "RETIRE_CONNECTION_ID for a CID never sent", ftype);
    case LocalCidTable::RetireResult::kAlreadyRetired: return {};
    case LocalCidTable::RetireResult::kRetired: break;
  }
  pending_.new_cid.erase({pid, f.sequence});
  if (handshake_confirmed_) issue_connection_ids();   // replacements (draft §5.2)
  return {};
}

bool ConnectionImpl::matches_reset_token(std::span<const uint8_t> datagram) const {
  if (datagram.size() < 21 || (datagram[0] & 0x80)) return false;
  auto tail = datagram.last(16);
  for (auto& [pid, set] : cids_.all_remote()) {
    for (auto& [seq, c] : set.cids) {
      if (c.has_token && std::equal(tail.begin(), tail.end(), c.token.begin())) return true;
    }
  }
  return false;
}

}  // namespace braid::conn

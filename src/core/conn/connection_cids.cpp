// Connection IDs (RFC 9000 §5.1): issuing our own with stateless-reset tokens, tracking the
// peer's, retirement in both directions, and stateless-reset detection.
#include <gnutls/crypto.h>

#include "core/conn/connection_impl.h"

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

void ConnectionImpl::issue_connection_ids() {
  if (cfg_.connection_id_length == 0) return;
  uint64_t peer_limit = peer_params_applied_ ? peer_params_.active_connection_id_limit : 2;
  uint64_t want = std::min<uint64_t>(peer_limit, 8);
  size_t active = 0;
  for (auto& [seq, c] : local_cids_) active += c.retired ? 0 : 1;
  while (active < want) {
    ConnectionId cid;
    cid.resize(cfg_.connection_id_length);
    rng_.fill({cid.data(), cid.size()});
    uint64_t seq = next_local_cid_seq_++;
    local_cids_[seq] = LocalCid{cid, reset_token_for(cid), false};
    pending_.new_cid.insert(seq);
    active++;
  }
}

std::vector<ConnectionId> ConnectionImpl::local_connection_ids() const {
  std::vector<ConnectionId> out;
  for (auto& [seq, c] : local_cids_) {
    if (!c.retired) out.push_back(c.cid);
  }
  return out;
}

Status ConnectionImpl::on_new_connection_id(const wire::NewConnectionIdFrame& f) {
  if (primary_path().remote_cid.empty()) {
    return fail(TransportErrorCode::kProtocolViolation, "NEW_CONNECTION_ID while using zero-length CIDs", 0x18);
  }
  if (f.retire_prior_to > f.sequence) {
    return fail(TransportErrorCode::kFrameEncodingError, "retire_prior_to beyond sequence", 0x18);
  }
  if (auto it = remote_cids_.find(f.sequence); it != remote_cids_.end()) {
    if (!(it->second.cid == f.cid) || (it->second.has_token && it->second.token != f.reset_token)) {
      return fail(TransportErrorCode::kProtocolViolation, "NEW_CONNECTION_ID reuses a sequence number", 0x18);
    }
    return {};
  }
  for (auto& [seq, c] : remote_cids_) {
    if (c.cid == f.cid) return fail(TransportErrorCode::kProtocolViolation, "CID issued twice", 0x18);
  }
  if (f.sequence < remote_retire_prior_to_) {
    pending_.retire_cid.insert(f.sequence);  // already retired by an earlier retire_prior_to
    return {};
  }
  remote_cids_[f.sequence] = RemoteCid{f.cid, f.reset_token, true, false};
  if (f.retire_prior_to > remote_retire_prior_to_) {
    remote_retire_prior_to_ = f.retire_prior_to;
    for (auto it = remote_cids_.begin(); it != remote_cids_.end();) {
      if (it->first < remote_retire_prior_to_) {
        pending_.retire_cid.insert(it->first);
        it = remote_cids_.erase(it);
      } else {
        ++it;
      }
    }
    // Paths on a retired CID move to a fresh one.
    for (auto& [id, p] : paths_) {
      if (p->remote_cid_sequence < remote_retire_prior_to_) {
        if (auto seq = take_unused_remote_cid()) {
          p->remote_cid = remote_cids_[*seq].cid;
          p->remote_cid_sequence = *seq;
        }
      }
    }
  }
  if (remote_cids_.size() > cfg_.active_connection_id_limit) {
    return fail(TransportErrorCode::kConnectionIdLimitError, "peer exceeded active_connection_id_limit", 0x18);
  }
  return {};
}

std::optional<uint64_t> ConnectionImpl::take_unused_remote_cid() {
  for (auto& [seq, c] : remote_cids_) {
    if (!c.in_use && seq >= remote_retire_prior_to_) {
      c.in_use = true;
      return seq;
    }
  }
  return std::nullopt;
}

Status ConnectionImpl::on_retire_connection_id(const wire::RetireConnectionIdFrame& f, const ConnectionId& packet_dcid) {
  (void)packet_dcid;
  if (f.sequence >= next_local_cid_seq_) {
    return fail(TransportErrorCode::kProtocolViolation, "RETIRE_CONNECTION_ID for a CID never issued", 0x19);
  }
  auto it = local_cids_.find(f.sequence);
  if (it == local_cids_.end() || it->second.retired) return {};
  if (it->second.cid == last_packet_dcid_) {
    return fail(TransportErrorCode::kProtocolViolation, "RETIRE_CONNECTION_ID names the packet's own CID", 0x19);
  }
  it->second.retired = true;
  pending_.new_cid.erase(f.sequence);
  if (handshake_confirmed_) issue_connection_ids();
  return {};
}

bool ConnectionImpl::matches_reset_token(std::span<const uint8_t> datagram) const {
  if (datagram.size() < 21 || (datagram[0] & 0x80)) return false;
  auto tail = datagram.last(16);
  for (auto& [seq, c] : remote_cids_) {
    if (c.has_token && std::equal(tail.begin(), tail.end(), c.token.begin())) return true;
  }
  return false;
}

}  // namespace braid::conn

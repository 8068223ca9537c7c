// Receive side outside the packet loop: a peer's address change on a path (NAT rebinding or
// migration), Version Negotiation and Retry handling (client).
#include <fmt/format.h>

#include <algorithm>

#include "core/conn/connection_impl.h"
#include "core/crypto/initial_secrets.h"
#include "core/crypto/packet_protection.h"
#include "core/wire/frame_codec.h"

namespace braid::conn {

void ConnectionImpl::on_peer_address_change(TimePoint now, path::Path& p, const PathTuple& tuple,
                                            const ConnectionId& dcid) {
  bool port_only = p.tuple.remote.same_ip(tuple.remote) && p.tuple.local == tuple.local;
  // A peer that moved on purpose (it changed its DCID, or reached another of our addresses)
  // gets a fresh CID from us too, so the two tuples cannot be linked (RFC 9000 §9.5); after
  // a NAT rebinding (same DCID) the current one may stay.
  bool deliberate = !(dcid == p.last_peer_dcid) || !(p.tuple.local == tuple.local);
  if (deliberate && !p.remote_cid.empty()) {
    (void)off_path_cid(p);   // the spare, if the peer left one
    if (p.has_spare_remote_cid) {
      auto& set = cids_.remote(p.id);
      if (auto it = set.cids.find(p.spare_remote_cid_sequence); it != set.cids.end()) {
        if (p.deferred_retire) flush_deferred_retire(p);
        p.deferred_retire = path::Path::DeferredRetire{p.remote_cid_sequence, p.app.sent.next_packet_number()};
        p.remote_cid = it->second.cid;
        p.remote_cid_sequence = it->first;
      }
      p.has_spare_remote_cid = false;
    }
  }
  p.last_peer_dcid = dcid;
  p.tuple = tuple;
  // The new address is unvalidated: limit what we send to it and check it (RFC 9000 §9.3).
  p.address_validated = false;
  p.amplification_received = 0;
  p.amplification_sent = 0;
  start_path_challenge(now, p);
  // A new network path: its RTT and capacity are unknown (RFC 9000 §9.4).
  if (!port_only) reset_path_estimates(p);
  if (qlog_) qlog_->path_event(now, p.id, "peer_address_changed", &p.tuple);
}

void ConnectionImpl::handle_version_negotiation(TimePoint now, const wire::ParsedHeader& hdr) {
  if (peer_scid_known_ || version_negotiation_done_) return;  // only before any server packet
  for (uint32_t v : hdr.supported_versions) {
    if (v == kQuicVersion1) return;  // a VN listing our version is ignored (RFC 9000 §6.2)
  }
  version_negotiation_done_ = true;
  enter_draining(now, TransportError{static_cast<uint64_t>(TransportErrorCode::kConnectionRefused), 0,
                                     "version negotiation: no common version", false},
                 false);
  state_ = ConnState::kClosed;
}

void ConnectionImpl::handle_retry(TimePoint now, std::span<const uint8_t> pkt, const wire::ParsedHeader& hdr) {
  (void)now;
  if (retry_received_ || peer_scid_known_) return;   // at most one Retry, before any Initial
  if (hdr.token.empty()) return;
  if (!crypto::verify_retry_integrity(original_dcid_, pkt)) return;
  if (hdr.scid == original_dcid_) return;
  retry_received_ = true;
  retry_scid_ = hdr.scid;
  retry_token_.assign(hdr.token.begin(), hdr.token.end());
  initial_dcid_ = hdr.scid;
  cids_.remote(0).cids[0].cid = hdr.scid;
  primary_path().remote_cid = hdr.scid;
  auto keys = crypto::derive_initial_keys(initial_dcid_);
  keys_.levels[0].write = std::move(keys.client);
  keys_.levels[0].read = std::move(keys.server);
  // Everything sent in Initial packets goes again under the new keys with the token.
  auto sent = initial_space_.sent.take_all();
  for (auto& p : sent) {
    for (auto& f : p.frames) requeue_lost_frame(f);
  }
}

}  // namespace braid::conn

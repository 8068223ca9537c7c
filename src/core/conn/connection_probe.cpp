// Probing another 4-tuple before a path moves to it (RFC 9000 §9.1, §9.3, §9.6): client
// migration to a new local address and the move to the server's preferred address, both
// validated while the current tuple stays in use; the server's PATH_RESPONSE to a peer that
// probes without migrating; and holding back every probe until the peer has acknowledged
// connection IDs of ours that it needs to answer (a peer cannot reply on a path ID or from
// a new address without them).
#include <fmt/format.h>

#include "core/conn/connection_impl.h"
#include "core/crypto/packet_protection.h"
#include "core/qlog/qlog_frames.h"
#include "core/wire/frame_codec.h"

namespace braid::conn {

using recovery::SentFrame;
using K = recovery::SentFrame::Kind;

bool ConnectionImpl::peer_can_answer_on(PathId pid, bool tuple_change) const {
  if (cfg_.connection_id_length == 0) return true;   // the peer answers with an empty DCID
  size_t acked = cids_.local.acked_count(pid);
  // A new path ID needs one CID; moving a path in use to another tuple needs a spare beside
  // the one the peer is using (RFC 9000 §9.5: no CID on two tuples).
  return acked >= (tuple_change ? 2u : 1u);
}

void ConnectionImpl::release_cid_waiters(TimePoint now) {
  for (auto& [id, p] : paths_) {
    if (p->waits_for_peer_cids && peer_can_answer_on(id, false)) {
      p->waits_for_peer_cids = false;
      start_path_challenge(now, *p);   // the validation clock starts with the first challenge
      if (qlog_) qlog_->path_event(now, id, "probe_released", &p->tuple);
    }
    if (p->probe && p->probe->next_challenge_time == kNever && peer_can_answer_on(id, true)) {
      p->probe->challenge_pending_send = true;
      Duration pto = std::max(pto_period(*p, true), largest_pto());
      p->probe->next_challenge_time = now + pto;
      p->probe->deadline = now + 3 * std::max(pto, 3 * cfg_.initial_rtt);
    }
  }
}

Status ConnectionImpl::start_tuple_probe(TimePoint now, path::Path& p, const PathTuple& tuple,
                                         path::TupleProbe::Purpose purpose, uint64_t remote_cid_seq) {
  auto& set = cids_.remote(p.id);
  auto cit = set.cids.find(remote_cid_seq);
  if (cit == set.cids.end()) return fail(TransportErrorCode::kInternalError, "no connection ID for the probe");
  cit->second.in_use = true;
  if (p.probe) abandon_tuple_probe(now, p, "replaced");
  path::TupleProbe probe;
  probe.purpose = purpose;
  probe.tuple = tuple;
  probe.remote_cid = cit->second.cid;
  probe.remote_cid_sequence = remote_cid_seq;
  rng_.fill(probe.challenge);
  p.probe = probe;
  if (qlog_) {
    qlog_->path_event(now, p.id,
                      purpose == path::TupleProbe::Purpose::kPreferredAddress ? "probing_preferred_address"
                                                                              : "probing_migration",
                      &tuple);
  }
  release_cid_waiters(now);   // sends at once when the peer already holds a spare CID of ours
  return {};
}

void ConnectionImpl::abandon_tuple_probe(TimePoint now, path::Path& p, std::string_view why) {
  if (!p.probe) return;
  // The CID went out on the probed tuple: it must not be used on the current one (§9.5).
  auto seq = p.probe->remote_cid_sequence;
  if (cids_.remote(p.id).cids.erase(seq)) pending_.retire_cid.insert({p.id, seq});
  if (qlog_) qlog_->path_event(now, p.id, fmt::format("probe_{}", why), &p.probe->tuple);
  emit_path_event(p.id, p.state, why == "replaced" ? PathChange::kProbeReplaced : PathChange::kProbeFailed,
                  std::string("probe_") + std::string(why));
  p.probe.reset();
}

void ConnectionImpl::commit_tuple_probe(TimePoint now, path::Path& p) {
  auto probe = std::move(*p.probe);
  p.probe.reset();
  // The CID used on the old tuple is retired (RFC 9000 §9.5) once the peer acknowledges
  // a packet from the new one: it may still be validating us there.
  auto old_seq = p.remote_cid_sequence;
  if (p.deferred_retire) flush_deferred_retire(p);
  if (old_seq != probe.remote_cid_sequence) {
    p.deferred_retire = path::Path::DeferredRetire{old_seq, p.app.sent.next_packet_number()};
  }
  bool port_only = p.tuple.local.same_ip(probe.tuple.local) && p.tuple.remote.same_ip(probe.tuple.remote);
  p.previous_tuple = p.tuple;
  p.previous_tuple_until = now + 3 * largest_pto();
  p.tuple = probe.tuple;
  p.remote_cid = probe.remote_cid;
  p.remote_cid_sequence = probe.remote_cid_sequence;
  // A new network path has unknown RTT and capacity (RFC 9000 §9.4).
  if (!port_only) reset_path_estimates(p);
  bool preferred = probe.purpose == path::TupleProbe::Purpose::kPreferredAddress;
  if (preferred) peer_preferred_address_.reset();
  std::string_view what = preferred ? "preferred_address" : "migrated";
  if (qlog_) qlog_->path_event(now, p.id, what, &p.tuple);
  emit_path_event(p.id, p.state, preferred ? PathChange::kPreferredAddress : PathChange::kMigrated, std::string(what));
}

void ConnectionImpl::flush_deferred_retire(path::Path& p) {
  if (!p.deferred_retire) return;
  if (multipath()) {
    // picoquic with multipath keeps a moved path bound to the CID it had before and closes
    // the connection (PROTOCOL_VIOLATION, "Cannot delete path through which packet
    // arrives") when that CID is retired. The old CID stays unused instead (marked in use
    // so it is never picked again); it only costs the peer one slot of its CID limit.
    p.deferred_retire.reset();
    return;
  }
  if (cids_.remote(p.id).cids.erase(p.deferred_retire->sequence)) {
    pending_.retire_cid.insert({p.id, p.deferred_retire->sequence});
  }
  p.deferred_retire.reset();
}

ApiStatus ConnectionImpl::migrate(TimePoint now, const SocketAddress& new_local) {
  if (perspective_ != Perspective::kClient) return api_fail(ApiErrorCode::kUnsupported, "only clients migrate");
  if (is_draining()) return api_fail(ApiErrorCode::kClosed, "connection is closing");
  if (!handshake_confirmed_) return api_fail(ApiErrorCode::kNotReady, "migration before handshake confirmation");
  if (peer_params_.disable_active_migration) {
    return api_fail(ApiErrorCode::kUnsupported, "peer disabled active migration");
  }
  auto& p = primary_path();
  if (p.tuple.local == new_local) return api_fail(ApiErrorCode::kInvalid, "already on that local address");
  if (p.probe) return api_fail(ApiErrorCode::kWouldBlock, "a probe of another address is still running");
  auto seq = take_unused_remote_cid();
  if (!seq) return api_fail(ApiErrorCode::kNotReady, "no unused connection ID for migration");
  auto started = start_tuple_probe(now, p, PathTuple{new_local, p.tuple.remote}, path::TupleProbe::Purpose::kMigration, *seq);
  if (!started) return api_fail(ApiErrorCode::kNotReady, started.error().reason);
  return {};
}

void ConnectionImpl::move_to_preferred_address(TimePoint now) {
  auto* p = find_path(0);
  auto& set = cids_.remote(0);
  auto it = set.cids.find(1);
  if (!p || it == set.cids.end() || p->tuple.remote == *peer_preferred_address_) return;
  // Probe first; path 0 keeps using (and accepting) the handshake address meanwhile.
  (void)start_tuple_probe(now, *p, PathTuple{p->tuple.local, *peer_preferred_address_},
                          path::TupleProbe::Purpose::kPreferredAddress, 1);
}

void ConnectionImpl::on_probe_timers(TimePoint now) {
  for (auto& [id, p] : paths_) {
    if (!p->probe) continue;
    if (p->probe->deadline <= now) {
      abandon_tuple_probe(now, *p, "failed");
    } else if (p->probe->next_challenge_time <= now) {
      p->probe->challenge_pending_send = true;
      p->probe->next_challenge_time = now + pto_period(*p, true);
    }
  }
}

TimePoint ConnectionImpl::probe_timeout() const {
  TimePoint t = kNever;
  for (auto& [id, p] : paths_) {
    if (!p->probe) continue;
    t = std::min({t, p->probe->deadline, p->probe->next_challenge_time});
  }
  return t;
}

size_t ConnectionImpl::build_lone_packet(TimePoint now, path::Path& p, const ConnectionId& dcid, std::span<uint8_t> out,
                                         size_t min_total, const std::function<void(wire::Writer&)>& frames,
                                         SentFrame::Kind kind) {
  if (!keys_.app || !keys_.app->write.aead || out.size() < 64) return 0;
  auto& space = p.app;
  uint64_t pn = space.sent.next_packet_number();
  // Full 4-byte packet number: this packet travels another network path, and the peer may
  // read hundreds of this path's later packets (from its other socket) before it, more
  // than a shorter encoding's window tolerates.
  size_t pn_len = 4;
  wire::Writer w(out.first(out.size() - crypto::kAeadTagLen));
  auto off = wire::write_short_header(w, dcid, false, keys_.app->key_phase, pn, pn_len);
  if (!off) return 0;
  size_t header_len = w.size();
  frames(w);
  size_t payload_len = w.size() - header_len;
  if (payload_len == 0) return 0;
  size_t pad = pn_len + payload_len < 4 ? 4 - pn_len - payload_len : 0;
  if (min_total > 0 && w.size() + pad + crypto::kAeadTagLen < min_total) pad = min_total - crypto::kAeadTagLen - w.size();
  pad = std::min(pad, w.remaining());
  w.write_zeros(pad);
  payload_len += pad;
  std::optional<qlog::PlaintextFrames> logged;
  if (qlog_ && qlog_->enabled()) logged.emplace(out.subspan(header_len, payload_len));
  size_t total = crypto::protect_packet(*keys_.app->write.aead, *keys_.app->write_hp, multipath() ? p.id : 0, pn, out,
                                        header_len, *off, pn_len, payload_len);
  if (total == 0) return 0;
  space.sent.take_packet_number();
  keys_.app->packets_protected++;
  // Recorded so the peer's ACK of it is known, but neither in flight on this path's
  // congestion controller nor an RTT sample: it travelled another network path.
  recovery::SentPacket sp;
  sp.pn = pn;
  sp.time_sent = now;
  sp.size = static_cast<uint32_t>(total);
  sp.key_generation = keys_.app->generation;
  sp.frames.push_back(SentFrame{kind});
  space.sent.on_packet_sent(std::move(sp));
  stats_.packets_sent++;
  stats_.bytes_sent += total;
  p.packets_sent++;
  p.bytes_sent += total;
  if (logged) qlog_->packet_sent(now, multipath() ? std::optional<uint32_t>(p.id) : std::nullopt, "1RTT", pn, total, logged->frames);
  return total;
}

std::optional<Transmit> ConnectionImpl::poll_probe_transmit(TimePoint now, std::span<uint8_t> buf) {
  if (!handshake_confirmed_ && perspective_ == Perspective::kClient) return std::nullopt;
  for (auto& [id, pp] : paths_) {
    auto& p = *pp;
    if (p.probe && p.probe->challenge_pending_send) {
      // Probes are padded to 1200 bytes to check the new path's MTU (RFC 9000 §8.2.1).
      auto challenge = p.probe->challenge;
      size_t n = build_lone_packet(now, p, p.probe->remote_cid, buf.first(std::min<size_t>(buf.size(), kMinInitialDatagram)),
                                   kMinInitialDatagram,
                                   [&](wire::Writer& w) { wire::encode_frame(w, wire::PathChallengeFrame{challenge}); },
                                   K::kPathChallenge);
      p.probe->challenge_pending_send = false;
      if (n > 0) return Transmit{p.id, p.probe->tuple, n, 0, 0};
    }
    while (!p.off_path_responses.empty()) {
      auto& r = p.off_path_responses.front();
      // Padded to 1200 bytes unless that exceeds 3x what the address sent (RFC 9000 §8.2.2).
      size_t cap = std::min<size_t>({buf.size(), p.mtu, static_cast<size_t>(3 * r.received_bytes)});
      auto data = r.data;
      auto dcid = off_path_cid(p);
      size_t n = build_lone_packet(now, p, dcid, buf.first(cap), std::min<size_t>(cap, kMinInitialDatagram),
                                   [&](wire::Writer& w) { wire::encode_frame(w, wire::PathResponseFrame{data}); },
                                   K::kPathResponse);
      auto tuple = r.tuple;
      p.off_path_responses.pop_front();
      if (n > 0) return Transmit{p.id, tuple, n, 0, 0};
    }
  }
  return std::nullopt;
}

ConnectionId ConnectionImpl::off_path_cid(path::Path& p) {
  // A CID not used towards the current address (RFC 9000 §9.5), kept for the move if the
  // peer then migrates there; the current one when the peer left us no spare.
  if (!p.has_spare_remote_cid) {
    auto& set = cids_.remote(p.id);
    for (auto& [seq, c] : set.cids) {
      if (!c.in_use && seq >= set.retire_prior_to) {
        c.in_use = true;
        p.spare_remote_cid_sequence = seq;
        p.has_spare_remote_cid = true;
        break;
      }
    }
  }
  if (p.has_spare_remote_cid) {
    auto& set = cids_.remote(p.id);
    if (auto it = set.cids.find(p.spare_remote_cid_sequence); it != set.cids.end()) return it->second.cid;
    p.has_spare_remote_cid = false;
  }
  return p.remote_cid;
}

}  // namespace braid::conn

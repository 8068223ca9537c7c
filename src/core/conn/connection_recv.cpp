// Receive path: splitting coalesced datagrams, removing packet protection, duplicate
// detection, dispatching frames with the RFC 9000 §12.4 placement rules, ACK processing
// into recovery and congestion control, and reaction to lost packets.
#include <fmt/format.h>

#include <algorithm>

#include "core/conn/connection_impl.h"
#include "core/crypto/initial_secrets.h"
#include "core/crypto/packet_protection.h"
#include "core/wire/frame_codec.h"

namespace braid::conn {

namespace {
std::string_view packet_type_name(wire::PacketType t) {
  switch (t) {
    case wire::PacketType::kInitial: return "initial";
    case wire::PacketType::kHandshake: return "handshake";
    case wire::PacketType::kZeroRtt: return "0RTT";
    case wire::PacketType::kRetry: return "retry";
    case wire::PacketType::kVersionNegotiation: return "version_negotiation";
    case wire::PacketType::kOneRtt: return "1RTT";
  }
  return "unknown";
}

bool is_probing_frame(const wire::Frame& f) {
  return std::holds_alternative<wire::PaddingFrame>(f) || std::holds_alternative<wire::PathChallengeFrame>(f) ||
         std::holds_alternative<wire::PathResponseFrame>(f) ||
         (std::holds_alternative<wire::NewConnectionIdFrame>(f) &&
          !std::get<wire::NewConnectionIdFrame>(f).path_id);
}
}  // namespace

path::PnSpace& ConnectionImpl::space_for(EncryptionLevel level, path::Path& p) {
  if (level == EncryptionLevel::kInitial) return initial_space_;
  if (level == EncryptionLevel::kHandshake) return handshake_space_;
  return p.app;
}

path::Path* ConnectionImpl::path_for_tuple(const PathTuple& tuple) {
  for (auto& [id, p] : paths_) {
    if (p->tuple == tuple) return p.get();
  }
  return nullptr;
}

void ConnectionImpl::handle_datagram(TimePoint now, const PathTuple& tuple, std::span<uint8_t> data,
                                     uint8_t ecn) {
  if (state_ == ConnState::kClosed || state_ == ConnState::kDraining) return;
  now_ = std::max(now_, now);
  cids_.local.expire(now);
  if (!replaying_buffered_) stats_.bytes_received += data.size();
  if (state_ == ConnState::kClosing) {
    // RFC 9000 §10.2.1: answer further packets with the close frame, not more often than
    // packets arrive.
    close_send_pending_ = true;
    return;
  }
  bool any_processed = false;
  bool all_dropped = true;
  // The anti-amplification credit is per datagram; a buffered packet replayed once keys
  // arrive was credited with the datagram that brought it.
  datagram_credit_pending_ = !replaying_buffered_;
  size_t offset = 0;
  std::optional<ConnectionId> first_dcid;
  size_t short_len = cids_.initial_scid.size();
  auto keys_before = std::make_tuple(keys_.levels[1].read.has_value(), keys_.app.has_value() && keys_.app->read.aead);
  while (offset < data.size()) {
    auto rest = data.subspan(offset);
    auto hdr = wire::parse_header(rest, short_len);
    if (!hdr) {
      // Zeros after the last packet are padding outside the packets (RFC 9000 §14.1 allows
      // it; picoquic pads its Initial datagrams so), not a malformed packet.
      bool trailing_padding = offset > 0 && std::all_of(rest.begin(), rest.end(), [](uint8_t b) { return b == 0; });
      if (!trailing_padding) stats_.packets_dropped++;
      break;
    }
    if (first_dcid && !(hdr->dcid == *first_dcid)) {
      stats_.packets_dropped++;  // coalesced packets must share the DCID (RFC 9000 §12.2)
      break;
    }
    first_dcid = hdr->dcid;
    auto pkt = rest.first(std::min(hdr->packet_length, rest.size()));
    bool dropped = false;
    process_packet(now, tuple, pkt, *hdr, ecn, data.size(), dropped);
    if (!dropped) {
      any_processed = true;
      all_dropped = false;
    }
    if (state_ == ConnState::kDraining || state_ == ConnState::kClosed) return;
    offset += pkt.size();
    if (hdr->type == wire::PacketType::kOneRtt || hdr->type == wire::PacketType::kRetry ||
        hdr->type == wire::PacketType::kVersionNegotiation) {
      break;
    }
  }
  if (datagram_credit_pending_ && perspective_ == Perspective::kServer) {
    // Datagrams whose packets were all discarded count too (RFC 9000 §8.1).
    if (auto* p = path_for_tuple(tuple)) credit_datagram(*p, data.size());
  }
  if (all_dropped && matches_reset_token(data)) {
    enter_draining(now, TransportError{0, 0, "stateless reset", false}, true);
    return;
  }
  if (any_processed) reset_idle_timer(now);
  // Keys that just became available may unlock buffered packets.
  auto keys_after = std::make_tuple(keys_.levels[1].read.has_value(), keys_.app.has_value() && keys_.app->read.aead);
  if (keys_after != keys_before && !undecryptable_.empty()) {
    auto pending = std::move(undecryptable_);
    auto tuples = std::move(undecryptable_tuples_);
    undecryptable_.clear();
    undecryptable_tuples_.clear();
    replaying_buffered_ = true;
    for (size_t i = 0; i < pending.size(); ++i) handle_datagram(now, tuples[i], pending[i], 0);
    replaying_buffered_ = false;
  }
}

void ConnectionImpl::process_packet(TimePoint now, const PathTuple& tuple, std::span<uint8_t> pkt,
                                    const wire::ParsedHeader& hdr, uint8_t ecn, size_t datagram_len,
                                    bool& dropped) {
  auto drop = [&](std::string_view why) {
    dropped = true;
    stats_.packets_dropped++;
    if (qlog_) qlog_->packet_dropped(now, packet_type_name(hdr.type), pkt.size(), why);
  };
  if (hdr.type == wire::PacketType::kVersionNegotiation) {
    if (perspective_ == Perspective::kClient) handle_version_negotiation(now, hdr);
    else drop("unexpected_packet");
    return;
  }
  if (hdr.type == wire::PacketType::kRetry) {
    if (perspective_ == Perspective::kClient) handle_retry(now, pkt, hdr);
    else drop("unexpected_packet");
    return;
  }
  if (hdr.type != wire::PacketType::kOneRtt && hdr.version != kQuicVersion1) return drop("unsupported_version");
  if (hdr.type == wire::PacketType::kZeroRtt) return drop("unsupported_0rtt");

  EncryptionLevel level = hdr.type == wire::PacketType::kInitial     ? EncryptionLevel::kInitial
                          : hdr.type == wire::PacketType::kHandshake ? EncryptionLevel::kHandshake
                                                                     : EncryptionLevel::kApplication;
  wire::PacketKind kind = level == EncryptionLevel::kInitial     ? wire::PacketKind::kInitial
                          : level == EncryptionLevel::kHandshake ? wire::PacketKind::kHandshake
                                                                 : wire::PacketKind::kOneRtt;
  // The path: in multipath the path ID the DCID was issued for, otherwise path 0.
  PathId pid = 0;
  if (level == EncryptionLevel::kApplication && multipath()) {
    auto lp = path_of_local_cid(hdr.dcid);
    if (!lp) return drop("unknown_connection_id");
    pid = *lp;
  }
  path::Path* path = find_path(pid);
  bool new_path = false;
  if (!path || path->state == PathState::kClosed) {
    // A client opening a new path ID: state is created only once the packet authenticates.
    if (level != EncryptionLevel::kApplication || perspective_ == Perspective::kClient || !handshake_confirmed_ ||
        !multipath() || paths_.is_retired(pid) || pid > paths_.local_max_id || path) {
      return drop("unknown_path");
    }
    new_path = true;
  }
  bool new_tuple = path && !(path->tuple == tuple);
  if (new_tuple && level == EncryptionLevel::kApplication && perspective_ == Perspective::kClient) {
    // A client hears from the tuple it probes (the answer to its PATH_CHALLENGE, and data
    // from a server that already follows it) and, for a while, from the one it left.
    bool probed = path->probe && path->probe->tuple == tuple;
    bool left = path->previous_tuple && *path->previous_tuple == tuple && now < path->previous_tuple_until;
    if (probed || left) new_tuple = false;
    else return drop("unknown_address");
  }
  if (new_tuple) {
    // Only 1-RTT packets may arrive from a new address (migration / NAT rebinding), and
    // only a server follows a peer to a new address.
    if (level != EncryptionLevel::kApplication || perspective_ == Perspective::kClient || !handshake_confirmed_) {
      return drop("unknown_address");
    }
  }

  crypto::HeaderProtector* hp = nullptr;
  if (level == EncryptionLevel::kApplication) {
    if (!keys_.app || !keys_.app->read.aead || !keys_.app->read_hp) {
      if (undecryptable_.size() < kMaxUndecryptable) {
        undecryptable_.emplace_back(pkt.begin(), pkt.end());
        undecryptable_tuples_.push_back(tuple);
      }
      dropped = true;
      return;
    }
    hp = keys_.app->read_hp.get();
  } else {
    auto& l = keys_.levels[level == EncryptionLevel::kInitial ? 0 : 1];
    if (l.discarded) return drop("key_unavailable");
    if (!l.read) {
      if (undecryptable_.size() < kMaxUndecryptable) {
        undecryptable_.emplace_back(pkt.begin(), pkt.end());
        undecryptable_tuples_.push_back(tuple);
      }
      dropped = true;
      return;
    }
    hp = l.read->hp.get();
  }
  if (level == EncryptionLevel::kInitial && perspective_ == Perspective::kServer &&
      datagram_len < kMinInitialDatagram) {
    return drop("initial_too_small");  // RFC 9000 §14.1
  }
  auto uh = crypto::remove_header_protection(*hp, pkt, hdr.pn_offset);
  if (!uh) return drop("header_protection");
  std::optional<uint64_t> largest;
  if (path) largest = space_for(level, *path).acks.largest_received();
  uint64_t pn = wire::decode_packet_number(largest ? *largest : UINT64_MAX, uh->truncated_pn, uh->pn_len);
  size_t header_len = hdr.pn_offset + uh->pn_len;
  uint32_t nonce_path = multipath() ? pid : 0;

  std::optional<std::span<uint8_t>> payload;
  if (level == EncryptionLevel::kApplication) {
    auto& k = *keys_.app;
    bool phase = (pkt[0] & 0x04) != 0;
    // The other phase is either a late packet (previous keys) or the peer's next key
    // update. One path: packet numbers tell which (RFC 9001 §6.3). Under multipath they
    // are per path and say nothing across paths, so the previous keys are tried while they
    // are kept (three of the largest PTO) and the next keys after them (draft-21 §4.7).
    bool late = k.read_prev && (multipath() ? true : pn < k.read_phase_start_pn);
    bool may_be_next = k.read_next && handshake_confirmed_;
    std::vector<uint8_t> sealed;   // opening decrypts in place: kept for a second try
    if (phase == k.key_phase) {
      payload = crypto::open_packet(*k.read.aead, nonce_path, pn, pkt, header_len);
      if (payload && k.read_phase_start_pn == UINT64_MAX) k.read_phase_start_pn = pn;
    } else if (late) {
      if (multipath() && may_be_next) sealed.assign(pkt.begin(), pkt.end());
      payload = crypto::open_packet(*k.read_prev->aead, nonce_path, pn, pkt, header_len);
      if (!payload && !sealed.empty()) std::copy(sealed.begin(), sealed.end(), pkt.begin());
    }
    if (!payload && phase != k.key_phase && (!late || !sealed.empty()) && may_be_next) {
      payload = crypto::open_packet(*k.read_next->aead, nonce_path, pn, pkt, header_len);
      if (payload) {
        // The peer started a key update: rotate read keys, follow with our write keys.
        k.read_prev = std::move(k.read);
        k.read = std::move(*k.read_next);
        k.read_next = crypto::derive_next_generation(k.read);
        k.read_phase_start_pn = pn;
        do_key_update(now, false);
      }
    }
    if (!payload) {
      if (++k.failed_opens >= k.read.aead->integrity_limit()) {
        close_with_error(now, TransportError::make(TransportErrorCode::kAeadLimitReached, "integrity limit"));
      }
      return drop("payload_decrypt_error");
    }
  } else {
    auto& l = keys_.levels[level == EncryptionLevel::kInitial ? 0 : 1];
    payload = crypto::open_packet(*l.read->aead, 0, pn, pkt, header_len);
    if (!payload) return drop("payload_decrypt_error");
  }
  // Reserved bits must be zero once protection is removed (RFC 9000 §17.2, §17.3.1).
  uint8_t reserved_mask = (pkt[0] & 0x80) ? 0x0c : 0x18;
  if (pkt[0] & reserved_mask) {
    close_with_error(now, TransportError::make(TransportErrorCode::kProtocolViolation, "reserved bits set"));
    return;
  }
  if (payload->empty()) {
    close_with_error(now, TransportError::make(TransportErrorCode::kProtocolViolation, "packet without frames"));
    return;
  }
  if (new_path) {
    path = &create_path(now, pid, tuple, false);
    new_tuple = false;
  }
  auto& space = space_for(level, *path);
  if (space.acks.is_duplicate(pn)) return drop("duplicate");
  path->last_received = now;

  if (perspective_ == Perspective::kClient && level != EncryptionLevel::kApplication && !peer_scid_known_) {
    // The server's first long-header packet fixes the DCID we use from now on.
    peer_scid_known_ = true;
    peer_initial_scid_ = hdr.scid;
    cids_.remote(0).cids[0].cid = hdr.scid;
    path->remote_cid = hdr.scid;
  } else if (level != EncryptionLevel::kApplication && !(hdr.scid == peer_initial_scid_)) {
    return drop("scid_mismatch");
  }
  if (perspective_ == Perspective::kServer) {
    // RFC 9000 §8.1 counts whole datagrams, padding outside the packets included: a client
    // that pads its Initial datagram with trailing zeros (picoquic does) earns 3x all of it.
    credit_datagram(*path, datagram_len);
    if (level == EncryptionLevel::kHandshake) {
      // A Handshake packet proves the client owns its address (RFC 9000 §8.1).
      path->address_validated = true;
      path->validation = path::ValidationState::kValidated;
      discard_level(now, EncryptionLevel::kInitial);
    }
  }

  bool ack_eliciting = false;
  bool non_probing = false;
  last_packet_dcid_ = hdr.dcid;
  // PATH_CHALLENGEs from another tuple are answered there, not on the path's tuple.
  challenges_from_new_tuple_.clear();
  packet_from_new_tuple_ = new_tuple;
  immediate_ack_asked_ = false;
  auto st = process_frames(now, *path, level, kind, *payload, ack_eliciting, non_probing, pn);
  packet_from_new_tuple_ = false;
  stats_.packets_received++;
  path->packets_received++;
  path->bytes_received += pkt.size();
  if (!st) {
    close_with_error(now, st.error());
    return;
  }
  if (state_ == ConnState::kDraining || state_ == ConnState::kClosed) return;
  if (level == EncryptionLevel::kInitial && keys_.levels[0].discarded) return;
  space.acks.on_packet_received(pn, now, ack_eliciting, static_cast<recovery::Ecn>(ecn & 0x03));
  if (immediate_ack_asked_) space.acks.request_immediate_ack();   // IMMEDIATE_ACK: this path's space
  // A non-probing packet from a new address that is the newest we have seen moves the path
  // there (migration or NAT rebinding, RFC 9000 §9.3); a probing-only one is answered on
  // that address while the path stays where it is.
  if (new_tuple && non_probing && (!largest || pn > *largest)) {
    on_peer_address_change(now, *path, tuple, hdr.dcid);
    datagram_credit_pending_ = true;   // the limit restarts on the new address with this datagram
    credit_datagram(*path, datagram_len);
    for (auto& d : challenges_from_new_tuple_) {
      if (path->responses_owed.size() < 4) path->responses_owed.push_back(d);
    }
  } else if (new_tuple) {
    for (auto& d : challenges_from_new_tuple_) {
      if (path->off_path_responses.size() < 4) path->off_path_responses.push_back({tuple, d, datagram_len});
    }
  }
  if (level == EncryptionLevel::kApplication && path->tuple == tuple) path->last_peer_dcid = hdr.dcid;
}

Status ConnectionImpl::process_frames(TimePoint now, path::Path& path, EncryptionLevel level,
                                      wire::PacketKind kind, std::span<const uint8_t> payload,
                                      bool& ack_eliciting, bool& non_probing, uint64_t pn) {
  wire::Reader r(payload);
  std::vector<wire::Frame> logged;
  bool log = qlog_ && qlog_->enabled();
  while (!r.empty()) {
    uint64_t ftype = 0;
    auto fr = wire::decode_frame(r, &ftype);
    if (!fr) return std::unexpected(fr.error());
    if (!wire::frame_allowed_in(ftype, kind)) {
      return fail(TransportErrorCode::kProtocolViolation, fmt::format("frame 0x{:x} not allowed here", ftype), ftype);
    }
    if (wire::frame_is_ack_eliciting(ftype)) ack_eliciting = true;
    if (!is_probing_frame(*fr)) non_probing = true;
    if (!std::holds_alternative<wire::PaddingFrame>(*fr) && !std::holds_alternative<wire::PingFrame>(*fr) &&
        !std::holds_alternative<wire::AckFrame>(*fr)) {
      path.last_data_received = now;   // more than a probe or an ACK: the peer uses this path
    }
    if (log) logged.push_back(*fr);
    Status st;
    std::visit(
        [&](auto& f) {
          using F = std::decay_t<decltype(f)>;
          if constexpr (std::is_same_v<F, wire::PaddingFrame> || std::is_same_v<F, wire::PingFrame>) {
          } else if constexpr (std::is_same_v<F, wire::AckFrame>) {
            if (f.path_id) {
              st = multipath() ? handle_ack(now, level, f)
                               : fail(TransportErrorCode::kProtocolViolation, "PATH_ACK without multipath", ftype);
            } else {
              st = handle_ack(now, level, f);
            }
          } else if constexpr (std::is_same_v<F, wire::CryptoFrame>) {
            st = process_crypto_frame(now, level, f);
          } else if constexpr (std::is_same_v<F, wire::NewTokenFrame>) {
            if (perspective_ == Perspective::kServer) {
              st = fail(TransportErrorCode::kProtocolViolation, "NEW_TOKEN from client", ftype);
            }
          } else if constexpr (std::is_same_v<F, wire::StreamFrame>) {
            // Per-path stream bytes go to the path the packet arrived on.
            uint64_t counted = stats_.stream_bytes_received;
            uint64_t dup = duplicate_stream_bytes(f);
            path.duplicate_bytes_received += dup;
            stats_.duplicate_bytes_received += dup;
            st = on_stream_frame(now, f);
            path.stream_bytes_received += stats_.stream_bytes_received - counted;
          } else if constexpr (std::is_same_v<F, wire::ResetStreamFrame>) {
            st = on_reset_stream(now, f);
          } else if constexpr (std::is_same_v<F, wire::StopSendingFrame>) {
            st = on_stop_sending(now, f);
          } else if constexpr (std::is_same_v<F, wire::MaxDataFrame>) {
            if (streams_.conn_send_limit.update(f.maximum)) {
              for (auto& [id, s] : streams_) {
                if (s.send && s.send->has_pending()) streams_.queue_send(s);
              }
            }
          } else if constexpr (std::is_same_v<F, wire::MaxStreamDataFrame>) {
            st = on_max_stream_data(f);
          } else if constexpr (std::is_same_v<F, wire::MaxStreamsFrame>) {
            st = on_max_streams(f);
          } else if constexpr (std::is_same_v<F, wire::DataBlockedFrame> ||
                               std::is_same_v<F, wire::StreamsBlockedFrame>) {
          } else if constexpr (std::is_same_v<F, wire::StreamDataBlockedFrame>) {
            auto s = stream_for_frame(f.stream_id, false, ftype);
            if (!s) st = std::unexpected(s.error());
          } else if constexpr (std::is_same_v<F, wire::NewConnectionIdFrame>) {
            if (f.path_id && !multipath()) {
              st = fail(TransportErrorCode::kProtocolViolation, "PATH_NEW_CONNECTION_ID without multipath", ftype);
            } else {
              st = on_new_connection_id(f);
            }
          } else if constexpr (std::is_same_v<F, wire::RetireConnectionIdFrame>) {
            if (f.path_id && !multipath()) {
              st = fail(TransportErrorCode::kProtocolViolation, "PATH_RETIRE_CONNECTION_ID without multipath", ftype);
            } else {
              st = on_retire_connection_id(f, path.remote_cid);
            }
          } else if constexpr (std::is_same_v<F, wire::PathChallengeFrame>) {
            if (packet_from_new_tuple_) {
              if (challenges_from_new_tuple_.size() < 4) challenges_from_new_tuple_.push_back(f.data);
            } else if (path.responses_owed.size() < 4) {
              path.responses_owed.push_back(f.data);
            }
          } else if constexpr (std::is_same_v<F, wire::PathResponseFrame>) {
            // A response validates the path its challenge went out on, whichever path it
            // arrives on (RFC 9000 §8.2.2).
            if (path.challenge_data && *path.challenge_data == f.data) on_path_validated(now, path);
            for (auto& [pid, q] : paths_) {
              if (q->probe && q->probe->challenge == f.data) {
                commit_tuple_probe(now, *q);
                break;
              }
            }
          } else if constexpr (std::is_same_v<F, wire::ConnectionCloseFrame>) {
            TransportError e{f.error_code, f.frame_type, std::string(f.reason.begin(), f.reason.end()),
                             f.application};
            enter_draining(now, e, true);
          } else if constexpr (std::is_same_v<F, wire::HandshakeDoneFrame>) {
            if (perspective_ == Perspective::kServer) {
              st = fail(TransportErrorCode::kProtocolViolation, "HANDSHAKE_DONE from client", ftype);
            } else {
              on_handshake_confirmed(now);
            }
          } else if constexpr (std::is_same_v<F, wire::DatagramFrame>) {
            if (cfg_.max_datagram_frame_size == 0 || f.data.size() > cfg_.max_datagram_frame_size) {
              st = fail(TransportErrorCode::kProtocolViolation, "unexpected or oversized DATAGRAM", ftype);
            } else if (is_duplicate_datagram(now, path.id, f.data)) {
              stats_.datagrams_duplicate_received++;
              path.duplicate_bytes_received += f.data.size();
            } else {
              if (datagrams_in_.size() >= cfg_.max_datagram_queue) datagrams_in_.pop_front();
              datagrams_in_.emplace_back(f.data.begin(), f.data.end());
              emit({ConnectionEventType::kDatagramReceived});
            }
          } else if constexpr (std::is_same_v<F, wire::AdvertiseAddressFrame>) {
            st = on_advertise_address(f, ftype);
          } else if constexpr (std::is_same_v<F, wire::AckFrequencyFrame>) {
            st = on_ack_frequency(f, ftype);
          } else if constexpr (std::is_same_v<F, wire::ImmediateAckFrame>) {
            st = on_immediate_ack(ftype);
          } else {
            // Multipath control frames: only legal once multipath was negotiated.
            if (!multipath()) {
              st = fail(TransportErrorCode::kProtocolViolation, "multipath frame without negotiation", ftype);
            } else {
              st = on_multipath_frame(now, path, *fr, ftype);
            }
          }
        },
        *fr);
    if (!st) return st;
    if (state_ == ConnState::kDraining || state_ == ConnState::kClosed) break;
  }
  if (log) {
    qlog_->packet_received(now, level == EncryptionLevel::kApplication ? std::optional<uint32_t>(path.id) : std::nullopt,
                           level == EncryptionLevel::kInitial     ? "initial"
                           : level == EncryptionLevel::kHandshake ? "handshake"
                                                                  : "1RTT",
                           pn, payload.size(), logged);
  }
  return {};
}

void ConnectionImpl::credit_datagram(path::Path& p, size_t datagram_len) {
  if (!datagram_credit_pending_) return;
  datagram_credit_pending_ = false;
  p.amplification_received += datagram_len;
}


#ifdef BRAID_FUZZING
void ConnectionImpl::process_plaintext_for_fuzzing(TimePoint now, std::span<const uint8_t> payload, uint64_t pn) {
  if (is_draining() || payload.empty()) return;
  now_ = std::max(now_, now);
  auto& path = primary_path();
  if (path.app.acks.is_duplicate(pn)) return;
  bool ack_eliciting = false, non_probing = false;
  last_packet_dcid_ = cids_.initial_scid;
  auto st = process_frames(now, path, EncryptionLevel::kApplication, wire::PacketKind::kOneRtt, payload, ack_eliciting,
                           non_probing, pn);
  if (!st) {
    close_with_error(now, st.error());
    return;
  }
  if (!is_draining()) path.app.acks.on_packet_received(pn, now, ack_eliciting, recovery::Ecn::kNotEct);
  if (!is_draining() && immediate_ack_asked_) path.app.acks.request_immediate_ack();
  immediate_ack_asked_ = false;
}
#endif

}  // namespace braid::conn

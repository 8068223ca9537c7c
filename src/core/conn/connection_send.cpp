// Send path: choosing what goes into each datagram (ACKs, CRYPTO, control frames,
// DATAGRAM and STREAM data), coalescing long-header packets, padding Initial datagrams,
// congestion/pacing/anti-amplification gating, packet protection, and GSO batches of
// equal-sized 1-RTT packets.
#include <fmt/format.h>

#include <algorithm>

#include "core/conn/connection_impl.h"
#include "core/crypto/packet_protection.h"
#include "core/qlog/qlog_frames.h"
#include "core/wire/frame_codec.h"

namespace braid::conn {

using recovery::SentFrame;
using K = recovery::SentFrame::Kind;

namespace {
constexpr size_t kMinPacketRoom = 64;   // below this a new packet is not worth starting
}  // namespace

uint64_t ConnectionImpl::path_bytes_in_flight(const path::Path& p) const {
  uint64_t in_flight = p.app.sent.bytes_in_flight();
  if (p.id == paths_.begin()->first) {
    in_flight += initial_space_.sent.bytes_in_flight() + handshake_space_.sent.bytes_in_flight();
  }
  return in_flight;
}

bool ConnectionImpl::has_data_ready() const {
  if (!datagrams_out_.empty() || keys_.levels[2].send.has_pending()) return true;
  for (auto& [id, p] : paths_) {
    if (p->owes_copies()) return true;
  }
  return !streams_.send_queue.empty() && streams_.conn_send_limit.available(streams_.conn_bytes_sent) > 0;
}

void ConnectionImpl::mark_app_limited_paths() {
  for (auto& [id, p] : paths_) {
    uint64_t in_flight = path_bytes_in_flight(*p);
    if (in_flight + p->mtu <= p->cc->window()) p->rate.mark_app_limited(in_flight);
  }
}

uint64_t ConnectionImpl::send_window_available(const path::Path& p) const {
  uint64_t in_flight = path_bytes_in_flight(p);
  uint64_t cwnd = p.cc->window();
  return cwnd > in_flight ? cwnd - in_flight : 0;
}

uint8_t ConnectionImpl::ecn_for(path::Path& p) const {
  if (!handshake_confirmed_) return 0;   // long-header packets are never marked
  if (p.ecn == path::EcnState::kCapable) return static_cast<uint8_t>(recovery::Ecn::kEct0);
  if (p.ecn == path::EcnState::kTesting) {
    if (p.ecn_testing_sent < 10) return static_cast<uint8_t>(recovery::Ecn::kEct0);
    p.ecn = path::EcnState::kUnknown;
  }
  return 0;
}

uint64_t ConnectionImpl::amplification_budget(const path::Path& p) const {
  if (perspective_ == Perspective::kClient || p.address_validated) return UINT64_MAX;
  uint64_t allowed = 3 * p.amplification_received;
  return allowed > p.amplification_sent ? allowed - p.amplification_sent : 0;
}

bool ConnectionImpl::level_wants_send(TimePoint now, const path::Path& p, EncryptionLevel level,
                                      bool cc_allows) const {
  if (level != EncryptionLevel::kApplication) {
    const auto& l = keys_.levels[level_index(level)];
    if (l.discarded || !l.write) return false;
    if (!injected_frames_[level_index(level)].empty()) return true;
    const auto& space = level == EncryptionLevel::kInitial ? initial_space_ : handshake_space_;
    if (space.acks.ack_pending() && space.acks.ack_deadline() <= now) return true;
    if (space.probes_owed > 0) return true;
    return cc_allows && l.send.has_pending();
  }
  if (!keys_.app || !keys_.app->write.aead || !p.sendable()) return false;
  if (p.app.acks.ack_pending() && p.app.acks.ack_deadline() <= now) return true;
  if (p.app.probes_owed > 0 || !p.responses_owed.empty() || p.challenge_pending_send) return true;
  if (!injected_frames_[2].empty()) return true;
  if (multipath()) {
    // ACKs of other paths that this path carries (abandoned paths, lowest-RTT policy).
    for (auto& [id, q] : paths_) {
      if (q.get() != &p && q->app.acks.ack_pending() && q->app.acks.ack_deadline() <= now &&
          const_cast<ConnectionImpl*>(this)->ack_carrier(*q) == &p) {
        return true;
      }
    }
  }
  if (!cc_allows) return false;
  if (!handshake_complete_ && perspective_ == Perspective::kServer) return false;
  if (!p.usable()) return false;
  return pending_.any() || !streams_.send_queue.empty() || !datagrams_out_.empty() || p.owes_copies() ||
         keys_.levels[2].send.has_pending();
}

std::optional<Transmit> ConnectionImpl::poll_transmit(TimePoint now, std::span<uint8_t> buf, size_t max_segments) {
  start_queued_paths(now);   // open_path requests whose handshake, limit and CIDs have come
  if (state_ == ConnState::kClosed || state_ == ConnState::kDraining) return std::nullopt;
  if (state_ == ConnState::kClosing) {
    if (!close_send_pending_) return std::nullopt;
    close_send_pending_ = false;
    auto& p = primary_path();
    size_t n = build_close_datagram(now, p, buf.first(std::min<size_t>(buf.size(), p.mtu)));
    if (n == 0) return std::nullopt;
    return Transmit{p.id, p.tuple, n, 0, 0};
  }
  maybe_auto_key_update(now);

  collect_closed_paths(now);
  // Probes of another tuple and answers to a peer's probe leave on their own tuple.
  if (auto t = poll_probe_transmit(now, buf)) return t;
  auto plan = plan_datagram(now, buf.size());
  if (!plan) {
    if (handshake_confirmed_ && !has_data_ready()) mark_app_limited_paths();
    return std::nullopt;
  }
  auto& p = *find_path(plan->path);
  if (plan->pmtu_probe) {
    bool e = false;
    size_t n = build_packet(now, *plan, p, EncryptionLevel::kApplication, buf.first(p.pmtu_target), p.pmtu_target,
                            false, e);
    if (n > 0) {
      p.pmtu_probe_in_flight = true;
      p.bytes_sent += n;
      stats_.bytes_sent += n;
      on_datagram_sent(now, *plan, p, n, e);
      return Transmit{p.id, p.tuple, n, plan->ecn, 0};
    }
    plan->pmtu_probe = false;
  }
  size_t seg = std::min<size_t>(p.mtu, buf.size());
  bool eliciting = false;
  size_t first = build_datagram(now, *plan, p, buf.first(seg), eliciting, true);
  if (first == 0) return std::nullopt;
  on_datagram_sent(now, *plan, p, first, eliciting);
  size_t total = first;
  size_t segments = 1;
  bool had_long = (buf[0] & 0x80) != 0;
  if (!had_long && first == seg) {
    // A GSO batch continues only while every next datagram is planned the same way.
    while (segments < max_segments && total + seg <= buf.size()) {
      auto next = plan_datagram(now, seg);
      if (!next || next->path != p.id || next->pmtu_probe || next->ecn != plan->ecn) break;
      bool e = false;
      size_t n = build_datagram(now, *next, p, buf.subspan(total, seg), e, false);
      if (n == 0) break;
      on_datagram_sent(now, *next, p, n, e);
      total += n;
      segments++;
      if (n < seg) break;  // a short segment ends a GSO batch
    }
  }
  return Transmit{p.id, p.tuple, total, plan->ecn, static_cast<uint16_t>(segments > 1 ? seg : 0)};
}

size_t ConnectionImpl::build_datagram(TimePoint now, const DatagramPlan& plan, path::Path& p, std::span<uint8_t> out,
                                      bool& ack_eliciting, bool allow_long) {
  uint64_t budget = amplification_budget(p);
  if (budget < out.size()) out = out.first(static_cast<size_t>(budget));
  if (out.size() < kMinPacketRoom) return 0;

  bool cc_allows = send_window_available(p) > 0;
  if (cc_allows && cfg_.pacing) {
    p.pacer.update(p.cc->window(), p.rtt.has_sample() ? p.rtt.smoothed() : Duration::zero(), p.cc->pacing_rate());
    if (p.pacer.next_send_time(now, p.mtu) > now) cc_allows = false;
  }

  constexpr EncryptionLevel kLevels[3] = {EncryptionLevel::kInitial, EncryptionLevel::kHandshake,
                                          EncryptionLevel::kApplication};
  bool wants[3] = {false, false, false};
  for (int i = 0; i < 3; ++i) {
    if (i < 2 && (!allow_long || p.id != paths_.begin()->first)) continue;
    wants[i] = level_wants_send(now, p, kLevels[i], cc_allows);
  }
  // Datagrams carrying ack-eliciting Initial packets are padded to 1200 bytes, in both
  // roles (RFC 9000 §14.1); the client pads every Initial datagram.
  bool pad = wants[0] && (perspective_ == Perspective::kClient || (cc_allows && keys_.levels[0].send.has_pending()) ||
                          initial_space_.probes_owed > 0 || !injected_frames_[0].empty());
  if (pad && out.size() < kMinInitialDatagram) {
    // The anti-amplification budget cannot carry a full-size Initial datagram: wait for the
    // client's next datagram (each earns 3 x 1200 bytes or more) rather than send a short
    // Initial, or Handshake packets the client cannot read before the Initial.
    return 0;
  }
  int last = -1;
  for (int i = 0; i < 3; ++i) if (wants[i]) last = i;
  if (last < 0) return 0;
  size_t used = 0;
  bool initial_sent = false;
  for (int i = 0; i <= last; ++i) {
    if (!wants[i]) continue;
    size_t remaining = out.size() - used;
    if (remaining < kMinPacketRoom) break;
    size_t min_total =
        (pad && !pad_initial_outside_ && i == last && used < kMinInitialDatagram) ? kMinInitialDatagram - used : 0;
    bool e = false;
    size_t n = build_packet(now, plan, p, kLevels[i], out.subspan(used, remaining), min_total, cc_allows, e);
    ack_eliciting |= e;
    used += n;
    if (i == 0 && n > 0) initial_sent = true;
    if (i == 1 && n > 0 && perspective_ == Perspective::kClient) discard_level(now, EncryptionLevel::kInitial);
  }
  size_t padded_size = pad_initial_outside_ ? std::min<size_t>(out.size(), kMinInitialDatagram + 52) : kMinInitialDatagram;
  if (pad && initial_sent && used < padded_size && out.size() >= padded_size) {
    // A later packet meant to carry the padding had nothing to send: pad after the packets.
    std::fill(out.begin() + used, out.begin() + padded_size, 0);
    used = padded_size;
  }
  if (used > 0) {
    p.amplification_sent += used;
    p.bytes_sent += used;
    stats_.bytes_sent += used;
  }
  return used;
}

size_t ConnectionImpl::build_packet(TimePoint now, const DatagramPlan& plan, path::Path& p, EncryptionLevel level,
                                    std::span<uint8_t> out, size_t min_total, bool cc_allows, bool& ack_eliciting) {
  auto& space = space_for(level, p);
  bool is_long = level != EncryptionLevel::kApplication;
  if (out.size() <= crypto::kAeadTagLen + 32) return 0;
  uint64_t pn = space.sent.next_packet_number();
  auto largest_acked = space.sent.largest_acked();
  size_t pn_len = wire::packet_number_length(pn, largest_acked ? *largest_acked : UINT64_MAX);

  wire::Writer w(out.first(out.size() - crypto::kAeadTagLen));
  std::optional<wire::LongHeaderLayout> layout;
  size_t pn_offset = 0;
  if (is_long) {
    std::span<const uint8_t> token;
    if (level == EncryptionLevel::kInitial && perspective_ == Perspective::kClient) token = retry_token_;
    layout = wire::write_long_header(w, level == EncryptionLevel::kInitial ? wire::PacketType::kInitial
                                                                            : wire::PacketType::kHandshake,
                                     kQuicVersion1, p.remote_cid, cids_.initial_scid, token, pn, pn_len);
    if (!layout) return 0;
    pn_offset = layout->pn_offset;
  } else {
    auto off = wire::write_short_header(w, p.remote_cid, false, keys_.app->key_phase, pn, pn_len);
    if (!off) return 0;
    pn_offset = *off;
  }
  size_t header_len = w.size();
  size_t limit = w.size() + w.remaining();
  std::vector<SentFrame> sent;
  bool eliciting = false;
  bool has_ack = false;
  bool log = qlog_ && qlog_->enabled();

  // 1. ACK (piggybacked whenever something is owed).
  if (space.acks.ack_pending()) {
    uint64_t exp = level == EncryptionLevel::kApplication ? cfg_.ack_delay_exponent : 0;
    if (auto ack = space.acks.build_ack(now, exp)) {
      if (level != EncryptionLevel::kApplication) ack->ack_delay = 0;
      if (multipath() && level == EncryptionLevel::kApplication) ack->path_id = p.id;
      if (wire::encode_ack_frame(w, *ack, std::min<size_t>(w.remaining(), 256))) {
        space.acks.on_ack_sent();
        stats_.ack_frames_sent++;
        has_ack = true;
        SentFrame f;
        f.kind = K::kAck;
        f.level = static_cast<uint8_t>(level_index(level));
        f.id = ack->largest();
        f.offset = p.id;
        sent.push_back(f);
      }
    }
  }
  if (level == EncryptionLevel::kApplication && multipath()) {
    for (auto& [id, q] : paths_) {
      if (q.get() == &p || !q->app.acks.ack_pending() || ack_carrier(*q) != &p) continue;
      auto ack = q->app.acks.build_ack(now, cfg_.ack_delay_exponent);
      if (!ack) continue;
      ack->path_id = q->id;
      if (!wire::encode_ack_frame(w, *ack, std::min<size_t>(w.remaining(), 128))) continue;
      q->app.acks.on_ack_sent();
      stats_.ack_frames_sent++;
      SentFrame f;
      f.kind = K::kAck;
      f.level = 2;
      f.id = ack->largest();
      f.offset = q->id;
      sent.push_back(f);
    }
  }
  bool probing = space.probes_owed > 0;
  bool data_path = level != EncryptionLevel::kApplication || p.usable();
  bool may_send_data = (cc_allows || probing) && data_path && (plan.data_allowed || probing) &&
                       !(probing && p.probe_ping_only);

  if (level == EncryptionLevel::kApplication) {
    // Path validation frames are sent regardless of congestion (RFC 9000 §8.2).
    while (!p.responses_owed.empty() && w.remaining() >= 9) {
      wire::PathResponseFrame fr{p.responses_owed.front()};
      wire::encode_frame(w, fr);
      p.responses_owed.pop_front();
      sent.push_back(SentFrame{K::kPathResponse});
      eliciting = true;
    }
    if (p.challenge_pending_send && p.challenge_data && w.remaining() >= 9) {
      wire::PathChallengeFrame fr{*p.challenge_data};
      wire::encode_frame(w, fr);
      p.challenge_pending_send = false;
      sent.push_back(SentFrame{K::kPathChallenge});
      eliciting = true;
      // Probes to a new path are padded to 1200 bytes to check its MTU (RFC 9000 §8.2.1).
      if (min_total == 0) min_total = std::min<size_t>(kMinInitialDatagram, out.size());
    }
  }

  // 2. CRYPTO data (retransmissions first, then new).
  auto& cl = keys_.levels[level_index(level)];
  if (may_send_data && !cl.discarded) {
    while (w.remaining() > 16) {
      size_t room = w.remaining();
      auto slice = cl.send.next_slice(room > 16 ? room - 16 : 0, UINT64_MAX);
      if (!slice || slice->length == 0) break;
      size_t hdr = wire::crypto_frame_header_size(slice->offset, slice->length);
      if (hdr + slice->length > room) {
        slice->length = room > hdr ? room - hdr : 0;
        if (slice->length == 0) break;
      }
      wire::encode_crypto_frame_header(w, slice->offset, slice->length);
      uint8_t* dst = w.cursor();
      w.write_zeros(slice->length);
      cl.send.copy_out(slice->offset, slice->length, dst);
      slice->fin = false;
      cl.send.on_sent(*slice);
      SentFrame f;
      f.kind = K::kCrypto;
      f.level = static_cast<uint8_t>(level_index(level));
      f.offset = slice->offset;
      f.length = static_cast<uint32_t>(slice->length);
      sent.push_back(f);
      eliciting = true;
    }
  }

  // 3. Application data.
  if (level == EncryptionLevel::kApplication && may_send_data &&
      (handshake_complete_ || perspective_ == Perspective::kClient)) {
    size_t before = sent.size();
    write_control_frames(now, w, sent, limit);
    write_copy_frames(w, p, sent);
    write_datagram_frames(plan, w, p, sent);
    write_stream_frames(plan, w, p, sent, limit);
    for (size_t i = before; i < sent.size(); ++i) {
      if (sent[i].kind != K::kAck && sent[i].kind != K::kPadding) eliciting = true;
    }
  }

  for (auto& raw : injected_frames_[level_index(level)]) {
    if (raw.size() <= w.remaining()) {
      w.write_bytes(raw);
      eliciting = true;
    }
  }
  injected_frames_[level_index(level)].clear();

  if (plan.pmtu_probe && w.remaining() >= 1) {
    w.write_u8(0x01);
    sent.push_back(SentFrame{K::kPing});
    eliciting = true;
  }

  // 4. A probe must elicit an ACK even when there is nothing to resend; a peer that takes
  // ack frequency requests is asked for it at once (IMMEDIATE_ACK, draft §7 and §8), so
  // PTO, PMTU and liveness probes are not held by the ACK delay we asked for.
  if (level == EncryptionLevel::kApplication && ack_freq_.enabled() && (probing || plan.pmtu_probe || pending_.ping) &&
      w.remaining() >= 1) {
    wire::encode_frame(w, wire::ImmediateAckFrame{});
    sent.push_back(SentFrame{K::kImmediateAck});
    eliciting = true;
  }
  if (probing && !eliciting && w.remaining() >= 1) {
    w.write_u8(0x01);
    sent.push_back(SentFrame{K::kPing});
    eliciting = true;
  }
  if (pending_.ping && level == EncryptionLevel::kApplication && w.remaining() >= 1 && !eliciting) {
    w.write_u8(0x01);
    sent.push_back(SentFrame{K::kPing});
    eliciting = true;
  }
  if (level == EncryptionLevel::kApplication) pending_.ping = false;

  size_t payload_len = w.size() - header_len;
  if (payload_len == 0) return 0;
  // Header protection samples 16 bytes starting 4 bytes after the packet number.
  size_t pad = 0;
  if (pn_len + payload_len < 4) pad = 4 - pn_len - payload_len;
  if (min_total > 0 && w.size() + pad + crypto::kAeadTagLen < min_total) {
    pad = min_total - crypto::kAeadTagLen - w.size();
  }
  if (pad > 0) {
    pad = std::min(pad, w.remaining());
    w.write_zeros(pad);
    payload_len += pad;
  }
  if (layout) wire::patch_long_header_length(w, *layout, pn_len, payload_len - 0 + crypto::kAeadTagLen - 0);
  std::optional<qlog::PlaintextFrames> logged;
  if (log) logged.emplace(out.subspan(header_len, payload_len));

  size_t total = 0;
  uint32_t nonce_path = multipath() ? p.id : 0;
  if (level == EncryptionLevel::kApplication) {
    total = crypto::protect_packet(*keys_.app->write.aead, *keys_.app->write_hp, nonce_path, pn, out, header_len,
                                   pn_offset, pn_len, payload_len);
    keys_.app->packets_protected++;
  } else {
    total = crypto::protect_packet(*cl.write->aead, *cl.write->hp, 0, pn, out, header_len, pn_offset, pn_len,
                                   payload_len);
  }
  if (total == 0) return 0;
  space.sent.take_packet_number();

  recovery::SentPacket sp;
  sp.pn = pn;
  sp.time_sent = now;
  sp.size = static_cast<uint32_t>(total);
  sp.ack_eliciting = eliciting;
  sp.in_flight = eliciting || pad > 0;
  sp.is_pmtu_probe = plan.pmtu_probe;
  if (level == EncryptionLevel::kApplication) sp.key_generation = keys_.app->generation;
  if (level == EncryptionLevel::kApplication && plan.ecn != 0) {
    sp.ecn_marked = true;
    if (p.ecn == path::EcnState::kTesting) p.ecn_testing_sent++;
  }
  bool carries_data = std::any_of(sent.begin(), sent.end(), [](const SentFrame& f) {
    return f.kind != K::kPing && f.kind != K::kPadding && f.kind != K::kAck;
  });
  sp.frames = std::move(sent);
  const bool sp_in_flight = sp.in_flight;  // sp is moved into the sent-packet list below
  if (sp.in_flight) {
    uint64_t before = path_bytes_in_flight(p);
    p.rate.on_packet_sent(sp, before);
    p.cc->on_packet_sent(SentSample{now, total, before + total, p.rate.app_limited()});
    if (cfg_.pacing) p.pacer.on_packet_sent(now, total);
  }
  space.sent.on_packet_sent(std::move(sp));
  if (eliciting && space.probes_owed > 0) space.probes_owed--;
  (void)has_ack;
  ack_eliciting = eliciting;
  stats_.packets_sent++;
  p.packets_sent++;
  p.last_sent = now;
  if (carries_data) p.last_data_sent = now;
  if (log) {
    qlog_->packet_sent(now, level == EncryptionLevel::kApplication ? std::optional<uint32_t>(p.id) : std::nullopt,
                       level == EncryptionLevel::kInitial     ? "initial"
                       : level == EncryptionLevel::kHandshake ? "handshake"
                                                              : "1RTT",
                       pn, total, logged->frames);
    if (sp_in_flight) log_path_metrics(now, p);
  }
  return total;
}


}  // namespace braid::conn

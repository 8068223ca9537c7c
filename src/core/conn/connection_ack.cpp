// Acknowledgements and losses: ACK / PATH_ACK processing into RTT, recovery and congestion
// control, ECN validation, PMTU probe results, spurious-loss detection, and what happens to
// the frames of acknowledged and lost packets.
#include "core/conn/connection_impl.h"

namespace braid::conn {

Status ConnectionImpl::handle_ack(TimePoint now, EncryptionLevel level, const wire::AckFrame& ack) {
  // ACK acknowledges path 0 (and Initial/Handshake); PATH_ACK names its path.
  stats_.ack_frames_received++;
  PathId acked_path = ack.path_id.value_or(0);
  if (ack.path_id) {
    if (auto st = check_path_id_limit(acked_path, ack.ecn ? 0x3f : 0x3e); !st) return st;
  }
  path::Path* p = level == EncryptionLevel::kApplication ? find_path(acked_path) : &primary_path();
  if (!p) return {};  // unknown or abandoned path: ignored (multipath §8)
  auto& space = space_for(level, *p);
  Duration ack_delay{};
  Duration max_ack_delay{};
  if (level == EncryptionLevel::kApplication) {
    uint64_t exp = peer_params_applied_ ? peer_params_.ack_delay_exponent : 3;
    uint64_t us = exp < 63 ? (ack.ack_delay << exp) : 0;
    ack_delay = std::chrono::microseconds(static_cast<int64_t>(std::min<uint64_t>(us, 1ull << 40)));
    max_ack_delay = peer_max_ack_delay();
  }
  Duration pc_period = (p->rtt.smoothed() + std::max(4 * p->rtt.variance(), recovery::kGranularity) + max_ack_delay) *
                       recovery::kPersistentCongestionThreshold;
  recovery::LossDetector::Owed owed_before;
  if (level == EncryptionLevel::kApplication) owed_before = space.sent.owed(1);
  auto out = space.sent.on_ack_received(ack, ack_delay, now, p->rtt, handshake_confirmed_, max_ack_delay, pc_period,
                                        p->first_rtt_sample);
  if (!out) return std::unexpected(out.error());
  if (out->rtt_updated) {
    if (p->first_rtt_sample == kNever) p->first_rtt_sample = now;
    p->srtt_min_seen = std::min(p->srtt_min_seen, p->rtt.smoothed());
    p->srtt_max_seen = std::max(p->srtt_max_seen, p->rtt.smoothed());
    if (level == EncryptionLevel::kApplication) record_rtt_prior(now, *p);
  }
  if (level == EncryptionLevel::kApplication && p->deferred_retire && p->responses_owed.empty()) {
    if (auto la = space.sent.largest_acked(); la && *la >= p->deferred_retire->after_pn) flush_deferred_retire(*p);
  }
  // Rate sampling: this ACK's losses first, then what it acknowledged (draft order).
  for (auto& pkt : out->lost) {
    if (pkt.in_flight && !pkt.is_pmtu_probe) p->rate.on_packet_lost(pkt);
  }
  for (auto& pkt : out->newly_acked) {
    if (pkt.in_flight) p->rate.on_packet_acked(pkt, now);
  }
  RateSample rate = p->rate.take_sample(p->rtt.min());
  if (!out->newly_acked.empty()) {
    if (qlog_ && qlog_->enabled()) {
      // Per path and space, so a reader can join them with packet_sent (e.g. acked bytes).
      std::vector<uint64_t> pns;
      pns.reserve(out->newly_acked.size());
      for (auto& pkt : out->newly_acked) pns.push_back(pkt.pn);
      qlog_->packets_acked(now, level == EncryptionLevel::kApplication ? std::optional<uint32_t>(p->id) : std::nullopt,
                           pns,
                           level == EncryptionLevel::kInitial     ? "initial"
                           : level == EncryptionLevel::kHandshake ? "handshake"
                                                                  : "application_data");
    }
    p->last_ack_received = now;
    p->pto_count = 0;
    TimePoint newest_sent{};
    for (auto& pkt : out->newly_acked) {
      newest_sent = std::max(newest_sent, pkt.time_sent);
      for (auto& f : pkt.frames) on_frame_acked(now, f);
      if (level == EncryptionLevel::kApplication && keys_.app && pkt.key_generation == keys_.app->generation &&
          !keys_.app->current_phase_acked) {
        keys_.app->current_phase_acked = true;
        // Multipath §2.4: an update waits three of the largest PTO after the ACK that
        // confirms the previous update; the first one (generation 0) only needs the
        // handshake confirmed.
        keys_.app->next_update_allowed = keys_.app->generation == 0 ? now : now + 3 * largest_pto();
      }
    }
    if (out->acked_in_flight_bytes > 0) {
      AckSample s;
      s.now = now;
      s.sent_time = newest_sent;
      s.bytes_acked = out->acked_in_flight_bytes;
      s.packets_acked = out->newly_acked.size();
      s.app_limited = rate.is_app_limited;
      s.delivered = p->rate.delivered();
      s.lost = p->rate.lost();
      s.rate = rate;
      s.latest_rtt = p->rtt.latest();
      s.smoothed_rtt = p->rtt.smoothed();
      s.min_rtt = p->rtt.min();
      s.bytes_in_flight = initial_space_.sent.bytes_in_flight() + handshake_space_.sent.bytes_in_flight() +
                          p->app.sent.bytes_in_flight();
      if (level == EncryptionLevel::kApplication) update_coupling(*p);
      p->cc->on_ack(s);
      if (scheduler_ && level == EncryptionLevel::kApplication) scheduler_->on_acked(p->id, s.bytes_acked, now);
    }
    for (auto& pkt : out->newly_acked) {
      if (pkt.is_pmtu_probe && pkt.size > p->mtu) {
        // The probe arrived: the path carries datagrams of this size.
        p->mtu = pkt.size;
        p->cc->set_max_datagram_size(p->mtu);
        p->pacer.set_max_datagram_size(p->mtu);
        p->pmtu_probe_in_flight = false;
        p->pmtu_target = 0;
        if (qlog_) qlog_->generic(now, "quic:mtu_updated", {{"path_id", p->id}, {"new", p->mtu}, {"done", true}});
      }
    }
    if (level == EncryptionLevel::kApplication) validate_ecn(now, *p, ack, out->newly_acked);
    if (level == EncryptionLevel::kApplication && perspective_ == Perspective::kClient && handshake_complete_) {
      on_handshake_confirmed(now);  // RFC 9001 §4.1.2: an acknowledged 1-RTT packet confirms
    }
  }
  if (!space.recently_lost.empty()) {
    // A packet we declared lost was acknowledged after all: the loss was spurious.
    size_t spurious = 0;
    std::erase_if(space.recently_lost, [&](uint64_t pn) {
      for (auto& r : ack.ranges) {
        if (pn >= r.smallest && pn <= r.largest) {
          spurious++;
          return true;
        }
      }
      return false;
    });
    if (spurious > 0) {
      stats_.spurious_losses += spurious;
      p->cc->on_spurious_congestion();
    }
  }
  if (!out->lost.empty()) {
    for (auto& pkt : out->lost) {
      space.recently_lost.push_back(pkt.pn);
      if (space.recently_lost.size() > 256) space.recently_lost.pop_front();
    }
    PnSpace sp = level == EncryptionLevel::kInitial     ? PnSpace::kInitial
                 : level == EncryptionLevel::kHandshake ? PnSpace::kHandshake
                                                        : PnSpace::kApplication;
    on_packets_lost(now, *p, sp, out->lost, out->persistent_congestion, true);
  }
  log_path_metrics(now, *p);
  if (level == EncryptionLevel::kApplication && !out->newly_acked.empty() && !is_draining()) {
    on_path_progress(now, *p, owed_before);
    update_ack_frequency(now);
  }
  return {};
}

void ConnectionImpl::on_packets_lost(TimePoint now, path::Path& p, PnSpace space,
                                     std::vector<recovery::SentPacket>& lost, bool persistent_congestion,
                                     bool rate_counted) {
  uint64_t lost_bytes = 0;
  TimePoint newest{};
  std::vector<LostPacket> detail;
  detail.reserve(lost.size());
  for (auto& pkt : lost) {
    if (!rate_counted && pkt.in_flight && !pkt.is_pmtu_probe) p.rate.on_packet_lost(pkt);
    if (pkt.is_pmtu_probe) {
      // A lost probe says the size does not fit, not that the path is congested.
      p.pmtu_probe_in_flight = false;
      if (++p.pmtu_probe_failures >= 3) p.pmtu_target = 0;
      continue;
    }
    if (pkt.ecn_marked && p.ecn != path::EcnState::kCapable && p.ecn != path::EcnState::kFailed &&
        ++p.ecn_testing_lost >= 10) {
      p.ecn = path::EcnState::kFailed;  // every test mark vanished: ECN-hostile path
    }
    stats_.packets_lost++;
    p.packets_lost++;
    p.last_loss = now;
    if (pkt.in_flight) {
      lost_bytes += pkt.size;
      detail.push_back(LostPacket{pkt.pn, pkt.time_sent, pkt.size, pkt.tx_in_flight, pkt.lost, pkt.delivered,
                                  pkt.is_app_limited});
    }
    newest = std::max(newest, pkt.time_sent);
    for (auto& f : pkt.frames) requeue_lost_frame(f);
    if (qlog_) {
      qlog_->packet_lost(now, space == PnSpace::kApplication ? std::optional<uint32_t>(p.id) : std::nullopt,
                         space == PnSpace::kInitial     ? "initial"
                         : space == PnSpace::kHandshake ? "handshake"
                                                        : "1RTT",
                         pkt.pn, "reordering_or_time");
    }
  }
  if (lost_bytes > 0 || persistent_congestion) {
    LossSample s;
    s.now = now;
    s.largest_lost_sent_time = newest;
    s.bytes_lost = lost_bytes;
    s.packets_lost = detail.size();
    s.bytes_in_flight = p.app.sent.bytes_in_flight();
    s.persistent_congestion = persistent_congestion;
    s.delivered = p.rate.delivered();
    s.lost = p.rate.lost();
    s.packets = detail;
    p.cc->on_congestion_event(s);
    if (scheduler_ && space == PnSpace::kApplication && lost_bytes > 0) scheduler_->on_lost(p.id, lost_bytes, now);
  }
  log_path_metrics(now, p);
}

void ConnectionImpl::log_path_metrics(TimePoint now, const path::Path& p) {
  if (!qlog_ || !qlog_->enabled()) return;
  qlog::MetricsSample m;
  if (p.rtt.has_sample()) {
    m.smoothed_rtt = p.rtt.smoothed();
    m.min_rtt = p.rtt.min();
    m.latest_rtt = p.rtt.latest();
    m.rtt_variance = p.rtt.variance();
  }
  m.pto_count = p.pto_count;
  CcMetrics cc = p.cc->metrics();
  m.congestion_window = cc.congestion_window;
  if (cc.ssthresh != UINT64_MAX) m.ssthresh = cc.ssthresh;
  m.bytes_in_flight = p.app.sent.bytes_in_flight();
  // The pacer's rate, which is what paces the path (qlog wants bits per second); 0 while
  // unpaced or before the first update.
  if (cfg_.pacing && p.pacer.rate_bytes_per_second() > 0) {
    m.pacing_rate = static_cast<uint64_t>(p.pacer.rate_bytes_per_second() * 8);
  }
  qlog_->metrics_updated(now, p.id, m);
}

void ConnectionImpl::validate_ecn(TimePoint now, path::Path& p, const wire::AckFrame& ack,
                                  const std::vector<recovery::SentPacket>& newly_acked) {
  if (p.ecn == path::EcnState::kFailed) return;
  uint64_t newly_marked = 0;
  TimePoint newest_marked{};
  for (auto& pkt : newly_acked) {
    if (pkt.ecn_marked) {
      newly_marked++;
      newest_marked = std::max(newest_marked, pkt.time_sent);
    }
  }
  if (newly_marked == 0) return;
  auto disable = [&](const char* why) {
    p.ecn = path::EcnState::kFailed;
    if (qlog_) qlog_->generic(now, "quic:ecn_state_updated", {{"path_id", p.id}, {"new", "failed"}, {"trigger", why}});
  };
  if (!ack.ecn) return disable("ack_without_ecn_counts");
  const auto& c = *ack.ecn;
  const auto& prev = p.ecn_peer;
  if (c.ect0 < prev.ect0 || c.ce < prev.ce || c.ect1 != prev.ect1) return disable("counts_invalid");
  uint64_t increase = (c.ect0 - prev.ect0) + (c.ce - prev.ce);
  if (increase < newly_marked) return disable("marks_bleached");
  uint64_t ce_delta = c.ce - prev.ce;
  p.ecn_peer = c;
  if (p.ecn != path::EcnState::kCapable) {
    p.ecn = path::EcnState::kCapable;
    if (qlog_) qlog_->generic(now, "quic:ecn_state_updated", {{"path_id", p.id}, {"new", "capable"}});
  }
  if (ce_delta > 0) {
    // RFC 9002 §7.1: a CE mark is a congestion signal without loss.
    LossSample s;
    s.now = now;
    s.largest_lost_sent_time = newest_marked;
    s.bytes_in_flight = p.app.sent.bytes_in_flight();
    s.ecn_ce = true;
    s.delivered = p.rate.delivered();
    s.lost = p.rate.lost();
    p.cc->on_congestion_event(s);
  }
}

void ConnectionImpl::on_frame_acked(TimePoint now, const recovery::SentFrame& f) {
  using K = recovery::SentFrame::Kind;
  switch (f.kind) {
    case K::kStream: {
      auto it = streams_.find(f.id);
      if (it == streams_.end() || !it->second.send) return;
      auto& s = it->second;
      s.send->on_acked(f.offset, f.length, f.fin);
      if (!s.reset_sent && s.send->finished() && s.send->all_acked() && !s.finished_reported) {
        s.finished_reported = true;
        emit({ConnectionEventType::kStreamFinished, s.id});
      } else if (s.send->writable() > 0 && !s.send->finished()) {
        emit({ConnectionEventType::kStreamWritable, s.id});
      }
      maybe_retire_stream(s);
      if (!streams_.write_blocked.empty()) notify_writable();   // the pool has room again
      return;
    }
    case K::kCrypto: {
      auto& l = keys_.levels[f.level];
      if (!l.discarded) l.send.on_acked(f.offset, f.length, false);
      return;
    }
    case K::kAck: {
      if (f.level == 0) initial_space_.acks.on_ack_of_ack(f.id);
      else if (f.level == 1) handshake_space_.acks.on_ack_of_ack(f.id);
      else if (auto it = paths_.find(static_cast<PathId>(f.offset)); it != paths_.end()) {
        it->second->app.acks.on_ack_of_ack(f.id);
      }
      return;
    }
    case K::kNewConnectionId: {
      auto* c = cids_.local.find(f.path_id, f.id);
      if (!c || c->acked) return;
      c->acked = true;
      release_cid_waiters(now);   // paths held back until the peer could answer on them
      return;
    }
    case K::kAckFrequency: ack_freq_.on_acked(f.id); return;
    case K::kResetStream: {
      auto it = streams_.find(f.id);
      if (it != streams_.end()) {
        it->second.reset_acked = true;
        maybe_retire_stream(it->second);
      }
      return;
    }
    default: return;
  }
}

void ConnectionImpl::requeue_lost_frame(const recovery::SentFrame& f) {
  using K = recovery::SentFrame::Kind;
  switch (f.kind) {
    case K::kStream: {
      auto it = streams_.find(f.id);
      if (it == streams_.end() || !it->second.send || it->second.reset_sent) return;
      it->second.send->on_lost(f.offset, f.length, f.fin);
      streams_.queue_send(it->second);
      return;
    }
    case K::kCrypto: {
      auto& l = keys_.levels[f.level];
      if (!l.discarded) l.send.on_lost(f.offset, f.length, false);
      return;
    }
    case K::kMaxData: pending_.max_data = true; return;
    case K::kMaxStreamData: {
      auto it = streams_.find(f.id);
      if (it != streams_.end() && it->second.recv && !it->second.recv->fin_received() && !it->second.reset_received) {
        pending_.max_stream_data.insert(f.id);
      }
      return;
    }
    case K::kMaxStreams:
      (f.fin ? pending_.max_streams_bidi : pending_.max_streams_uni) = true;
      return;
    case K::kResetStream: pending_.reset_stream.insert(f.id); return;
    case K::kStopSending: {
      auto it = streams_.find(f.id);
      if (it != streams_.end() && it->second.recv && !it->second.recv->fin_received()) pending_.stop_sending.insert(f.id);
      return;
    }
    case K::kNewConnectionId: {
      if (cids_.local.find(f.path_id, f.id)) pending_.new_cid.insert({f.path_id, f.id});
      return;
    }
    case K::kRetireConnectionId: pending_.retire_cid.insert({f.path_id, f.id}); return;
    case K::kPathAbandon: {
      auto* p = find_path(f.path_id);
      if (p && p->abandon_sent && p->state == PathState::kClosing) pending_.path_abandon.insert(f.path_id);
      return;
    }
    case K::kPathStatus: {
      auto* p = find_path(f.path_id);
      // Resend only if it still carries the latest status (draft §8.3).
      if (p && f.id == p->local_status_seq && p->state != PathState::kClosing) pending_.path_status.insert(f.path_id);
      return;
    }
    case K::kMaxPathId: pending_.max_path_id = true; return;
    case K::kHandshakeDone: pending_.handshake_done = true; return;
    case K::kAdvertiseAddress: pending_.advertise_address.insert(f.id); return;
    case K::kAckFrequency: ack_freq_.on_lost(f.id); return;
    default: return;  // PING, PADDING, DATAGRAM, PATH_CHALLENGE/RESPONSE, blocked signals
  }
}

}  // namespace braid::conn

// Timers and termination: loss-detection and PTO timers across packet-number spaces
// (RFC 9002 §6.2, Appendix A.8), idle timeout (RFC 9000 §10.1), closing and draining
// (§10.2), path-validation timeouts, old-key discard; plus migration and statistics.
#include <fmt/format.h>

#include "core/conn/connection_impl.h"

namespace braid::conn {

Duration ConnectionImpl::pto_period(const path::Path& p, bool app_space) const {
  Duration mad = app_space ? peer_max_ack_delay() : Duration::zero();
  return p.rtt.pto_period(mad);
}

Duration ConnectionImpl::idle_timeout() const {
  Duration local = cfg_.idle_timeout;
  Duration peer = peer_params_applied_ && peer_params_.max_idle_timeout_ms
                      ? std::chrono::milliseconds(peer_params_.max_idle_timeout_ms)
                      : Duration::zero();
  Duration t = local.count() == 0 ? peer : peer.count() == 0 ? local : std::min(local, peer);
  if (t.count() == 0) return Duration::max();
  return std::max(t, 3 * largest_pto());
}

void ConnectionImpl::reset_idle_timer(TimePoint now) {
  now_ = std::max(now_, now);
  Duration t = idle_timeout();
  idle_deadline_ = t == Duration::max() ? kNever : now + t;
}

TimePoint ConnectionImpl::loss_timer(PnSpace* which_space, PathId* which_path) const {
  // Time-threshold loss first (RFC 9002 A.8 GetLossTimeAndSpace).
  TimePoint earliest = kNever;
  auto consider_loss = [&](const path::PnSpace& s, PnSpace sp, PathId pid) {
    if (s.sent.loss_time() < earliest) {
      earliest = s.sent.loss_time();
      if (which_space) *which_space = sp;
      if (which_path) *which_path = pid;
    }
  };
  PathId primary = paths_.begin()->first;
  if (!keys_.levels[0].discarded) consider_loss(initial_space_, PnSpace::kInitial, primary);
  if (!keys_.levels[1].discarded) consider_loss(handshake_space_, PnSpace::kHandshake, primary);
  for (auto& [id, p] : paths_) consider_loss(p->app, PnSpace::kApplication, id);
  if (earliest != kNever) return earliest;

  // Then PTO (GetPtoTimeAndSpace).
  const auto& pp = primary_path();
  bool any_in_flight = initial_space_.sent.ack_eliciting_in_flight() + handshake_space_.sent.ack_eliciting_in_flight() > 0;
  for (auto& [id, p] : paths_) any_in_flight |= p->app.sent.ack_eliciting_in_flight() > 0;
  if (!any_in_flight) {
    // Client anti-deadlock (RFC 9002 §6.2.2.1): keep probing until the handshake is confirmed.
    if (perspective_ == Perspective::kClient && !handshake_confirmed_ && state_ == ConnState::kHandshake) {
      Duration d = pto_period(pp, false) * (1u << std::min<uint32_t>(pp.pto_count, 16));
      if (which_space) *which_space = keys_.levels[1].write ? PnSpace::kHandshake : PnSpace::kInitial;
      if (which_path) *which_path = primary;
      TimePoint base = std::max(initial_space_.sent.time_of_last_ack_eliciting(),
                                handshake_space_.sent.time_of_last_ack_eliciting());
      return base + d;
    }
    return kNever;
  }
  TimePoint best = kNever;
  // A silent path's recovery is noticed by failure detection's own probes
  // (connection_health.cpp), so the PTO backs off as RFC 9002 says.
  auto consider_pto = [&](const path::PnSpace& s, const path::Path& p, PnSpace sp, bool app) {
    if (s.sent.ack_eliciting_in_flight() == 0) return;
    Duration d = pto_period(p, app) * (1u << std::min<uint32_t>(p.pto_count, 16));
    TimePoint t = s.sent.time_of_last_ack_eliciting() + d;
    if (t < best) {
      best = t;
      if (which_space) *which_space = sp;
      if (which_path) *which_path = p.id;
    }
  };
  if (!keys_.levels[0].discarded) consider_pto(initial_space_, pp, PnSpace::kInitial, false);
  if (!keys_.levels[1].discarded) consider_pto(handshake_space_, pp, PnSpace::kHandshake, false);
  if (handshake_confirmed_) {
    for (auto& [id, p] : paths_) consider_pto(p->app, *p, PnSpace::kApplication, true);
  }
  return best;
}

void ConnectionImpl::on_loss_timeout(TimePoint now) {
  PnSpace sp = PnSpace::kInitial;
  PathId pid = 0;
  TimePoint t = loss_timer(&sp, &pid);
  if (t > now) return;
  auto pit = paths_.find(pid);
  if (pit == paths_.end()) return;
  auto& p = *pit->second;
  path::PnSpace& space = sp == PnSpace::kInitial ? initial_space_ : sp == PnSpace::kHandshake ? handshake_space_ : p.app;
  if (space.sent.loss_time() <= now) {
    auto lost = space.sent.detect_lost(now, p.rtt);
    if (!lost.empty()) {
      bool app = sp == PnSpace::kApplication;
      bool pc = space.sent.in_persistent_congestion(lost, pto_period(p, app), p.first_rtt_sample);
      for (auto& pkt : lost) {
        space.recently_lost.push_back(pkt.pn);
        if (space.recently_lost.size() > 256) space.recently_lost.pop_front();
      }
      on_packets_lost(now, p, sp, lost, pc);
    }
    return;
  }
  // PTO: send probes, re-sending the oldest unacknowledged data so the probe is useful.
  p.pto_count++;
  bool other_path_usable = false;
  if (sp == PnSpace::kApplication && multipath()) {
    other_path_usable = other_healthy_path(p);
    if (!other_path_usable && p.health && p.health->health() != PathHealth::kHealthy) {
      // A doubtful path's probes never carry data while another path can take it, even one
      // with a PTO of its own pending.
      for (auto& [id, q] : paths_) other_path_usable |= q.get() != &p && q->usable() && q->sendable();
    }
  }
  p.probe_ping_only = other_path_usable;
  if (other_path_usable) {
    // The path may be broken: what it holds goes again on the others now (by the
    // reinjection policy when it is on), rather than one probe's worth per backed-off PTO.
    resend_elsewhere(now, p);
  } else {
    for (const auto* pkt : space.sent.oldest_unacked(2)) {
      for (const auto& f : pkt->frames) requeue_lost_frame(f);
    }
  }
  space.probes_owed = 2;
  if (qlog_) qlog_->generic(now, "recovery:pto", {{"path_id", p.id}, {"pto_count", p.pto_count}});
  log_path_metrics(now, p);
}

TimePoint ConnectionImpl::poll_timeout() const {
  if (state_ == ConnState::kClosed) return kNever;
  if (state_ == ConnState::kClosing || state_ == ConnState::kDraining) return close_deadline_;
  TimePoint t = idle_deadline_;
  t = std::min(t, loss_timer(nullptr, nullptr));
  auto ack_deadline = [&](const path::PnSpace& s) { return s.acks.ack_pending() ? s.acks.ack_deadline() : kNever; };
  if (!keys_.levels[0].discarded) t = std::min(t, ack_deadline(initial_space_));
  if (!keys_.levels[1].discarded) t = std::min(t, ack_deadline(handshake_space_));
  for (auto& [id, p] : paths_) {
    t = std::min(t, ack_deadline(p->app));
    t = std::min(t, p->validation_deadline);
    t = std::min(t, p->next_challenge_time);
    if (cfg_.pacing && (!streams_.send_queue.empty() || !datagrams_out_.empty() || pending_.any() || p->owes_copies()) &&
        send_window_available(*p) > 0) {
      TimePoint pace = p->pacer.next_send_time(now_, p->mtu);
      if (pace > now_) t = std::min(t, pace);
    }
  }
  t = std::min(t, probe_timeout());
  t = std::min(t, health_timeout());
  if (keys_.app && keys_.app->read_prev) t = std::min(t, keys_.app->prev_discard_time);
  for (auto& [id, p] : paths_) t = std::min(t, p->discard_time);
  return t;
}

void ConnectionImpl::handle_timeout(TimePoint now) {
  now_ = std::max(now_, now);
  if (state_ == ConnState::kClosed) return;
  cids_.local.expire(now);
  if (state_ == ConnState::kClosing || state_ == ConnState::kDraining) {
    if (now >= close_deadline_) finish_close(now);
    return;
  }
  if (now >= idle_deadline_) {
    // Silent close (RFC 9000 §10.1).
    close_error_ = TransportError{static_cast<uint64_t>(TransportErrorCode::kNoError), 0, "idle timeout", false};
    state_ = ConnState::kClosed;
    if (qlog_) qlog_->connection_closed(now, "local", 0, false, "idle timeout", "idle_timeout");
    emit({ConnectionEventType::kConnectionClosed, 0, 0, 0, "idle timeout", close_error_});
    return;
  }
  if (keys_.app && keys_.app->read_prev && now >= keys_.app->prev_discard_time) {
    keys_.app->read_prev.reset();
    keys_.app->prev_discard_time = kNever;
  }
  for (auto& [id, p] : paths_) {
    if (p->validation_deadline <= now) {
      p->validation = path::ValidationState::kFailed;
      p->validation_deadline = kNever;
      p->next_challenge_time = kNever;
      p->challenge_data.reset();
      if (qlog_) qlog_->path_event(now, p->id, "validation_failed", &p->tuple);
      if (multipath() && p->state == PathState::kValidating) {
        // The path ID is consumed either way: fail it and tell the peer (draft §3.1).
        set_path_state(now, *p, PathState::kFailed);
        abandon_path(now, *p, static_cast<uint64_t>(PathErrorCode::kPathUnstableOrPoor), false);
        break;   // abandon_path may close the connection
      }
    } else if (p->next_challenge_time <= now && p->challenge_data) {
      p->challenge_pending_send = true;  // retransmit the challenge with fresh timing
      p->next_challenge_time = now + pto_period(*p, true);
    }
  }
  on_probe_timers(now);
  on_health_timers(now);
  if (is_draining()) return;
  collect_closed_paths(now);
  // Loss timers may fire several spaces at once; loop while something is due.
  for (int i = 0; i < 4 && loss_timer(nullptr, nullptr) <= now; ++i) on_loss_timeout(now);
}

void ConnectionImpl::close(TimePoint now, uint64_t app_error, std::string reason) {
  if (is_draining()) return;
  TransportError e{app_error, 0, std::move(reason), true};
  local_close_ = e;
  close_error_ = e;
  state_ = ConnState::kClosing;
  close_send_pending_ = true;
  close_deadline_ = now + 3 * largest_pto();
  if (qlog_) qlog_->connection_closed(now, "local", app_error, true, e.reason);
  emit({ConnectionEventType::kConnectionClosed, 0, 0, app_error, e.reason, e});
}

void ConnectionImpl::close_with_error(TimePoint now, const TransportError& err) {
  if (is_draining()) return;
  local_close_ = err;
  close_error_ = err;
  state_ = ConnState::kClosing;
  close_send_pending_ = true;
  close_deadline_ = now + 3 * largest_pto();
  if (qlog_) qlog_->connection_closed(now, "local", err.code, err.application, err.reason);
  emit({ConnectionEventType::kConnectionClosed, 0, 0, err.code, err.reason, err});
}

void ConnectionImpl::enter_draining(TimePoint now, const TransportError& err, bool peer_closed) {
  if (state_ == ConnState::kDraining || state_ == ConnState::kClosed) return;
  bool was_closing = state_ == ConnState::kClosing;
  state_ = ConnState::kDraining;
  close_deadline_ = now + 3 * largest_pto();
  if (!was_closing) {
    close_error_ = err;
    if (qlog_) qlog_->connection_closed(now, peer_closed ? "remote" : "local", err.code, err.application, err.reason);
    emit({ConnectionEventType::kConnectionClosed, 0, 0, err.code, err.reason, err});
  }
}

void ConnectionImpl::finish_close(TimePoint now) {
  (void)now;
  state_ = ConnState::kClosed;
}

void ConnectionImpl::mark_address_validated() {
  auto& p = primary_path();
  p.address_validated = true;
  p.validation = path::ValidationState::kValidated;
}

std::optional<ConnectionEvent> ConnectionImpl::poll_event() {
  if (events_.empty()) return std::nullopt;
  auto e = std::move(events_.front());
  events_.pop_front();
  return e;
}

SendPressure ConnectionImpl::send_pressure() const {
  SendPressure p;
  p.buffered_stream_bytes = streams_.pool.used;
  for (auto& [id, path] : paths_) {
    if (path->usable() && path->sendable() && !path->is_backup()) p.congestion_windows += path->cc->window();
  }
  return p;
}

ConnectionStats ConnectionImpl::stats() const {
  ConnectionStats s = stats_;
  s.multipath = paths_.multipath;
  s.address_advertisement = address_advertisement_;
  s.ack_frequency = ack_freq_.enabled();
  s.ack_frequency_frames_sent = ack_freq_.frames_sent();
  if (peer_ack_request_) {
    s.peer_ack_eliciting_threshold = peer_ack_request_->ack_eliciting_threshold;
    s.peer_requested_max_ack_delay = peer_ack_request_->max_ack_delay;
  }
  for (const auto& [seq, addr] : advertised_addresses_) s.advertised_addresses.push_back(addr);
  s.version = kQuicVersion1;
  s.send_buffered_bytes = streams_.pool.used;
  for (auto& [id, st] : streams_) {
    if (st.recv) s.recv_buffered_bytes += st.recv->buffered_bytes() - st.recv->readable();
  }
  s.bonding = paths_.bonding.state();
  for (auto& [id, p] : paths_) {
    PathStats ps;
    static_cast<PathSnapshot&>(ps) = snapshot_of(*p, now_);
    ps.congestion_controller = std::string(p->cc->name());
    ps.packets_received = p->packets_received;
    ps.packets_missing = p->app.acks.missing_count();
    ps.bytes_sent = p->bytes_sent;
    ps.bytes_received = p->bytes_received;
    ps.stream_bytes_sent = p->stream_bytes_sent;
    ps.stream_bytes_received = p->stream_bytes_received;
    ps.duplicate_bytes_sent = p->duplicate_bytes_sent;
    ps.reinjected_bytes_sent = p->reinjected_bytes_sent;
    ps.duplicate_bytes_received = p->duplicate_bytes_received;
    ps.ecn = p->ecn;
    if (p->health && multipath() && cfg_.failure_detection.enabled) {
      ps.failure_detector = std::string(p->health->detector().name());
      ps.suspicions = p->health->suspicions();
      ps.failures = p->health->failures();
      ps.recoveries = p->health->recoveries();
      ps.probes_sent = p->health->probes_sent();
    }
    s.paths.push_back(std::move(ps));
  }
  return s;
}

}  // namespace braid::conn

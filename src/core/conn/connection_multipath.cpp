// Multipath (draft-ietf-quic-multipath-21): opening, validating and abandoning paths, path
// status, MAX_PATH_ID and the blocked signals, per-path snapshots for the scheduler, the
// path state machine with events, and the connection's bonding state.
#include <fmt/format.h>

#include "braid/failure_detector.h"
#include "braid/rtt_prior.h"
#include "core/conn/connection_impl.h"

namespace braid::conn {

std::unique_ptr<path::HealthTracker> ConnectionImpl::new_health_tracker() const {
  auto d = make_failure_detector(cfg_.failure_detection.detector);
  if (!d) return nullptr;   // refused earlier by check_connection_config
  return std::make_unique<path::HealthTracker>(std::move(*d), cfg_.failure_detection);
}

std::unique_ptr<CongestionController> ConnectionImpl::new_controller(PathId id, uint64_t mtu) const {
  // The name was checked in init() (check_connection_config); connections built without
  // init() in unit tests use the default.
  CcContext ctx;
  ctx.max_datagram_size = mtu;
  ctx.path_id = id;
  ctx.group = cc_group_;
  auto named = cfg_.path_congestion_controllers.find(id);
  const std::string& name =
      named != cfg_.path_congestion_controllers.end() ? named->second : cfg_.congestion_controller;
  auto cc = make_congestion_controller(name, ctx);
  return cc ? std::move(cc) : make_congestion_controller("cubic", ctx);
}

ApiStatus ConnectionImpl::set_congestion_controller(TimePoint now, std::string_view name, std::optional<PathId> path) {
  (void)now;
  std::string n(name);
  if (!make_congestion_controller(n, CcContext{cfg_.initial_mtu})) {
    return api_fail(ApiErrorCode::kInvalid, fmt::format("unknown congestion controller '{}' (known: {})", n,
                                                        fmt::join(congestion_controller_names(), ", ")));
  }
  if (path && !paths_.get(*path)) return api_fail(ApiErrorCode::kNotFound, fmt::format("no path {}", *path));
  if (path) {
    cfg_.path_congestion_controllers[*path] = n;
  } else {
    cfg_.congestion_controller = n;
    cfg_.path_congestion_controllers.clear();
  }
  for (auto& [id, p] : paths_) {
    if (path && id != *path) continue;
    if (p->cc && p->cc->name() == name) continue;   // same algorithm: keep what it learned
    // The old controller leaves the coupled group before the new one joins it.
    if (p->cc) p->cc->on_path_removed();
    p->cc = new_controller(id, p->mtu);
    update_coupling(*p);
  }
  return {};
}

void ConnectionImpl::reset_path_estimates(path::Path& p) const {
  p.rtt.reset();
  p.rate.reset();
  p.cc->reset();
  if (p.health) p.health->reset();
  p.last_progress = TimePoint{};
}

void ConnectionImpl::update_coupling(const path::Path& p) const {
  // Coupled sums count paths that carry data: usable ones, backups only while in use.
  bool counted = p.usable() && p.sendable() && (!p.is_backup() || p.app.sent.bytes_in_flight() > 0);
  cc_group_->set_counted(p.id, counted);
}

void ConnectionImpl::start_path_challenge(TimePoint now, path::Path& p) {
  std::array<uint8_t, 8> data;
  rng_.fill(data);
  p.challenge_data = data;
  p.challenge_pending_send = true;
  p.validation = path::ValidationState::kValidating;
  Duration pto = std::max(pto_period(p, true), largest_pto());
  p.next_challenge_time = now + pto;
  p.validation_deadline = now + 3 * std::max(pto, 3 * cfg_.initial_rtt);
}

std::unique_ptr<path::Path> ConnectionImpl::make_initial_path(const PathTuple& tuple, const ConnectionId& dcid) const {
  auto p = std::make_unique<path::Path>(0, tuple, cfg_.initial_rtt, cfg_.max_ack_delay, new_controller(0, cfg_.initial_mtu),
                                        cfg_.initial_mtu);
  p->health = new_health_tracker();
  p->remote_cid = dcid;
  p->has_remote_cid = true;
  p->state = PathState::kValidating;   // the handshake validates path 0
  return p;
}

path::Path* ConnectionImpl::find_path(PathId id) { return paths_.get(id); }

Duration ConnectionImpl::largest_pto() const {
  Duration m{};
  for (auto& [id, p] : paths_) m = std::max(m, pto_period(*p, true));
  return m;
}

Duration ConnectionImpl::window_tuning_rtt() const {
  Duration m{};
  for (auto& [id, p] : paths_) {
    if (p->rtt.has_sample() && p->usable()) {
      m = std::max(m, p->rtt.smoothed());
    }
  }
  return m.count() ? m : primary_path().rtt.smoothed();
}

bool ConnectionImpl::path_can_send(const path::Path& p) const {
  return p.sendable() && p.usable() &&
         send_window_available(p) > 0 && amplification_budget(p) >= p.mtu;
}

path::Path& ConnectionImpl::create_path(TimePoint now, PathId id, const PathTuple& tuple, bool locally_opened) {
  // The first RTT of a new path: the application's prior for this peer and local address,
  // when it has one (RttPriorStore tiers), else the configured initial RTT.
  Duration initial = cfg_.initial_rtt;
  if (cfg_.rtt_priors) {
    auto prior = cfg_.rtt_priors->lookup(tuple.remote, tuple.local);
    if (prior.tier != RttPriorTier::kDefault) initial = prior.smoothed_rtt;
    if (qlog_) {
      qlog_->generic(now, "braid:rtt_prior", {{"path_id", id}, {"tier", rtt_prior_tier_name(prior.tier)},
                                              {"rtt_ms", static_cast<double>(to_us(initial)) / 1000.0}});
    }
  }
  auto p = std::make_unique<path::Path>(id, tuple, initial, cfg_.max_ack_delay, new_controller(id, cfg_.initial_mtu),
                                        cfg_.initial_mtu);
  p->health = new_health_tracker();
  apply_peer_ack_request(*p);
  p->address_validated = perspective_ == Perspective::kClient;
  if (peer_params_applied_) {
    uint64_t cap = std::max<uint64_t>(1200, peer_params_.max_udp_payload_size);
    uint64_t target = std::min<uint64_t>(cap, cfg_.max_udp_payload_size);
    p->pmtu_target = target > p->mtu ? target : 0;
  }
  // The DCID: the peer's first unused CID for this path ID.
  auto& set = cids_.remote(id);
  for (auto& [seq, c] : set.cids) {
    if (!c.in_use) {
      c.in_use = true;
      p->remote_cid = c.cid;
      p->remote_cid_sequence = seq;
      p->has_remote_cid = true;
      break;
    }
  }
  if (auto early = paths_.take_early_status(id)) {
    p->peer_status_seen = true;
    p->peer_status_seq = early->first;
    p->peer_status = early->second ? PathStatus::kAvailable : PathStatus::kBackup;
  }
  auto& ref = paths_.add(std::move(p));
  if (qlog_) qlog_->path_event(now, id, "created", &ref.tuple);
  emit_path_event(ref.id, ref.state, PathChange::kState, "created");
  // Both sides validate the other's address on a new path (draft §3.1).
  start_path_challenge(now, ref);
  set_path_state(now, ref, PathState::kValidating);
  if (scheduler_) scheduler_->on_path_event(id, PathEventKind::kAdded, now);
  (void)locally_opened;
  return ref;
}

void ConnectionImpl::set_path_state(TimePoint now, path::Path& p, PathState to) {
  if (p.state == to) return;
  if (!path_transition_allowed(p.state, to)) return;   // illegal transitions are refused
  p.state = to;
  update_coupling(p);
  auto name = path_state_name(to);
  if (qlog_) qlog_->path_event(now, p.id, name, &p.tuple);
  emit_path_event(p.id, p.state, PathChange::kState, std::string(name));
  update_bonding(now);
}

void ConnectionImpl::emit_path_event(PathId id, PathState state, PathChange change, std::string detail) {
  ConnectionEvent ev{ConnectionEventType::kPathEvent, 0, id, 0, std::move(detail)};
  ev.path_change = change;
  ev.path_state = state;
  emit(std::move(ev));
}

void ConnectionImpl::update_bonding(TimePoint now) {
  std::vector<path::BondingInput> in;
  for (auto& [id, p] : paths_) {
    in.push_back({id, p->state, p->cc->window(), p->rtt.has_sample() ? p->rtt.smoothed() : cfg_.initial_rtt});
  }
  if (auto t = paths_.bonding.update(in)) {
    auto name = bonding_state_name(t->to);
    if (qlog_) qlog_->generic(now, "braid:bonding_state_updated", {{"old", bonding_state_name(t->from)}, {"new", name}});
    ConnectionEvent ev{ConnectionEventType::kBondingChanged, 0, 0, 0, std::string(name)};
    ev.bonding = t->to;
    emit(std::move(ev));
  }
}

void ConnectionImpl::on_path_validated(TimePoint now, path::Path& p) {
  p.challenge_data.reset();
  p.validation = path::ValidationState::kValidated;
  p.address_validated = true;
  p.validation_deadline = kNever;
  p.next_challenge_time = kNever;
  if (p.state == PathState::kValidating) {
    set_path_state(now, p, PathState::kValidated);
    bool backup = p.is_backup();
    set_path_state(now, p, backup ? PathState::kStandby : PathState::kActive);
    if (scheduler_) scheduler_->on_path_event(p.id, PathEventKind::kValidated, now);
  } else if (qlog_) {
    qlog_->path_event(now, p.id, "validated", &p.tuple);
  }
}

void ConnectionImpl::abandon_path(TimePoint now, path::Path& p, uint64_t error_code, bool by_peer) {
  if (by_peer) p.abandon_received = true;
  if (!p.abandon_sent) {
    p.abandon_sent = true;
    p.abandon_error = error_code;
    pending_.path_abandon.insert(p.id);
  }
  // A path that failed validation stays FAILED; one failed by detection is closed like any.
  if (p.state != PathState::kFailed || p.validation != path::ValidationState::kFailed) {
    set_path_state(now, p, PathState::kClosing);
  }
  // Nothing is lost: what was in flight here goes again on the remaining paths.
  requeue_all_in_flight(p);
  p.app.probes_owed = 0;
  p.responses_owed.clear();
  p.off_path_responses.clear();
  p.probe.reset();
  p.waits_for_peer_cids = false;
  p.challenge_pending_send = false;
  p.challenge_data.reset();
  p.validation_deadline = kNever;
  p.next_challenge_time = kNever;
  cids_.forget_remote(p.id);   // the peer's CIDs for this path are retired with it
  p.discard_time = now + 3 * largest_pto();
  if (scheduler_) scheduler_->on_path_event(p.id, PathEventKind::kAbandoned, now);
  // Let the peer open a replacement path.
  if (multipath() && paths_.local_max_id < UINT32_MAX && paths_.local_max_id + 1 < cfg_.max_path_ids_per_connection) {
    paths_.local_max_id++;
    pending_.max_path_id = true;
  }
  bool any_left = false;
  for (auto& [id, q] : paths_) any_left |= q->sendable();
  if (!any_left && !is_draining()) {
    close_with_error(now, TransportError{static_cast<uint64_t>(TransportErrorCode::kNoError), 0,
                                         by_peer ? "peer abandoned the last path" : "last path abandoned", false});
  }
}

void ConnectionImpl::collect_closed_paths(TimePoint now) {
  std::vector<PathId> done;
  for (auto& [id, p] : paths_) {
    if (p->discard_time <= now) done.push_back(id);
  }
  for (PathId id : done) {
    if (paths_.size() == 1) break;
    auto& p = *paths_.get(id);
    if (p.state == PathState::kClosing) set_path_state(now, p, PathState::kClosed);
    cids_.local.retire_path(id);
    paths_.remove(id, true);
  }
}

Status ConnectionImpl::check_path_id_limit(PathId id, uint64_t ftype) const {
  if (id > paths_.local_max_id) {
    return fail(TransportErrorCode::kProtocolViolation, fmt::format("path ID {} beyond our maximum {}", id, paths_.local_max_id),
                ftype);
  }
  return {};
}

Status ConnectionImpl::on_multipath_frame(TimePoint now, path::Path& path, const wire::Frame& fr, uint64_t ftype) {
  (void)path;
  if (auto* f = std::get_if<wire::PathAbandonFrame>(&fr)) {
    if (auto st = check_path_id_limit(f->path_id, ftype); !st) return st;
    if (auto* p = find_path(f->path_id)) {
      if (p->state == PathState::kClosed) return {};
      abandon_path(now, *p, f->error_code, true);
    } else if (!paths_.is_retired(f->path_id)) {
      // Abandoned before it was ever used: consume the path ID and echo (draft §3.4).
      paths_.retire(f->path_id);
      cids_.forget_remote(f->path_id);
      pending_.path_abandon.insert(f->path_id);
    }
    return {};
  }
  if (auto* f = std::get_if<wire::PathStatusFrame>(&fr)) {
    if (auto st = check_path_id_limit(f->path_id, ftype); !st) return st;
    auto* p = find_path(f->path_id);
    if (!p) {
      if (!paths_.is_retired(f->path_id)) paths_.remember_early_status(f->path_id, f->sequence, f->available);
      return {};
    }
    if (p->peer_status_seen && f->sequence <= p->peer_status_seq) return {};   // stale: ignored
    p->peer_status_seen = true;
    p->peer_status_seq = f->sequence;
    p->peer_status = f->available ? PathStatus::kAvailable : PathStatus::kBackup;
    bool backup = p->is_backup();
    if (p->usable() || p->state == PathState::kValidated) {
      set_path_state(now, *p, backup ? PathState::kStandby : PathState::kActive);
    }
    if (scheduler_) scheduler_->on_path_event(p->id, PathEventKind::kStatusChanged, now);
    return {};
  }
  if (auto* f = std::get_if<wire::MaxPathIdFrame>(&fr)) {
    if (f->maximum > paths_.peer_max_id) {
      paths_.peer_max_id = f->maximum;
      if (handshake_confirmed_) issue_connection_ids();
    }
    return {};
  }
  if (auto* f = std::get_if<wire::PathsBlockedFrame>(&fr)) {
    if (f->maximum > paths_.local_max_id) {
      return fail(TransportErrorCode::kProtocolViolation, "PATHS_BLOCKED above our maximum path ID", ftype);
    }
    return {};
  }
  if (auto* f = std::get_if<wire::PathCidsBlockedFrame>(&fr)) {
    if (auto st = check_path_id_limit(f->path_id, ftype); !st) return st;
    uint64_t next = cids_.local.next_sequence(f->path_id);
    if (f->next_sequence > next) {
      return fail(TransportErrorCode::kProtocolViolation, "PATH_CIDS_BLOCKED beyond the next sequence number", ftype);
    }
    return {};
  }
  return {};
}

PathSnapshot ConnectionImpl::snapshot_of(const path::Path& p, TimePoint now) const {
  PathSnapshot s;
  s.path_id = p.id;
  s.state = p.state;
  s.validated = p.usable() || p.state == PathState::kValidated;
  s.abandoned = p.abandon_sent || p.abandon_received;
  s.local_status = p.local_status;
  s.peer_status = p.peer_status;
  s.backup = p.is_backup();
  s.has_rtt_sample = p.rtt.has_sample();
  s.smoothed_rtt = p.rtt.smoothed();
  s.rtt_variance = p.rtt.variance();
  s.latest_rtt = p.rtt.latest();
  s.min_rtt = p.rtt.min();
  s.srtt_min_seen = p.srtt_min_seen == Duration::max() ? Duration::zero() : p.srtt_min_seen;
  s.srtt_max_seen = p.srtt_max_seen;
  auto m = p.cc->metrics();
  s.congestion_window = m.congestion_window;
  s.ssthresh = m.ssthresh;
  s.in_slow_start = m.state == CcState::kSlowStart || m.state == CcState::kConservativeSlowStart ||
                    m.state == CcState::kStartup;
  s.in_recovery = m.state == CcState::kRecovery;
  s.bytes_in_flight = p.app.sent.bytes_in_flight();
  s.ack_eliciting_in_flight = p.app.sent.ack_eliciting_in_flight();
  s.max_datagram_size = p.mtu;
  s.pacing_rate_bytes_per_second = static_cast<uint64_t>(p.pacer.rate_bytes_per_second());
  s.next_send_time = cfg_.pacing ? p.pacer.next_send_time(now, p.mtu) : now;
  s.can_send_now = path_can_send(p) && s.next_send_time <= now;
  s.delivery_rate_bytes_per_second = p.rate.delivery_rate();
  s.max_delivery_rate_bytes_per_second = p.rate.max_delivery_rate();
  s.app_limited = p.rate.app_limited();
  if (m.bandwidth_estimate) s.bottleneck_bandwidth_bytes_per_second = static_cast<uint64_t>(m.bandwidth_estimate->bytes_per_second());
  s.cc_state = m.state;
  s.delivered_bytes = p.rate.delivered();
  s.lost_bytes = p.rate.lost();
  s.packets_sent = p.packets_sent;
  s.packets_lost = p.packets_lost;
  s.loss_rate = p.packets_sent ? static_cast<double>(p.packets_lost) / static_cast<double>(p.packets_sent) : 0.0;
  s.pto_count = p.pto_count;
  // Failure detection's verdict; without it, two PTOs without an ACK flag the path.
  s.health = p.health && cfg_.failure_detection.enabled ? p.health->health() : PathHealth::kHealthy;
  s.potentially_failed = s.health != PathHealth::kHealthy || p.pto_count >= 2;
  s.last_sent = p.last_sent;
  s.last_ack_received = p.last_ack_received;
  s.last_received = p.last_received;
  s.tuple = p.tuple;
  if (auto w = paths_.bonding.weights().find(p.id); w != paths_.bonding.weights().end()) s.capacity_weight = w->second;
  return s;
}

std::vector<PathSnapshot> ConnectionImpl::path_snapshots(TimePoint now) const {
  std::vector<PathSnapshot> out;
  out.reserve(paths_.size());
  for (auto& [id, p] : paths_) out.push_back(snapshot_of(*p, now));
  return out;
}

path::Path* ConnectionImpl::ack_carrier(const path::Path& acked) {
  auto lowest_rtt = [&]() -> path::Path* {
    path::Path* best = nullptr;
    for (auto& [id, p] : paths_) {
      if (!p->sendable() || !p->usable()) continue;
      if (!best || p->rtt.smoothed() < best->rtt.smoothed()) best = p.get();
    }
    return best;
  };
  if (cfg_.ack_path == ConnectionConfig::AckPath::kLowestRtt && multipath()) {
    if (auto* p = lowest_rtt()) return p;
  }
  // Same path by default: true per-path RTT, and a dead path cannot hide behind another
  // path's ACKs. A path that can no longer send has its ACKs carried elsewhere.
  if (acked.sendable()) return const_cast<path::Path*>(&acked);
  return lowest_rtt();
}

bool ConnectionImpl::pinned_elsewhere(std::optional<PathId> pin, const path::Path& here) const {
  if (!pin || *pin == here.id) return false;
  auto* q = paths_.get(*pin);
  return q && q->usable() && q->sendable();   // a pin to a path that is gone no longer holds
}

std::optional<PathId> ConnectionImpl::latency_path() const {
  if (cfg_.latency_stream_bytes == 0 || paths_.size() < 2) return std::nullopt;
  const path::Path* best = nullptr;
  Duration slowest{};
  size_t candidates = 0;
  for (auto& [id, p] : paths_) {
    if (!p->usable() || !p->sendable() || p->is_backup() || !p->rtt.has_sample()) continue;
    candidates++;
    slowest = std::max(slowest, p->rtt.smoothed());
    if (!best || p->rtt.smoothed() < best->rtt.smoothed()) best = p.get();
  }
  if (candidates < 2 || best->rtt.smoothed() * 5 >= slowest * 4) return std::nullopt;
  return best->id;
}

bool ConnectionImpl::is_message_stream(const Stream& s) const {
  return s.send && s.send->finished() && s.send->written() <= cfg_.latency_stream_bytes;
}

std::optional<PathId> ConnectionImpl::stream_placement(const Stream& s, std::optional<PathId> latency) const {
  if (auto pin = paths_.stream_path(s.id)) return pin;
  if (latency && is_message_stream(s)) return latency;
  return std::nullopt;
}

ApiResult<PathId> ConnectionImpl::open_path(TimePoint now, const SocketAddress& local, const SocketAddress& remote) {
  if (perspective_ != Perspective::kClient) return api_fail(ApiErrorCode::kUnsupported, "only clients open paths");
  if (is_draining()) return api_fail(ApiErrorCode::kClosed, "connection is closing");
  if (cfg_.initial_max_path_id == 0) {
    return api_fail(ApiErrorCode::kUnsupported, "multipath is off in this connection's configuration");
  }
  if (peer_params_applied_ && !multipath()) {
    return api_fail(ApiErrorCode::kUnsupported, "the peer did not negotiate multipath");
  }
  PathTuple tuple{local, remote};
  for (auto& [id, p] : paths_) {
    if (p->tuple == tuple && p->sendable()) {
      return api_fail(ApiErrorCode::kInvalid, fmt::format("path {} already uses {}", id, local.to_string()));
    }
  }
  for (auto& q : queued_paths_) {
    if (q.tuple == tuple) return api_fail(ApiErrorCode::kInvalid, fmt::format("path {} already uses {}", q.id, local.to_string()));
  }
  // The request takes the lowest path ID nothing else holds, and keeps it while it waits
  // for the handshake, the peer's path ID limit and connection IDs for that path ID.
  PathId id = 1;
  auto taken = [&](PathId c) {
    if (paths_.count(c) || paths_.is_retired(c)) return true;
    for (auto& q : queued_paths_) if (q.id == c) return true;
    return false;
  };
  while (taken(id)) ++id;
  if (id >= cfg_.max_path_ids_per_connection) {
    return api_fail(ApiErrorCode::kLimit, fmt::format("path ID {} is beyond this connection's limit of {} path IDs", id,
                                                      cfg_.max_path_ids_per_connection));
  }
  queued_paths_.push_back(QueuedPathOpen{id, tuple});
  start_queued_paths(now);
  return id;
}

void ConnectionImpl::start_queued_paths(TimePoint now) {
  if (queued_paths_.empty()) return;
  auto give_up = [&](std::string why) {
    for (auto& q : queued_paths_) emit_path_event(q.id, PathState::kClosed, PathChange::kNotOpened, "not opened: " + why);
    queued_paths_.clear();
  };
  if (is_draining()) return give_up("connection is closing");
  if (!handshake_confirmed_) return;
  if (!multipath()) return give_up("the peer did not negotiate multipath");
  PathId max = std::min(paths_.local_max_id, paths_.peer_max_id);
  for (auto it = queued_paths_.begin(); it != queued_paths_.end();) {
    PathId id = it->id;
    if (id > max) {
      // The peer's limit holds us back: say so once (PATHS_BLOCKED); MAX_PATH_ID lifts it.
      if (paths_.peer_max_id < id && !it->paths_blocked_sent) {
        it->paths_blocked_sent = true;
        pending_.paths_blocked = true;
      }
      ++it;
      continue;
    }
    if (!cids_.has_remote(id) || !cids_.local.has_active(id)) {
      if (!cids_.has_remote(id) && !it->cids_blocked_sent) {
        it->cids_blocked_sent = true;
        pending_.path_cids_blocked.insert(id);
      }
      ++it;
      continue;
    }
    QueuedPathOpen q = *it;
    it = queued_paths_.erase(it);
    auto& p = create_path(now, id, q.tuple, true);
    if (!peer_can_answer_on(id, false)) {
      // Our CIDs for this path ID have not reached the peer yet: it could not answer the
      // challenge (and picoquic crashes on it). The probe goes out once one is acknowledged.
      p.waits_for_peer_cids = true;
      p.challenge_pending_send = false;
      p.next_challenge_time = kNever;
      if (qlog_) qlog_->path_event(now, id, "waiting_for_peer_cids", &p.tuple);
    }
    if (q.backup) (void)set_path_status(now, id, true);
  }
}

ApiStatus ConnectionImpl::close_path(TimePoint now, PathId id, uint64_t error_code) {
  for (auto it = queued_paths_.begin(); it != queued_paths_.end(); ++it) {
    if (it->id == id) {   // not on the wire yet: forgetting the request is enough
      queued_paths_.erase(it);
      return {};
    }
  }
  auto* p = find_path(id);
  if (!p || p->abandon_sent) return api_fail(ApiErrorCode::kNotFound, fmt::format("no open path {}", id));
  if (!multipath()) return api_fail(ApiErrorCode::kUnsupported, "the peer did not negotiate multipath");
  abandon_path(now, *p, error_code, false);
  return {};
}

ApiStatus ConnectionImpl::set_path_status(TimePoint now, PathId id, bool backup) {
  for (auto& q : queued_paths_) {
    if (q.id == id) {   // applied when the path starts
      q.backup = backup;
      return {};
    }
  }
  auto* p = find_path(id);
  // A path still waiting for the peer to hold our CIDs is not sendable yet, but it is open.
  if (!p || p->abandon_sent || p->state == PathState::kClosing || p->state == PathState::kClosed) {
    return api_fail(ApiErrorCode::kNotFound, fmt::format("no open path {}", id));
  }
  p->local_status = backup ? PathStatus::kBackup : PathStatus::kAvailable;
  p->local_status_seq++;
  if (multipath()) pending_.path_status.insert(id);
  bool effective = backup || p->peer_status == PathStatus::kBackup;
  if (p->usable()) {
    set_path_state(now, *p, effective ? PathState::kStandby : PathState::kActive);
  }
  if (scheduler_) scheduler_->on_path_event(id, PathEventKind::kStatusChanged, now);
  return {};
}

ApiStatus ConnectionImpl::set_stream_path(StreamId id, std::optional<PathId> path) {
  if (!streams_.count(id)) return api_fail(ApiErrorCode::kNotFound, fmt::format("no stream {}", id));
  if (path && !paths_.count(*path)) return api_fail(ApiErrorCode::kNotFound, fmt::format("no path {}", *path));
  paths_.pin_stream(id, path);
  return {};
}

}  // namespace braid::conn

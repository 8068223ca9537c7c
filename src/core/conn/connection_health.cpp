// Failure detection in the connection (F-DETECT): the per-path health tracker's inputs
// (ACK progress, what is owed, RTT), its deadline in poll_timeout, probes it asks for, and
// what each transition does: SUSPECT stops new data and reinjects what the path holds,
// FAILED moves the path to FAILED (or a local STANDBY) so bonding reads DEGRADED, and a path
// that answers again goes back to ACTIVE with a fresh congestion controller. RTT samples
// also feed the application's RTT prior store here.
#include <fmt/format.h>

#include "braid/rtt_prior.h"
#include "core/conn/connection_impl.h"

namespace braid::conn {

namespace {
constexpr uint32_t kOwedCap = 16;                                // owed packets counted, at most
constexpr Duration kPriorRecordInterval = std::chrono::seconds(1);   // one RTT prior sample per path this often
}  // namespace

bool ConnectionImpl::health_watched(const path::Path& p) const {
  return p.health && cfg_.failure_detection.enabled && multipath() && handshake_confirmed_ && !is_draining() &&
         !p.abandon_sent && p.has_remote_cid && (p.usable() || p.state == PathState::kFailed);
}

bool ConnectionImpl::path_healthy(const path::Path& q) const {
  return q.usable() && q.sendable() && q.pto_count == 0 && (!q.health || q.health->health() == PathHealth::kHealthy);
}

bool ConnectionImpl::other_healthy_path(const path::Path& p) const {
  for (auto& [id, q] : paths_) {
    if (q.get() != &p && path_healthy(*q)) return true;
  }
  return false;
}

path::HealthInput ConnectionImpl::health_input(const path::Path& p, TimePoint now) const {
  path::HealthInput in;
  auto& d = in.detector;
  d.now = now;
  d.has_rtt_sample = p.rtt.has_sample();
  d.smoothed_rtt = p.rtt.smoothed();
  d.rtt_variance = p.rtt.variance();
  d.min_rtt = p.rtt.has_sample() ? p.rtt.min() : Duration::zero();
  d.latest_rtt = p.rtt.has_sample() ? p.rtt.latest() : Duration::zero();
  d.max_ack_delay = peer_max_ack_delay();
  d.last_progress = p.last_progress;
  auto owed = p.app.sent.owed(kOwedCap);
  d.owed_packets = owed.packets;
  d.oldest_owed_sent = owed.oldest_sent;
  static_assert(DetectorInput::kMaxOwed == recovery::LossDetector::Owed::kMax);
  d.owed_sent = owed.sent;
  in.last_ack_eliciting_sent = p.app.sent.time_of_last_ack_eliciting();
  in.last_received = p.last_data_received;
  in.loss_rate = p.packets_sent ? static_cast<double>(p.packets_lost) / static_cast<double>(p.packets_sent) : 0.0;
  for (auto& [id, q] : paths_) {
    if (q.get() == &p || !q->usable() || !q->sendable()) continue;
    // Busy means data, not probes: two idle paths' PINGs must not keep each other going
    // (and the connection from its idle timeout).
    // And busy now: data within the last half probe interval.
    in.idle_while_busy |= q->last_data_sent > in.last_ack_eliciting_sent &&
                          now - q->last_data_sent < cfg_.failure_detection.probe_interval / 2;
    in.others_last_received = std::max(in.others_last_received, q->last_data_received);
  }
  in.idle_while_busy &= p.usable();
  return in;
}

void ConnectionImpl::on_path_progress(TimePoint now, path::Path& p, const recovery::LossDetector::Owed& owed_before) {
  Duration silence{};
  if (owed_before.packets > 0) {
    TimePoint from = std::max(p.last_progress, owed_before.oldest_sent);
    if (now > from) silence = now - from;
  }
  p.last_progress = now;
  if (!p.health) return;
  p.health->on_progress(now, silence);
  // A healthy path has nothing to do on an ACK (it can only look better); this runs on
  // every ACK, so the state machine and probes wait for the timer there.
  if (p.health->health() != PathHealth::kHealthy && health_watched(p)) update_health(now, p);
}

void ConnectionImpl::update_health(TimePoint now, path::Path& p) {
  auto in = health_input(p, now);
  for (int i = 0; i < 3 && health_watched(p); ++i) {
    auto t = p.health->update(in);
    if (!t) break;
    apply_health_transition(now, p, *t);
    in = health_input(p, now);
  }
  if (!health_watched(p)) return;
  if (uint32_t n = p.health->probes_due(in); n > 0) {
    // PINGs only: new data goes where the scheduler sends it, not on a doubtful path.
    p.app.probes_owed = std::max(p.app.probes_owed, n);
    p.probe_ping_only = true;
    p.health->on_probes_queued(now, n);
  }
  const auto& fd = cfg_.failure_detection;
  if (p.health->health() != PathHealth::kFailed || fd.abandon_after.count() == 0 || p.health->failed_since() == kNever) {
    p.failed_with_alternative_since = kNever;
    return;
  }
  // Never the last path: with nothing else, keep probing (MP21: close or re-path instead).
  // The clock runs only while another path works.
  bool other = false;
  for (auto& [id, q] : paths_) other |= q.get() != &p && q->usable() && q->sendable();
  if (!other) {
    p.failed_with_alternative_since = kNever;
    return;
  }
  if (p.failed_with_alternative_since == kNever) p.failed_with_alternative_since = std::max(now, p.health->failed_since());
  if (now - p.failed_with_alternative_since >= fd.abandon_after) {
    if (qlog_) qlog_->generic(now, "braid:path_abandoned_by_policy", {{"path_id", p.id}});
    abandon_path(now, p, static_cast<uint64_t>(PathErrorCode::kPathUnstableOrPoor), false);
  }
}

void ConnectionImpl::apply_health_transition(TimePoint now, path::Path& p, const path::HealthTransition& t) {
  auto name = path_health_name(t.to);
  if (qlog_) {
    qlog_->generic(now, "braid:path_health_updated",
                   {{"path_id", p.id}, {"old", path_health_name(t.from)}, {"new", name}});
  }
  ConnectionEvent ev{ConnectionEventType::kPathHealthChanged, 0, p.id, 0, std::string(name)};
  ev.health = t.to;
  emit(std::move(ev));
  const auto& fd = cfg_.failure_detection;
  switch (t.to) {
    case PathHealth::kSuspect:
      // Reversible and cheap: what the path holds goes again on the healthy paths now
      // (the originals stay in flight, so a late ACK only makes the copy spurious).
      if (other_healthy_path(p)) resend_elsewhere(now, p);
      if (scheduler_) scheduler_->on_path_event(p.id, PathEventKind::kStatusChanged, now);
      break;
    case PathHealth::kFailed:
      if (t.from == PathHealth::kProbing && (p.state == PathState::kFailed || p.failed_as_standby)) break;
      if (fd.on_failure == FailureDetectionConfig::OnFailure::kStandby) {
        p.status_before_failure = p.local_status;
        p.failed_as_standby = true;
        (void)set_path_status(now, p.id, true);
      } else {
        set_path_state(now, p, PathState::kFailed);
      }
      // Nothing in flight there is coming back: all of it goes again elsewhere now (the
      // suspicion reinjected only what the reinjection policy allowed, and PTO probes may
      // have put more there since). Late ACKs for these packets are ignored as unknown.
      requeue_all_in_flight(p);
      if (scheduler_) scheduler_->on_path_event(p.id, PathEventKind::kFailed, now);
      break;
    case PathHealth::kProbing: break;
    case PathHealth::kHealthy:
      if (t.from != PathHealth::kProbing) {
        if (scheduler_) scheduler_->on_path_event(p.id, PathEventKind::kStatusChanged, now);
        break;
      }
      // Back from a failure: the network path may have changed, so its capacity is learnt
      // again (RFC 9000 §9.4 spirit); RTT estimates are kept, they were just refreshed.
      p.cc->reset();
      p.rate.reset();
      p.pto_count = 0;
      if (p.failed_as_standby) {
        p.failed_as_standby = false;
        (void)set_path_status(now, p.id, p.status_before_failure == PathStatus::kBackup);
      } else if (p.state == PathState::kFailed) {
        set_path_state(now, p, p.is_backup() ? PathState::kStandby : PathState::kActive);
      }
      if (scheduler_) scheduler_->on_path_event(p.id, PathEventKind::kRecovered, now);
      break;
  }
}

void ConnectionImpl::on_health_timers(TimePoint now) {
  health_checked_at_ = now;
  for (auto& [id, p] : paths_) {
    if (health_watched(*p)) update_health(now, *p);
    if (is_draining()) return;   // abandoning the last path may have closed the connection
  }
}

TimePoint ConnectionImpl::health_timeout() const {
  TimePoint t = kNever;
  for (auto& [id, p] : paths_) {
    if (!health_watched(*p)) continue;
    TimePoint d = p->health->deadline(health_input(*p, now_));
    const auto& fd = cfg_.failure_detection;
    if (p->health->health() == PathHealth::kFailed && fd.abandon_after.count() > 0 &&
        p->health->failed_since() != kNever) {
      TimePoint from = p->failed_with_alternative_since != kNever ? p->failed_with_alternative_since
                                                                  : p->health->failed_since();
      d = std::min(d, from + fd.abandon_after);
    }
    // A deadline the last check already saw pass without acting waits a little, so an
    // inexact one can never spin the caller's loop.
    if (d <= health_checked_at_) d = health_checked_at_ + std::chrono::milliseconds(1);
    t = std::min(t, d);
  }
  return t;
}

void ConnectionImpl::record_rtt_prior(TimePoint now, path::Path& p) {
  if (!cfg_.rtt_priors || !p.rtt.has_sample()) return;
  if (p.last_prior_record != TimePoint{} && now - p.last_prior_record < kPriorRecordInterval) return;
  p.last_prior_record = now;
  cfg_.rtt_priors->record(p.tuple.remote, p.tuple.local, p.rtt.smoothed(), p.rtt.variance());
}

}  // namespace braid::conn

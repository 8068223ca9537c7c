// Planning each datagram: what every path owes (validation, probes, ACKs by the ACK policy,
// the PATH_ABANDON carrier) is collected as values, PathSelector decides the path in its
// documented order, the scheduler is asked at most once with a filled SendIntent, and the
// result is a DatagramPlan for the packet builder. After the datagram left, the scheduler
// hears what was sent where.
#include <algorithm>

#include "core/conn/connection_impl.h"

namespace braid::conn {

SendIntent ConnectionImpl::send_intent() const {
  SendIntent intent;
  intent.datagram_affinity = paths_.datagram_path;
  // Bytes ready and the pinning that applies: a bounded look at the front of the send
  // queue. The intent is pinned only when every stream looked at is pinned to one path
  // (and no datagram waits elsewhere); otherwise the scheduler places unpinned data.
  constexpr size_t kLook = 16;
  bool all_pinned = true;
  std::optional<PathId> pin;
  size_t looked = 0;
  auto latency = latency_path();
  for (StreamId id : streams_.send_queue) {
    if (looked++ == kLook) break;
    auto it = streams_.find(id);
    if (it == streams_.end() || !it->second.send) continue;
    auto& sb = *it->second.send;
    intent.bytes += sb.written() > sb.fresh_offset() ? sb.written() - sb.fresh_offset() : 0;
    auto p = stream_placement(it->second, latency);
    if (!p || (pin && *pin != *p)) all_pinned = false;
    else pin = p;
  }
  if (!streams_.send_queue.empty()) {
    intent.kind = SendKind::kNewData;
    if (all_pinned && pin && datagrams_out_.empty()) intent.affinity = pin;
  } else if (!datagrams_out_.empty()) {
    intent.kind = SendKind::kDatagram;
    intent.bytes = datagrams_out_.front()->size();
    intent.affinity = paths_.datagram_path;
  } else if (!pending_.any() && !keys_.levels[2].send.has_pending()) {
    intent.kind = SendKind::kAckOnly;
  }
  uint64_t credit = streams_.conn_send_limit.available(streams_.conn_bytes_sent);
  uint64_t in_flight = 0;
  for (auto& [id, p] : paths_) in_flight += p->app.sent.bytes_in_flight();
  intent.send_window = credit + in_flight;
  return intent;
}

PathChoice ConnectionImpl::ask_scheduler(TimePoint now, const SendIntent& intent) {
  std::vector<PathSnapshot> snaps;
  snaps.reserve(paths_.size());
  for (auto& [id, p] : paths_) {
    if (p->state == PathState::kClosed || p->state == PathState::kFailed) continue;
    snaps.push_back(snapshot_of(*p, now));
  }
  if (!scheduler_) scheduler_ = std::move(*make_path_scheduler(SchedulerConfig{"minrtt"}));
  return scheduler_->select(snaps, intent, now);
}

std::optional<DatagramPlan> ConnectionImpl::plan_datagram(TimePoint now, size_t room) {
  std::vector<PathDuties> duties;
  duties.reserve(paths_.size());
  for (auto& [id, p] : paths_) {
    PathDuties d;
    d.id = id;
    d.sendable = p->sendable();
    d.usable = p->usable();
    d.owes_validation = !p->responses_owed.empty() || p->challenge_pending_send;
    d.owes_probe = p->app.probes_owed > 0;
    d.owes_copies = p->owes_copies() && path_can_send(*p) &&
                    (!cfg_.pacing || p->pacer.next_send_time(now, p->mtu) <= now);
    duties.push_back(d);
  }
  bool mp = multipath();
  if (mp && handshake_confirmed_) {
    for (auto& [id, q] : paths_) {
      if (!q->app.acks.ack_pending() || q->app.acks.ack_deadline() > now) continue;
      if (auto* c = ack_carrier(*q)) {
        for (auto& d : duties) d.carries_due_acks |= d.id == c->id;
      }
    }
  }
  bool single = !handshake_confirmed_ || !mp || paths_.size() == 1;
  if (!single) {
    // Only needed for the flush step: what may leave without congestion credit.
    for (auto& d : duties) {
      if (d.sendable) d.owes_anything = level_wants_send(now, *find_path(d.id), EncryptionLevel::kApplication, false);
    }
  }
  const SendIntent intent = send_intent();
  auto sel = PathSelector::select(duties, mp && !pending_.path_abandon.empty(), single,
                                  [&] { return ask_scheduler(now, intent); });
  if (!sel) return std::nullopt;
  auto& p = *find_path(sel->path);
  DatagramPlan plan;
  plan.path = sel->path;
  plan.reason = sel->reason;
  plan.data_allowed = sel->data_allowed;
  plan.kind = sel->reason == PlanReason::kProbe || sel->reason == PlanReason::kValidation ? SendKind::kProbe
                                                                                           : intent.kind;
  plan.ecn = ecn_for(p);
  plan.budget = amplification_budget(p);
  if (sel->data_allowed) {
    for (PathId other : sel->data_paths.paths()) {
      if (other != p.id) plan.copies.add(other);
    }
  }
  // DPLPMTUD: one probe of the target size, PING and PADDING only (RFC 8899 §4.1).
  plan.pmtu_probe = handshake_confirmed_ && !pending_.handshake_done && p.pmtu_target > p.mtu &&
                    !p.pmtu_probe_in_flight && room >= p.pmtu_target && send_window_available(p) >= p.pmtu_target &&
                    keys_.can_seal_1rtt();
  return plan;
}

void ConnectionImpl::on_datagram_sent(TimePoint now, const DatagramPlan& plan, path::Path& p, size_t bytes,
                                      bool ack_eliciting) {
  if (!scheduler_ || bytes == 0) return;
  SendKind kind = !ack_eliciting ? SendKind::kAckOnly : plan.pmtu_probe ? SendKind::kProbe : plan.kind;
  scheduler_->on_sent(p.id, bytes, kind, now);
}

}  // namespace braid::conn

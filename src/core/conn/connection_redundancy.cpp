// Redundancy: the copy source (stream ranges and DATAGRAMs owed to a path as copies), the
// DATAGRAM source with duplication, duplication of stream frames by policy or by a
// redundant scheduler's choice, reinjection of a stalled path's data by the reinjection
// policy, and duplicate receptions (counted per path; duplicate DATAGRAMs dropped).
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>

#include "core/conn/connection_impl.h"
#include "core/conn/reinjection.h"
#include "core/wire/frame_codec.h"

namespace braid::conn {

using recovery::SentFrame;
using K = recovery::SentFrame::Kind;

namespace {
constexpr size_t kMaxCopiesPerPath = 8192;         // stream copies waiting on one path
constexpr size_t kMaxDatagramCopiesPerPath = 1024;
constexpr size_t kSeenDatagrams = 4096;           // receive-side dedup window (entries)
constexpr Duration kSeenDatagramWindow = std::chrono::seconds(2);
}  // namespace

ApiStatus ConnectionImpl::set_stream_duplicate(StreamId id, bool on) {
  auto it = streams_.find(id);
  if (auto bad = stream_side_error(id, it, true)) return std::unexpected(*bad);
  it->second.duplicate = on;
  if (on) streams_.any_duplicated = true;
  return {};
}

void ConnectionImpl::write_copy_frames(wire::Writer& w, path::Path& p, std::vector<SentFrame>& sent) {
  while (!p.datagram_copies.empty()) {
    auto& d = *p.datagram_copies.front();
    wire::DatagramFrame fr{d, true};
    if (wire::encoded_size(fr) > w.remaining()) break;
    wire::encode_frame(w, fr);
    SentFrame f{K::kDatagram};
    f.copy = 1;
    sent.push_back(f);
    p.duplicate_bytes_sent += d.size();
    p.datagram_copies.pop_front();
  }
  while (!p.copies_owed.empty() && w.remaining() > 24) {
    SentFrame c = p.copies_owed.front();
    auto* s = streams_.get(c.id);
    if (!s || !s->send || s->reset_sent) {
      p.copies_owed.pop_front();
      continue;
    }
    // Only what is still unacknowledged (the first ACK of any copy retires the range).
    auto part = s->send->unacked_part(c.offset, c.length);
    if (!part) {
      p.copies_owed.pop_front();
      continue;
    }
    uint64_t off = part->first;
    size_t len = static_cast<size_t>(part->second);
    bool fin = c.fin && off + len == c.offset + c.length;
    size_t room = w.remaining();
    size_t hdr = wire::stream_frame_header_size(c.id, off, len, true);
    if (hdr + len > room) {
      size_t fit = wire::stream_frame_max_data(c.id, off, room, true);
      if (fit == 0) break;
      len = std::min(len, fit);
      fin = false;
    }
    wire::encode_stream_frame_header(w, c.id, off, len, fin, true);
    uint8_t* dst = w.cursor();
    w.write_zeros(len);
    s->send->copy_out(off, len, dst);
    SentFrame f;
    f.kind = K::kStream;
    f.id = c.id;
    f.offset = off;
    f.length = static_cast<uint32_t>(len);
    f.fin = fin;
    f.copy = c.copy;
    f.reinjections = c.reinjections;
    sent.push_back(f);
    (c.copy == 2 ? p.reinjected_bytes_sent : p.duplicate_bytes_sent) += len;
    stats_.stream_bytes_sent += len;
    p.stream_bytes_sent += len;
    if (off + len >= c.offset + c.length) {
      p.copies_owed.pop_front();
    } else {
      auto& front = p.copies_owed.front();   // the rest stays for the next packet
      front.length = static_cast<uint32_t>(c.offset + c.length - (off + len));
      front.offset = off + len;
    }
  }
}

void ConnectionImpl::write_datagram_frames(const DatagramPlan& plan, wire::Writer& w, path::Path& p,
                                           std::vector<SentFrame>& sent) {
  // DATAGRAM frames: unreliable, never retransmitted; duplicated onto other paths by policy.
  const auto& dup = cfg_.duplication;
  bool policy = dup.always || dup.datagrams;
  while (!datagrams_out_.empty() && !pinned_elsewhere(paths_.datagram_path, p)) {
    auto d = datagrams_out_.front();
    wire::DatagramFrame fr{*d, true};
    if (wire::encoded_size(fr) > w.remaining()) break;
    wire::encode_frame(w, fr);
    sent.push_back(SentFrame{K::kDatagram});
    datagrams_out_.pop_front();
    for (auto* q : duplication_targets(plan, p, policy)) {
      if (q->datagram_copies.size() < kMaxDatagramCopiesPerPath) q->datagram_copies.push_back(d);
    }
  }
}

std::vector<path::Path*> ConnectionImpl::duplication_targets(const DatagramPlan& plan,
                                                             const path::Path& from, bool policy_wants) {
  std::vector<path::Path*> out;
  if (!multipath() || paths_.size() < 2) return out;
  for (PathId id : plan.copies.paths()) {
    auto* q = paths_.get(id);
    if (q && q != &from && q->usable() && q->sendable()) out.push_back(q);
  }
  if (!policy_wants || out.size() >= cfg_.duplication.copies) return out;
  // Policy copies: the other usable paths, lowest RTT first.
  std::vector<path::Path*> others;
  for (auto& [id, q] : paths_) {
    if (q.get() == &from || !q->usable() || !q->sendable() || q->pto_count >= 2) continue;
    if (q->health && q->health->health() != PathHealth::kHealthy) continue;
    if (std::find(out.begin(), out.end(), q.get()) == out.end()) others.push_back(q.get());
  }
  std::sort(others.begin(), others.end(),
            [](const path::Path* a, const path::Path* b) { return a->rtt.smoothed() < b->rtt.smoothed(); });
  for (auto* q : others) {
    if (out.size() >= cfg_.duplication.copies) break;
    out.push_back(q);
  }
  return out;
}

bool ConnectionImpl::duplication_wanted_for(const SentFrame& f) const {
  const auto& dup = cfg_.duplication;
  if (dup.always) return true;
  if (dup.first_bytes > 0 && f.offset < dup.first_bytes) return true;
  if (auto* s = streams_.get(f.id); s && s->duplicate) return true;
  if (dup.while_potentially_failed) {
    for (auto& [id, p] : paths_) {
      if (p->usable() && (p->pto_count >= 2 || (p->health && p->health->health() != PathHealth::kHealthy))) return true;
    }
  }
  return false;
}

bool ConnectionImpl::duplicate_stream_frame(const DatagramPlan& plan, path::Path& from,
                                            const SentFrame& f) {
  if (plan.copies.empty() && !cfg_.duplication.any() && !streams_.any_duplicated) return false;
  bool copied = false;
  for (auto* q : duplication_targets(plan, from, duplication_wanted_for(f))) {
    if (q->copies_owed.size() >= kMaxCopiesPerPath) continue;
    SentFrame c = f;
    c.copy = 1;
    q->copies_owed.push_back(c);
    copied = true;
  }
  return copied;
}

void ConnectionImpl::reinject_from(TimePoint now, path::Path& p) {
  const auto& rc = cfg_.reinjection;
  std::vector<PathSnapshot> snaps;
  std::vector<ReinjectionTarget> targets;
  // Backup paths take reinjected data only when no other path can and the source looks
  // failed (two PTOs): a backup carries nothing while an available path works.
  bool non_backup_target = false;
  for (auto& [id, q] : paths_) {
    non_backup_target |= q.get() != &p && path_healthy(*q) && !q->is_backup();
  }
  bool doubtful = p.pto_count >= 2 || (p.health && p.health->health() != PathHealth::kHealthy);
  bool backups_allowed = !non_backup_target && doubtful;
  for (auto& [id, q] : paths_) {
    if (rc.select_target) snaps.push_back(snapshot_of(*q, now));
    ReinjectionTarget t;
    t.id = id;
    t.srtt = q->rtt.smoothed();
    t.eligible = q.get() != &p && path_healthy(*q) && (!q->is_backup() || backups_allowed);
    t.queued = q->copies_owed.size();
    t.last_batch = q->last_reinjection_batch;
    t.has_batch = q->has_reinjection_batch;
    targets.push_back(t);
  }
  bool explicit_targets = !rc.preferred.empty() || static_cast<bool>(rc.select_target);
  std::vector<PathId> used;
  for (const auto* pkt : p.app.sent.oldest_unacked(p.app.sent.size())) {
    if (p.reinjected_through && pkt->pn <= *p.reinjected_through) continue;
    for (const auto& f : pkt->frames) {
      if (f.kind != K::kStream || f.length == 0) {
        requeue_lost_frame(f);   // control frames carry values taken at send time: resend as lost
        continue;
      }
      if (!may_reinject(rc, pkt->time_sent, f.reinjections, now)) continue;
      // A copy already went to another path when this was sent: that path's own loss
      // recovery covers it, and sending it a third time only delays fresh data.
      if (f.duplicated) continue;
      ReinjectionContext ctx;
      ctx.from = p.id;
      ctx.stream = f.id;
      ctx.offset = f.offset;
      ctx.length = f.length;
      ctx.reinjections = f.reinjections;
      ctx.paths = snaps;
      auto target = pick_reinjection_target(rc, ctx, targets, now);
      if (!target) {
        requeue_lost_frame(f);   // no target takes it: resent wherever the scheduler sends data
        continue;
      }
      if (!explicit_targets) {
        // No preferred target or hook: the range is resent as the next data wherever the
        // scheduler sends (ahead of fresh data, lowest offsets first), which refills the
        // receiver's gap soonest. Measured in blackhole_midtransfer: 152 ms stall against
        // 264 ms with copies queued on the lowest-RTT path.
        requeue_lost_frame(f);
        p.reinjected_bytes_sent += f.length;
        continue;
      }
      auto* q = paths_.get(*target);
      SentFrame c = f;
      c.copy = 2;
      c.reinjections = static_cast<uint8_t>(f.reinjections + 1);
      q->copies_owed.push_back(c);
      for (auto& t : targets) t.queued += t.id == *target;
      if (std::find(used.begin(), used.end(), *target) == used.end()) used.push_back(*target);
    }
  }
  if (p.app.sent.next_packet_number() > 0) p.reinjected_through = p.app.sent.next_packet_number() - 1;
  for (PathId id : used) {
    auto* q = paths_.get(id);
    q->last_reinjection_batch = now;
    q->has_reinjection_batch = true;
  }
}

void ConnectionImpl::resend_elsewhere(TimePoint now, path::Path& p) {
  if (cfg_.reinjection.enabled) {
    reinject_from(now, p);
    return;
  }
  for (const auto* pkt : p.app.sent.oldest_unacked(p.app.sent.size())) {
    for (const auto& f : pkt->frames) requeue_lost_frame(f);
  }
}

void ConnectionImpl::requeue_all_in_flight(path::Path& p) {
  for (auto& pkt : p.app.sent.take_all()) {
    for (auto& f : pkt.frames) requeue_lost_frame(f);
  }
  p.reinjected_through.reset();
}

uint64_t ConnectionImpl::duplicate_stream_bytes(const wire::StreamFrame& f) const {
  auto it = streams_.find(f.stream_id);
  if (it == streams_.end() || !it->second.recv) return 0;
  const auto& r = *it->second.recv;
  uint64_t have_to = r.read_offset() + r.readable();   // everything below arrived
  uint64_t end = f.offset + f.data.size();
  if (f.offset >= have_to) return 0;
  return std::min(end, have_to) - f.offset;
}

bool ConnectionImpl::is_duplicate_datagram(TimePoint now, PathId path, std::span<const uint8_t> data) {
  if (!multipath()) return false;
  uint64_t h = 0;
  crypto_shorthash_siphash24(reinterpret_cast<unsigned char*>(&h), data.data(), data.size(), datagram_hash_key_.data());
  auto it = seen_datagrams_.find(h);
  if (it != seen_datagrams_.end() && now - it->second.at <= kSeenDatagramWindow) {
    // The same payload on another path within the window: a copy. On the same path it is
    // the application sending the same bytes twice.
    if (it->second.path != path) return true;
    it->second.at = now;
    return false;
  }
  if (it == seen_datagrams_.end()) {
    seen_datagram_order_.push_back(h);
    if (seen_datagram_order_.size() > kSeenDatagrams) {
      seen_datagrams_.erase(seen_datagram_order_.front());
      seen_datagram_order_.pop_front();
    }
  }
  seen_datagrams_[h] = SeenDatagram{path, now};
  return false;
}

}  // namespace braid::conn

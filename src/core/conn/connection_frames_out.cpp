// Writing application frames into a packet being built: control frames (values taken at
// send time so retransmissions carry the newest limits) and STREAM data round-robin across
// streams under stream and connection flow control.
#include <algorithm>
#include "core/conn/connection_impl.h"
#include "core/wire/frame_codec.h"

namespace braid::conn {

using recovery::SentFrame;
using K = recovery::SentFrame::Kind;

void ConnectionImpl::write_control_frames(TimePoint now, wire::Writer& w, std::vector<SentFrame>& sent, size_t) {
  (void)now;
  auto put = [&](const wire::Frame& fr, SentFrame sf) -> bool {
    size_t need = wire::encoded_size(fr);
    if (need > w.remaining()) return false;
    wire::encode_frame(w, fr);
    sent.push_back(sf);
    return true;
  };
  if (pending_.handshake_done && put(wire::HandshakeDoneFrame{}, SentFrame{K::kHandshakeDone})) {
    pending_.handshake_done = false;
  }
  if (pending_.max_data && streams_.conn_recv_window &&
      put(wire::MaxDataFrame{streams_.conn_recv_window->limit()}, SentFrame{K::kMaxData})) {
    pending_.max_data = false;
  }
  if (pending_.max_streams_bidi) {
    SentFrame sf{K::kMaxStreams};
    sf.fin = true;
    if (put(wire::MaxStreamsFrame{true, streams_.bidi.local_max}, sf)) pending_.max_streams_bidi = false;
  }
  if (pending_.max_streams_uni && put(wire::MaxStreamsFrame{false, streams_.uni.local_max}, SentFrame{K::kMaxStreams})) {
    pending_.max_streams_uni = false;
  }
  for (auto it = pending_.max_stream_data.begin(); it != pending_.max_stream_data.end();) {
    auto s = streams_.find(*it);
    if (s == streams_.end() || !s->second.recv_window) {
      it = pending_.max_stream_data.erase(it);
      continue;
    }
    SentFrame sf{K::kMaxStreamData};
    sf.id = *it;
    if (!put(wire::MaxStreamDataFrame{*it, s->second.recv_window->limit()}, sf)) break;
    it = pending_.max_stream_data.erase(it);
  }
  for (auto it = pending_.reset_stream.begin(); it != pending_.reset_stream.end();) {
    auto s = streams_.find(*it);
    if (s == streams_.end()) {
      it = pending_.reset_stream.erase(it);
      continue;
    }
    SentFrame sf{K::kResetStream};
    sf.id = *it;
    if (!put(wire::ResetStreamFrame{*it, s->second.reset_code, s->second.reset_final_size}, sf)) break;
    it = pending_.reset_stream.erase(it);
  }
  for (auto it = pending_.stop_sending.begin(); it != pending_.stop_sending.end();) {
    auto s = streams_.find(*it);
    if (s == streams_.end()) {
      it = pending_.stop_sending.erase(it);
      continue;
    }
    SentFrame sf{K::kStopSending};
    sf.id = *it;
    if (!put(wire::StopSendingFrame{*it, s->second.stop_sending_code}, sf)) break;
    it = pending_.stop_sending.erase(it);
  }
  for (auto it = pending_.new_cid.begin(); it != pending_.new_cid.end();) {
    auto [pid, seq] = *it;
    LocalCid* c = cids_.local.find(pid, seq);
    if (!c || (pid != 0 && !multipath())) {
      it = pending_.new_cid.erase(it);
      continue;
    }
    std::optional<PathId> fpid;
    if (pid != 0) fpid = pid;
    wire::NewConnectionIdFrame fr{fpid, seq, 0, c->cid, c->token};
    SentFrame sf{K::kNewConnectionId};
    sf.id = seq;
    sf.path_id = pid;
    if (!put(fr, sf)) break;
    c->sent = true;   // from now on the peer may retire it
    it = pending_.new_cid.erase(it);
  }
  for (auto it = pending_.retire_cid.begin(); it != pending_.retire_cid.end();) {
    auto [pid, seq] = *it;
    SentFrame sf{K::kRetireConnectionId};
    sf.id = seq;
    sf.path_id = pid;
    std::optional<PathId> fpid;
    if (pid != 0) fpid = pid;
    if (!put(wire::RetireConnectionIdFrame{fpid, seq}, sf)) break;
    it = pending_.retire_cid.erase(it);
  }
  for (auto it = pending_.path_abandon.begin(); it != pending_.path_abandon.end();) {
    auto* p = find_path(*it);
    SentFrame sf{K::kPathAbandon};
    sf.path_id = *it;
    if (!put(wire::PathAbandonFrame{*it, p ? p->abandon_error : 0}, sf)) break;
    it = pending_.path_abandon.erase(it);
  }
  for (auto it = pending_.path_status.begin(); it != pending_.path_status.end();) {
    auto* p = find_path(*it);
    if (!p) {
      it = pending_.path_status.erase(it);
      continue;
    }
    SentFrame sf{K::kPathStatus};
    sf.path_id = *it;
    sf.id = p->local_status_seq;
    if (!put(wire::PathStatusFrame{*it, p->local_status_seq, p->local_status != PathStatus::kBackup}, sf)) break;
    it = pending_.path_status.erase(it);
  }
  if (pending_.max_path_id && put(wire::MaxPathIdFrame{paths_.local_max_id}, SentFrame{K::kMaxPathId})) {
    pending_.max_path_id = false;
  }
  if (pending_.paths_blocked && put(wire::PathsBlockedFrame{paths_.peer_max_id}, SentFrame{K::kPathsBlocked})) {
    pending_.paths_blocked = false;
  }
  for (auto it = pending_.path_cids_blocked.begin(); it != pending_.path_cids_blocked.end();) {
    uint64_t next = 0;
    if (cids_.has_remote(*it)) next = cids_.find_remote(*it)->cids.rbegin()->first + 1;
    if (!put(wire::PathCidsBlockedFrame{*it, next}, SentFrame{K::kPathCidsBlocked})) break;
    it = pending_.path_cids_blocked.erase(it);
  }
  write_address_advertisements(w, sent);
  write_ack_frequency(w, sent);
  if (pending_.data_blocked && put(wire::DataBlockedFrame{streams_.conn_send_limit.limit()}, SentFrame{K::kDataBlocked})) {
    pending_.data_blocked = false;
  }
  for (auto it = pending_.stream_data_blocked.begin(); it != pending_.stream_data_blocked.end();) {
    auto s = streams_.find(*it);
    if (s == streams_.end()) {
      it = pending_.stream_data_blocked.erase(it);
      continue;
    }
    if (!put(wire::StreamDataBlockedFrame{*it, s->second.send_limit.limit()}, SentFrame{K::kStreamDataBlocked})) break;
    it = pending_.stream_data_blocked.erase(it);
  }
  if (pending_.streams_blocked_bidi &&
      put(wire::StreamsBlockedFrame{true, streams_.bidi.peer_max}, SentFrame{K::kStreamsBlocked})) {
    pending_.streams_blocked_bidi = false;
  }
  if (pending_.streams_blocked_uni &&
      put(wire::StreamsBlockedFrame{false, streams_.uni.peer_max}, SentFrame{K::kStreamsBlocked})) {
    pending_.streams_blocked_uni = false;
  }
}

void ConnectionImpl::write_stream_frames(const DatagramPlan& plan, wire::Writer& w, path::Path& p,
                                         std::vector<SentFrame>& sent, size_t) {
  auto latency = latency_path();
  if (latency && *latency == p.id) {
    // Messages first on the latency path (a bounded look at the front of the queue).
    auto& q = streams_.send_queue;
    size_t look = std::min<size_t>(q.size(), 64);
    std::stable_partition(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(look), [&](StreamId id) {
      auto* s = streams_.get(id);
      return s && is_message_stream(*s);
    });
  }
  size_t rotations = streams_.send_queue.size();
  size_t skipped = 0;   // streams pinned to another path, passed over in a row
  while (!streams_.send_queue.empty() && w.remaining() > 24 && skipped < streams_.send_queue.size()) {
    StreamId id = streams_.send_queue.front();
    auto it = streams_.find(id);
    if (it == streams_.end() || !it->second.send || it->second.reset_sent) {
      if (it != streams_.end()) it->second.in_send_queue = false;
      streams_.send_queue.pop_front();
      continue;
    }
    if (pinned_elsewhere(stream_placement(it->second, latency), p)) {
      // A pinned stream never leaks onto another path while its own path is usable.
      streams_.send_queue.pop_front();
      streams_.send_queue.push_back(id);
      skipped++;
      continue;
    }
    skipped = 0;
    auto& s = it->second;
    uint64_t conn_avail = streams_.conn_send_limit.available(streams_.conn_bytes_sent);
    uint64_t limit_offset = std::min(s.send_limit.limit(), s.send->fresh_offset() + conn_avail);
    size_t room = w.remaining();
    auto slice = s.send->next_slice(room, limit_offset);
    if (slice) {
      size_t hdr = wire::stream_frame_header_size(id, slice->offset, slice->length, true);
      if (hdr + slice->length > room) {
        size_t fit = wire::stream_frame_max_data(id, slice->offset, room, true);
        if (fit == 0 && !(slice->length == 0 && hdr <= room)) break;
        if (fit < slice->length) {
          slice->length = fit;
          slice->fin = false;
        }
      }
    }
    if (!slice) {
      if (s.send->has_fresh_blocked_by(s.send_limit.limit()) && s.send_limit.should_signal_blocked(s.send->fresh_offset())) {
        pending_.stream_data_blocked.insert(id);
      }
      if (conn_avail == 0 && streams_.conn_send_limit.should_signal_blocked(streams_.conn_bytes_sent)) pending_.data_blocked = true;
      s.in_send_queue = false;
      streams_.send_queue.pop_front();
      continue;
    }
    wire::encode_stream_frame_header(w, id, slice->offset, slice->length, slice->fin, true);
    uint8_t* dst = w.cursor();
    w.write_zeros(slice->length);
    if (slice->length) s.send->copy_out(slice->offset, slice->length, dst);
    s.send->on_sent(*slice);
    if (!slice->retransmission) {
      uint64_t end = slice->offset + slice->length;
      (void)end;
      streams_.conn_bytes_sent += slice->length;
    }
    SentFrame f;
    f.kind = K::kStream;
    f.id = id;
    f.offset = slice->offset;
    f.length = static_cast<uint32_t>(slice->length);
    f.fin = slice->fin;
    sent.push_back(f);
    stats_.stream_bytes_sent += slice->length;
    p.stream_bytes_sent += slice->length;
    if (slice->length > 0) sent.back().duplicated = duplicate_stream_frame(plan, p, f);
    if (!s.send->has_pending()) {
      s.in_send_queue = false;
      streams_.send_queue.pop_front();
    } else if (--rotations == 0 || w.remaining() <= 24) {
      // Round-robin between streams: the next packet starts with the next stream.
      streams_.send_queue.pop_front();
      streams_.send_queue.push_back(id);
      rotations = streams_.send_queue.size();
    }
  }
}

}  // namespace braid::conn

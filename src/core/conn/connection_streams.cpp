// Streams: opening (locally and implicitly by the peer), stream limits, STREAM /
// RESET_STREAM / STOP_SENDING / MAX_STREAM_DATA / MAX_STREAMS handling with the RFC 9000
// error codes, connection- and stream-level flow control, and the application stream API.
#include <fmt/format.h>

#include "core/conn/connection_impl.h"

namespace braid::conn {

namespace {
bool is_bidi(StreamId id) { return (id & 0x2) == 0; }
uint64_t stream_index(StreamId id) { return id >> 2; }
constexpr uint64_t kMaxStreamIndex = uint64_t{1} << 60;
}  // namespace

Stream& ConnectionImpl::create_stream(StreamId id) {
  Stream s;
  s.id = id;
  bool local = streams_.is_local(id);
  bool bidi = is_bidi(id);
  if (bidi || local) {
    s.send.emplace(cfg_.max_send_buffer_per_stream, &streams_.pool);
    uint64_t limit = 0;
    if (peer_params_applied_) {
      limit = !bidi ? peer_params_.initial_max_stream_data_uni
              : local ? peer_params_.initial_max_stream_data_bidi_remote
                      : peer_params_.initial_max_stream_data_bidi_local;
    }
    s.send_limit = SendFlowLimit(limit);
  }
  if (bidi || !local) {
    s.recv.emplace(UINT64_MAX, cfg_.max_reassembly_pieces_per_stream, &streams_.pieces);
    s.recv_window.emplace(cfg_.initial_max_stream_data, std::max(cfg_.max_stream_window, cfg_.initial_max_stream_data));
  }
  return streams_.insert(std::move(s));
}

ApiResult<StreamId> ConnectionImpl::open_stream(bool bidirectional) {
  if (is_draining()) return api_fail(ApiErrorCode::kClosed, "connection is closing");
  uint64_t& next = bidirectional ? streams_.bidi.next_local : streams_.uni.next_local;
  uint64_t limit = bidirectional ? streams_.bidi.peer_max : streams_.uni.peer_max;
  if (next >= limit) {
    bool& signalled = bidirectional ? streams_.bidi.blocked_signalled : streams_.uni.blocked_signalled;
    if (!signalled && peer_params_applied_) {
      signalled = true;
      (bidirectional ? pending_.streams_blocked_bidi : pending_.streams_blocked_uni) = true;
    }
    return api_fail(ApiErrorCode::kLimit, "peer's stream limit reached");
  }
  StreamId id = (next << 2) | (perspective_ == Perspective::kServer ? 1 : 0) | (bidirectional ? 0 : 2);
  next++;
  create_stream(id);
  return id;
}

Result<Stream*> ConnectionImpl::stream_for_frame(StreamId id, bool is_send_frame, uint64_t ftype) {
  bool local = streams_.is_local(id);
  bool bidi = is_bidi(id);
  // Direction: frames about our sending half need a stream we can send on, and vice versa.
  if (!bidi) {
    if (local && !is_send_frame) return fail(TransportErrorCode::kStreamStateError, "data frame on our send-only stream", ftype);
    if (!local && is_send_frame) return fail(TransportErrorCode::kStreamStateError, "send-side frame on peer's send-only stream", ftype);
  }
  auto it = streams_.find(id);
  if (it != streams_.end()) return &it->second;
  uint64_t idx = stream_index(id);
  if (local) {
    uint64_t next = bidi ? streams_.bidi.next_local : streams_.uni.next_local;
    if (idx >= next) return fail(TransportErrorCode::kStreamStateError, "frame for a stream we never opened", ftype);
    return nullptr;  // closed and forgotten
  }
  uint64_t max = bidi ? streams_.bidi.local_max : streams_.uni.local_max;
  if (idx >= max || idx >= kMaxStreamIndex) {
    return fail(TransportErrorCode::kStreamLimitError, "peer exceeded our stream limit", ftype);
  }
  uint64_t& opened = bidi ? streams_.bidi.remote_opened : streams_.uni.remote_opened;
  if (idx < opened) return nullptr;  // closed and forgotten
  Stream* result = nullptr;
  for (uint64_t i = opened; i <= idx; ++i) {
    StreamId sid = (i << 2) | (id & 0x3);
    auto& s = create_stream(sid);
    emit({ConnectionEventType::kStreamOpened, sid});
    if (sid == id) result = &s;
  }
  opened = idx + 1;
  return result;
}

Status ConnectionImpl::on_stream_frame(TimePoint now, const wire::StreamFrame& f) {
  (void)now;
  auto sr = stream_for_frame(f.stream_id, false, 0x08);
  if (!sr) return std::unexpected(sr.error());
  Stream* s = *sr;
  if (!s || s->reset_received || !s->recv) return {};
  uint64_t end = f.offset + f.data.size();
  if (end > s->recv_window->limit()) {
    return fail(TransportErrorCode::kFlowControlError, "stream data beyond MAX_STREAM_DATA", 0x08);
  }
  uint64_t before = s->recv->highest_offset();
  if (auto st = s->recv->insert(f.offset, f.data, f.fin); !st) {
    auto e = st.error();
    e.frame_type = 0x08;
    return std::unexpected(e);
  }
  uint64_t after = s->recv->highest_offset();
  if (after > before) {
    streams_.conn_bytes_received += after - before;
    if (auto st = streams_.conn_recv_window->on_received(streams_.conn_bytes_received); !st) return st;
    if (auto st = s->recv_window->on_received(after); !st) return st;
  }
  stats_.stream_bytes_received += f.data.size();  // process_frames credits the arrival path
  if (s->recv->readable() > 0 || s->recv->finished() || (s->recv->fin_received() && s->recv->readable() == 0 &&
                                                          s->recv->read_offset() == s->recv->final_size())) {
    emit({ConnectionEventType::kStreamReadable, s->id});
  }
  return {};
}

Status ConnectionImpl::on_reset_stream(TimePoint now, const wire::ResetStreamFrame& f) {
  auto sr = stream_for_frame(f.stream_id, false, 0x04);
  if (!sr) return std::unexpected(sr.error());
  Stream* s = *sr;
  if (!s || !s->recv || s->reset_received) return {};
  auto fs = s->recv->final_size();
  if ((fs && *fs != f.final_size) || f.final_size < s->recv->highest_offset()) {
    return fail(TransportErrorCode::kFinalSizeError, "RESET_STREAM final size mismatch", 0x04);
  }
  if (f.final_size > s->recv_window->limit()) {
    return fail(TransportErrorCode::kFlowControlError, "RESET_STREAM final size beyond limit", 0x04);
  }
  uint64_t before = s->recv->highest_offset();
  streams_.conn_bytes_received += f.final_size - before;
  if (auto st = streams_.conn_recv_window->on_received(streams_.conn_bytes_received); !st) return st;
  // Unread bytes will never be read: release their connection-level credit.
  uint64_t unread = f.final_size - s->recv->read_offset();
  s->reset_received = true;
  s->recv_done = true;
  pending_.max_stream_data.erase(s->id);
  pending_.stop_sending.erase(s->id);
  emit({ConnectionEventType::kStreamReset, s->id, 0, f.error_code});
  on_connection_data_read(now, unread);
  maybe_retire_stream(*s);
  return {};
}

Status ConnectionImpl::on_stop_sending(TimePoint now, const wire::StopSendingFrame& f) {
  (void)now;
  auto sr = stream_for_frame(f.stream_id, true, 0x05);
  if (!sr) return std::unexpected(sr.error());
  Stream* s = *sr;
  if (!s || !s->send) return {};
  if (!s->stop_sending_received) {
    s->stop_sending_received = true;
    emit({ConnectionEventType::kStreamStopSending, s->id, 0, f.error_code});
  }
  // Answer with RESET_STREAM carrying the same code (RFC 9000 §3.5).
  if (!s->reset_sent && !(s->send->finished() && s->send->all_acked())) {
    s->reset_sent = true;
    s->reset_code = f.error_code;
    s->reset_final_size = s->send->fresh_offset();
    s->send->discard();   // nothing of it is sent again: free the memory now
    pending_.reset_stream.insert(s->id);
    streams_.write_blocked.erase(s->id);
  }
  return {};
}

Status ConnectionImpl::on_max_stream_data(const wire::MaxStreamDataFrame& f) {
  auto sr = stream_for_frame(f.stream_id, true, 0x11);
  if (!sr) return std::unexpected(sr.error());
  Stream* s = *sr;
  if (!s || !s->send) return {};
  if (s->send_limit.update(f.maximum)) {
    if (s->send->has_pending()) streams_.queue_send(*s);
    notify_writable();
  }
  return {};
}

Status ConnectionImpl::on_max_streams(const wire::MaxStreamsFrame& f) {
  if (f.maximum > kMaxStreamIndex) {
    return fail(TransportErrorCode::kFrameEncodingError, "MAX_STREAMS beyond 2^60", f.bidi ? 0x12 : 0x13);
  }
  uint64_t& limit = f.bidi ? streams_.bidi.peer_max : streams_.uni.peer_max;
  if (f.maximum > limit) {
    limit = f.maximum;
    (f.bidi ? streams_.bidi.blocked_signalled : streams_.uni.blocked_signalled) = false;
  }
  return {};
}

size_t ConnectionImpl::room_ahead_of_credit(const Stream& s) const {
  uint64_t ahead_limit = s.send_limit.limit() + cfg_.max_send_ahead_of_credit;
  return ahead_limit > s.send->written() ? static_cast<size_t>(ahead_limit - s.send->written()) : 0;
}

std::optional<ApiError> ConnectionImpl::stream_side_error(StreamId id, StreamManager::Map::iterator it, bool send) {
  if (it == streams_.end()) {
    // IDs the application could not have been given yet, or streams already retired.
    return ApiError{ApiErrorCode::kNotFound, fmt::format("no stream {}", id)};
  }
  if (send ? !it->second.send : !it->second.recv) {
    return ApiError{ApiErrorCode::kInvalid, fmt::format("stream {} has no {} side", id, send ? "send" : "receive")};
  }
  return std::nullopt;
}

ApiResult<size_t> ConnectionImpl::stream_writable(StreamId id) {
  auto it = streams_.find(id);
  if (auto bad = stream_side_error(id, it, true)) return std::unexpected(*bad);
  auto& s = it->second;
  if (s.reset_sent || s.stop_sending_received || s.send->finished() || is_draining()) return size_t{0};
  size_t n = std::min(s.send->writable(), room_ahead_of_credit(s));
  if (n == 0) streams_.write_blocked.insert(id);
  return n;
}

ApiResult<size_t> ConnectionImpl::stream_write(StreamId id, std::span<const uint8_t> data, bool fin) {
  auto it = streams_.find(id);
  if (auto bad = stream_side_error(id, it, true)) return std::unexpected(*bad);
  auto& s = it->second;
  if (s.reset_sent || s.stop_sending_received) {
    return api_fail(ApiErrorCode::kClosed, fmt::format("stream {} was reset", id));
  }
  if (s.send->finished()) {
    if (data.empty() && fin) return size_t{0};
    return api_fail(ApiErrorCode::kClosed, fmt::format("stream {} already finished", id));
  }
  if (is_draining()) return api_fail(ApiErrorCode::kClosed, "connection is closing");
  // Bounded three ways: the stream's buffer, the connection's pool, and how far ahead of
  // the peer's flow-control credit the application may write. Short: would-block, and a
  // kStreamWritable event follows when more fits.
  auto accepted = data.first(std::min(data.size(), room_ahead_of_credit(s)));
  size_t n = s.send->write(accepted);
  if (n < data.size()) streams_.write_blocked.insert(id);
  if (fin && n == data.size()) s.send->finish();
  if (n > 0 || (fin && n == data.size())) streams_.queue_send(s);
  return n;
}

ApiResult<size_t> ConnectionImpl::stream_read(StreamId id, std::span<uint8_t> out, bool& fin) {
  fin = false;
  auto it = streams_.find(id);
  if (auto bad = stream_side_error(id, it, false)) return std::unexpected(*bad);
  auto& s = it->second;
  if (s.reset_received) {
    return api_fail(ApiErrorCode::kClosed, fmt::format("stream {} was reset by the peer", id));
  }
  size_t n = s.recv->read(out);
  fin = s.recv->finished();
  if (n > 0) {
    if (s.recv_window && !s.recv->fin_received()) {
      if (s.recv_window->on_consumed(s.recv->read_offset(), now_, window_tuning_rtt())) {
        pending_.max_stream_data.insert(id);
      }
    }
    on_connection_data_read(now_, n);
  }
  if (fin && !s.recv_done) {
    s.recv_done = true;
    maybe_retire_stream(s);
  }
  return n;
}

void ConnectionImpl::on_connection_data_read(TimePoint now, uint64_t bytes) {
  streams_.conn_bytes_read += bytes;
  if (streams_.conn_recv_window && streams_.conn_recv_window->on_consumed(streams_.conn_bytes_read, now, window_tuning_rtt())) {
    pending_.max_data = true;
  }
}

ApiStatus ConnectionImpl::stream_reset(StreamId id, uint64_t app_error) {
  auto it = streams_.find(id);
  if (auto bad = stream_side_error(id, it, true)) return std::unexpected(*bad);
  auto& s = it->second;
  if (s.reset_sent || (s.send->finished() && s.send->all_acked())) return {};
  s.reset_sent = true;
  s.reset_code = app_error;
  s.reset_final_size = s.send->fresh_offset();
  s.send->discard();
  pending_.reset_stream.insert(id);
  streams_.write_blocked.erase(id);
  return {};
}

ApiStatus ConnectionImpl::stream_stop_sending(StreamId id, uint64_t app_error) {
  auto it = streams_.find(id);
  if (auto bad = stream_side_error(id, it, false)) return std::unexpected(*bad);
  auto& s = it->second;
  if (s.stop_sending_sent || s.reset_received || s.recv->fin_received()) return {};
  s.stop_sending_sent = true;
  s.stop_sending_code = app_error;
  pending_.stop_sending.insert(id);
  return {};
}

void ConnectionImpl::notify_writable() {
  for (auto it = streams_.write_blocked.begin(); it != streams_.write_blocked.end();) {
    auto s = streams_.find(*it);
    if (s == streams_.end() || !s->second.send || s->second.reset_sent || s->second.send->finished()) {
      it = streams_.write_blocked.erase(it);
      continue;
    }
    auto& st = s->second;
    if (st.send->writable() > 0 && room_ahead_of_credit(st) > 0) {
      emit({ConnectionEventType::kStreamWritable, st.id});
      it = streams_.write_blocked.erase(it);
    } else {
      ++it;
    }
  }
}

void ConnectionImpl::maybe_retire_stream(Stream& s) {
  bool send_done = !s.send || (s.reset_sent ? s.reset_acked : (s.send->finished() && s.send->all_acked()));
  bool recv_done = !s.recv || s.recv_done;
  if (!send_done || !recv_done) return;
  StreamId id = s.id;
  if (!streams_.is_local(id)) {
    // The peer may open another stream in its place (RFC 9000 §4.6).
    bool bidi = is_bidi(id);
    uint64_t& done = bidi ? streams_.bidi.remote_done : streams_.uni.remote_done;
    uint64_t& max = bidi ? streams_.bidi.local_max : streams_.uni.local_max;
    uint64_t initial = bidi ? cfg_.initial_max_streams_bidi : cfg_.initial_max_streams_uni;
    done++;
    max++;
    if (done % std::max<uint64_t>(1, initial / 8) == 0) (bidi ? pending_.max_streams_bidi : pending_.max_streams_uni) = true;
  }
  pending_.max_stream_data.erase(id);
  pending_.stream_data_blocked.erase(id);
  streams_.write_blocked.erase(id);
  paths_.forget_stream(id);
  streams_.erase(id);
}

ApiStatus ConnectionImpl::send_datagram(std::span<const uint8_t> data) {
  if (is_draining()) return api_fail(ApiErrorCode::kClosed, "connection is closing");
  if (!peer_params_applied_) return api_fail(ApiErrorCode::kNotReady, "the peer's transport parameters are not known yet");
  if (!peer_params_.max_datagram_frame_size || *peer_params_.max_datagram_frame_size == 0) {
    return api_fail(ApiErrorCode::kUnsupported, "peer does not accept DATAGRAM frames");
  }
  if (data.size() > max_datagram_payload()) {
    return api_fail(ApiErrorCode::kInvalid,
                    fmt::format("datagram of {} bytes exceeds the maximum of {}", data.size(), max_datagram_payload()));
  }
  if (datagrams_out_.size() >= cfg_.max_datagram_queue) datagrams_out_.pop_front();
  datagrams_out_.push_back(std::make_shared<const std::vector<uint8_t>>(data.begin(), data.end()));
  return {};
}

std::optional<std::vector<uint8_t>> ConnectionImpl::recv_datagram() {
  if (datagrams_in_.empty()) return std::nullopt;
  auto d = std::move(datagrams_in_.front());
  datagrams_in_.pop_front();
  return d;
}

size_t ConnectionImpl::max_datagram_payload() const {
  if (!peer_params_applied_ || !peer_params_.max_datagram_frame_size) return 0;
  const auto& p = primary_path();
  // Short header (1 + DCID + 4-byte PN), AEAD tag, DATAGRAM type and 2-byte length.
  size_t overhead = 1 + p.remote_cid.size() + 4 + 16 + 1 + 2;
  size_t by_mtu = p.mtu > overhead ? p.mtu - overhead : 0;
  uint64_t by_peer = *peer_params_.max_datagram_frame_size > 3 ? *peer_params_.max_datagram_frame_size - 3 : 0;
  return static_cast<size_t>(std::min<uint64_t>(by_mtu, by_peer));
}

}  // namespace braid::conn

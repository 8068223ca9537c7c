#include "transfer/transfer_sender.h"

#include <algorithm>

namespace braid::transfer {
namespace {

constexpr size_t kWritePiece = 64 << 10;     // bytes read from the source per stream write
constexpr uint64_t kHashBudget = 4 << 20;    // end-to-end hashing per pump while sending
// Stream bytes buffered ahead of the network: twice the paths' windows, at least this.
// Without a bound every chunk in flight would be buffered whole and the connection's
// round-robin over streams would finish them all together at the end (nothing confirmed
// early, nothing to resume from); with it, chunks are written, sent and confirmed about in
// offset order.
constexpr uint64_t kMinBuffered = 2 << 20;

Profile with_overrides(Profile p, const SenderOptions& o) {
  if (o.streams) p.streams = std::max<uint32_t>(*o.streams, 1);
  if (o.congestion_controller) p.congestion_controller = *o.congestion_controller;
  return p;
}

}  // namespace

TransferSender::TransferSender(SenderOptions opts, std::unique_ptr<Source> source)
    : opts_(std::move(opts)),
      source_(std::move(source)),
      planner_(source_->size()),
      detector_(opts_.mode),
      profile_(with_overrides(profile_for(detector_.mode()), opts_)),
      tuner_(profile_),
      scratch_(kWritePiece) {
  if (opts_.chunk) tuner_.fix(std::clamp<uint64_t>(*opts_.chunk, 1, kMaxChunkLength));
}

void TransferSender::fail(TimePoint now, Transport& t, TransferErrorCode code, std::string message, bool tell_peer) {
  if (state_ == State::kDone || state_ == State::kFailed) return;
  error_ = TransferError{code, std::move(message)};
  state_ = State::kFailed;
  if (tell_peer) {
    control_.send(ErrorMsg{false, code, error_->message});
    control_.flush(t);
    close_.arm(now);   // the receiver closes when it reads the ERROR
  }
}

void TransferSender::on_event(TimePoint now, Transport& t, const TransportEvent& ev) {
  switch (ev.kind) {
    case TransportEventKind::kClosed:
      fail(now, t, TransferErrorCode::kConnectionClosed,
           ev.reason.empty() ? std::string("the connection closed before the transfer ended") : ev.reason, false);
      break;
    case TransportEventKind::kStreamStopSending:
    case TransportEventKind::kStreamReset:
      if (control_.is(ev.stream)) {
        fail(now, t, TransferErrorCode::kProtocol, "the receiver reset the control stream", true);
        break;
      }
      // The receiver gave up on a chunk stream: plan its bytes again.
      for (auto it = chunks_.begin(); it != chunks_.end(); ++it) {
        if (it->second.stream == ev.stream) {
          planner_.abandon(it->second.range);
          chunks_.erase(it);
          break;
        }
      }
      break;
    default:
      break;   // pump() reads and writes whatever is ready
  }
}

void TransferSender::pump(TimePoint now, Transport& t) {
  if (state_ == State::kFailed) {
    control_.flush(t);
    close_.poll(now, t, *error_);
    return;
  }
  if (state_ == State::kDone) return;
  if (start_ == kNever) start_ = now;
  if (state_ == State::kIdle) {
    auto s = t.open_stream(true);
    if (!s) return;   // not yet (stream credit); the next pump tries again
    control_.bind(*s);
    apply_profile(now, t, detector_.mode());
    if (state_ == State::kFailed) return;
    control_.send(OfferMsg{opts_.id, opts_.name, source_->size()});
    state_ = State::kOffered;
  }
  read_control(now, t);
  if (state_ == State::kSending) {
    adapt(now, t);
    start_chunks(now, t);
    if (state_ == State::kFailed) return;
    SendPressure sp = t.send_pressure();
    uint64_t budget = std::max(kMinBuffered, 2 * sp.congestion_windows);
    allowance_ = budget > sp.buffered_stream_bytes ? budget - sp.buffered_stream_bytes : 0;
    for (auto& [off, c] : chunks_) {
      if (allowance_ == 0) break;
      if (!c.fin_sent && !write_chunk(t, c)) {
        TransferError e = error_.value_or(TransferError{TransferErrorCode::kIo, "reading the source failed"});
        error_.reset();
        fail(now, t, e.code, e.message, true);
        return;
      }
    }
    advance_hash(false);
    maybe_finish(now, t);
  }
  control_.flush(t);
  report_progress();
}

TimePoint TransferSender::next_wake() const {
  if (state_ == State::kFailed) return close_.deadline();
  return state_ == State::kSending ? detector_.next_sample() : kNever;
}

void TransferSender::read_control(TimePoint now, Transport& t) {
  auto err = control_.receive(t, scratch_, [&](Message m) {
    handle_message(now, t, std::move(m));
    return state_ != State::kFailed && state_ != State::kDone;
  });
  if (err) fail(now, t, err->code, err->message, true);
}

void TransferSender::handle_message(TimePoint now, Transport& t, Message m) {
  if (auto* e = std::get_if<ErrorMsg>(&m)) {
    fail(now, t, e->code, "the receiver says: " + e->message, false);
    t.close(now, kTransferAppError, error_->describe());
    return;
  }
  if (auto* a = std::get_if<AcceptMsg>(&m); a && state_ == State::kOffered) {
    RangeSet held;
    for (const Range& r : a->confirmed) {
      if (planner_.total() && r.end() > *planner_.total()) {
        fail(now, t, TransferErrorCode::kProtocol, "ACCEPT names bytes beyond the transfer", true);
        return;
      }
      held.add(r);
    }
    planner_.set_confirmed(held);
    resumed_bytes_ = held.bytes();
    state_ = State::kSending;
    return;
  }
  if (auto* k = std::get_if<ChunkOkMsg>(&m); k && (state_ == State::kSending || state_ == State::kFinishing)) {
    auto it = chunks_.find(k->range.offset);
    if (it == chunks_.end() || it->second.range != k->range || !it->second.fin_sent) {
      fail(now, t, TransferErrorCode::kProtocol, "CHUNK_OK for a chunk that was not sent", true);
      return;
    }
    planner_.confirm(k->range);
    latency_sum_ += now - it->second.started;
    ++chunks_confirmed_;
    chunks_.erase(it);
    return;
  }
  if (std::holds_alternative<DoneMsg>(m) && state_ == State::kFinishing) {
    state_ = State::kDone;
    return;
  }
  fail(now, t, TransferErrorCode::kProtocol, "unexpected message from the receiver", true);
}

void TransferSender::adapt(TimePoint now, Transport& t) {
  if (now < detector_.next_sample()) return;
  status_ = t.status(now);
  last_status_ = now;
  // The connection's RTT: the bandwidth-weighted mean over usable paths (the paths that
  // carry the bytes); its bandwidth: their sum.
  double bw = 0, weighted = 0, weights = 0;
  Duration min_rtt = Duration::max();
  for (const TransportPath& p : status_.paths) {
    if (!p.usable || p.smoothed_rtt <= Duration::zero()) continue;
    bw += p.bandwidth_bits_per_second;
    weighted += p.bandwidth_bits_per_second * static_cast<double>(p.smoothed_rtt.count());
    weights += p.bandwidth_bits_per_second;
    min_rtt = std::min(min_rtt, p.smoothed_rtt);
  }
  if (min_rtt == Duration::max()) {
    // No usable path with an RTT (not sampled yet, or every path suspect): nothing to judge
    // by, and the next look is one interval on, not at once (a wake at `now` forever).
    detector_.skip_sample(now);
    return;
  }
  Duration rtt = weights > 0 ? Duration(static_cast<Duration::rep>(weighted / weights)) : min_rtt;
  if (auto m = detector_.sample(now, rtt, bw)) apply_profile(now, t, *m);
  tuner_.update(status_.packets_sent - std::min(status_.packets_sent, sent_at_last_sample_),
                status_.packets_lost - std::min(status_.packets_lost, lost_at_last_sample_));
  sent_at_last_sample_ = status_.packets_sent;
  lost_at_last_sample_ = status_.packets_lost;
}

void TransferSender::apply_profile(TimePoint now, Transport& t, TransferMode mode) {
  profile_ = with_overrides(profile_for(mode), opts_);
  tuner_.set_profile(profile_);
  if (profile_.congestion_controller != controller_) {
    std::string err;
    if (!t.set_congestion_controller(now, profile_.congestion_controller, err)) {
      fail(now, t, TransferErrorCode::kCancelled, err, true);
      return;
    }
    controller_ = profile_.congestion_controller;
  }
  if (opts_.on_mode) opts_.on_mode(mode, profile_);
}

void TransferSender::start_chunks(TimePoint now, Transport& t) {
  // A chunk holds its stream until CHUNK_OK, as in the reference: `streams` chunks are in
  // flight at most, which bounds what a lost connection costs to resend.
  size_t writing = chunks_.size();
  while (writing < profile_.streams && !stream_ended_) {
    auto r = planner_.next(tuner_.chunk_size());
    if (!r) return;
    auto s = t.open_stream(false);
    if (!s) {   // out of stream credit: MAX_STREAMS will come
      planner_.abandon(*r);
      return;
    }
    Chunk c;
    c.range = *r;
    c.stream = *s;
    c.started = now;
    if (!source_->random_access() && !fill_stream_chunk(c)) {
      t.reset(c.stream, kTransferAppError);
      if (error_) {
        TransferError e = *error_;
        error_.reset();
        fail(now, t, e.code, e.message, true);
        return;
      }
      continue;   // the stream ended exactly at a chunk boundary
    }
    c.header = encode_chunk_header({c.range.offset, static_cast<uint32_t>(c.range.length)});
    ++total_streams_;
    ++writing;
    chunks_.emplace(c.range.offset, std::move(c));
  }
}

bool TransferSender::fill_stream_chunk(Chunk& c) {
  // Bytes below the chunk that the receiver already holds (a resumed stream) are read and
  // hashed, not sent.
  std::vector<uint8_t> skip;
  while (hashed_ < c.range.offset) {
    skip.resize(static_cast<size_t>(std::min<uint64_t>(c.range.offset - hashed_, kWritePiece)));
    auto n = source_->read_at(hashed_, skip);
    if (!n) {
      error_ = n.error();
      return false;
    }
    if (*n == 0) break;
    e2e_.update(std::span(skip).first(*n));
    hashed_ += *n;
  }
  c.data.resize(c.range.length);
  uint64_t got = 0;
  if (hashed_ == c.range.offset) {
    auto n = source_->read_at(c.range.offset, c.data);
    if (!n) {
      error_ = n.error();
      return false;
    }
    got = *n;
  }
  c.data.resize(got);
  e2e_.update(c.data);
  hashed_ += got;
  if (got < c.range.length) {
    stream_ended_ = true;
    planner_.shrink(c.range, got);
    planner_.set_total(c.range.offset + got);
    c.range.length = got;
  }
  return got > 0;
}

bool TransferSender::write_chunk(Transport& t, Chunk& c) {
  for (;;) {
    size_t room = t.writable(c.stream);
    if (room == 0) return true;
    if (c.header_sent < c.header.size()) {
      auto n = t.write(c.stream, std::span(c.header).subspan(c.header_sent), false);
      if (!n) return true;   // the stream went (reset); its event replans it
      c.header_sent += *n;
      if (*n == 0) return true;
      continue;
    }
    if (c.written < c.range.length) {
      if (allowance_ == 0) return true;
      size_t want = static_cast<size_t>(std::min<uint64_t>({room, c.range.length - c.written, kWritePiece, allowance_}));
      std::span<const uint8_t> piece;
      if (!c.data.empty()) {
        piece = std::span(c.data).subspan(c.written, want);
      } else {
        auto got = source_->read_at(c.range.offset + c.written, std::span(scratch_).first(want));
        if (!got) {
          error_ = got.error();
          return false;
        }
        if (*got < want) {
          error_ = TransferError{TransferErrorCode::kSizeMismatch, "the source ended early"};
          return false;
        }
        piece = std::span(scratch_).first(want);
      }
      auto n = t.write(c.stream, piece, false);
      if (!n) return true;
      c.hash.update(piece.first(*n));
      c.written += *n;
      bytes_sent_ += *n;
      allowance_ -= std::min<uint64_t>(allowance_, *n);
      if (*n < want) return true;
      continue;
    }
    if (c.trailer_sent == 0) {
      c.trailer = c.hash.finish();
      c.data.clear();
      c.data.shrink_to_fit();
    }
    auto n = t.write(c.stream, std::span(c.trailer).subspan(c.trailer_sent), true);
    if (!n) return true;
    c.trailer_sent += *n;
    if (c.trailer_sent == c.trailer.size()) {
      c.fin_sent = true;
      return true;
    }
    if (*n == 0) return true;
  }
}

void TransferSender::advance_hash(bool all) {
  if (!source_->random_access()) return;
  uint64_t total = source_->size().value_or(0);
  uint64_t budget = all ? UINT64_MAX : kHashBudget;
  while (hashed_ < total && budget > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>({total - hashed_, kWritePiece, budget}));
    auto n = source_->read_at(hashed_, std::span(scratch_).first(want));
    if (!n || *n == 0) return;   // the chunk reads report the error
    e2e_.update(std::span(scratch_).first(*n));
    hashed_ += *n;
    budget -= std::min<uint64_t>(budget, *n);
  }
}

void TransferSender::maybe_finish(TimePoint now, Transport& t) {
  if (state_ != State::kSending || !planner_.complete() || !chunks_.empty()) return;
  advance_hash(true);
  if (auto ok = source_->verify_unchanged(); !ok) {
    fail(now, t, ok.error().code, ok.error().message, true);
    return;
  }
  if (hashed_ != *planner_.total()) {
    fail(now, t, TransferErrorCode::kIo, "could not read the whole source for its checksum", true);
    return;
  }
  digest_ = e2e_.finish();
  control_.send(FinishMsg{*planner_.total(), digest_});
  state_ = State::kFinishing;
}

void TransferSender::report_progress() {
  uint64_t c = planner_.confirmed_bytes();
  if (c == last_progress_) return;
  last_progress_ = c;
  if (opts_.on_progress) opts_.on_progress(c, planner_.total().value_or(0));
}

TransferMetrics TransferSender::metrics(TimePoint now) const {
  TransferMetrics m;
  m.total_bytes = planner_.total().value_or(0);
  m.confirmed_bytes = planner_.confirmed_bytes();
  m.resumed_bytes = resumed_bytes_;
  m.bytes_sent = bytes_sent_;
  m.active_streams = static_cast<uint32_t>(chunks_.size());
  m.total_streams = total_streams_;
  m.chunks_confirmed = chunks_confirmed_;
  m.chunk_size = tuner_.chunk_size();
  if (start_ != kNever && now > start_) {
    double secs = std::chrono::duration<double>(now - start_).count();
    m.throughput_bits_per_second = 8.0 * static_cast<double>(m.confirmed_bytes - resumed_bytes_) / secs;
  }
  if (chunks_confirmed_ > 0) m.average_latency = latency_sum_ / static_cast<int64_t>(chunks_confirmed_);
  if (status_.packets_sent > 0) {
    m.loss_rate = static_cast<double>(status_.packets_lost) / static_cast<double>(status_.packets_sent);
  }
  m.mode = detector_.mode();
  m.mode_confidence = detector_.confidence();
  m.mode_switches = detector_.switches();
  m.congestion_controller = controller_;
  m.streams_target = profile_.streams;
  size_t healthy = 0;
  for (const TransportPath& p : status_.paths) healthy += p.health == PathHealth::kHealthy ? 1 : 0;
  m.health = healthy == status_.paths.size() ? std::string("healthy")
                                             : std::to_string(healthy) + "/" + std::to_string(status_.paths.size()) +
                                                   " paths healthy";
  if (last_status_ != kNever) m.since_health_check = now - last_status_;
  m.complete = state_ == State::kDone;
  return m;
}

}  // namespace braid::transfer

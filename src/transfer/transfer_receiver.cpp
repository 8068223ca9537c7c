#include "transfer/transfer_receiver.h"

#include <algorithm>
#include <cstring>

namespace braid::transfer {
namespace {

constexpr uint64_t kHashBudget = 4 << 20;   // end-to-end hashing per pump while receiving

bool is_uni(StreamId id) { return (id & 2) != 0; }

}  // namespace

void TransferReceiver::fail(TimePoint now, Transport& t, TransferErrorCode code, std::string message) {
  if (state_ == State::kDone || state_ == State::kFailed) return;
  error_ = TransferError{code, std::move(message)};
  state_ = State::kFailed;
  if (sink_) {
    // An interrupted connection keeps what was confirmed; anything else is discarded so
    // nothing half-written looks like the file.
    if (code == TransferErrorCode::kConnectionClosed) {
      sink_->suspend();
    } else {
      sink_->discard();
    }
  }
  if (code != TransferErrorCode::kConnectionClosed) {
    control_.send(ErrorMsg{!sink_ && offer_.has_value(), code, error_->message});
    control_.flush(t);
    // The sender closes when it reads the ERROR; a sender that does not is closed on.
    close_.arm(now);
  }
}

void TransferReceiver::on_event(TimePoint now, Transport& t, const TransportEvent& ev) {
  if (start_ == kNever) start_ = now;
  switch (ev.kind) {
    case TransportEventKind::kClosed:
      if (state_ != State::kDone) {
        fail(now, t, TransferErrorCode::kConnectionClosed,
             ev.reason.empty() ? std::string("the connection closed before the transfer ended") : ev.reason);
      }
      break;
    case TransportEventKind::kStreamOpened:
    case TransportEventKind::kStreamReadable:
      if (!is_uni(ev.stream)) {
        if (!control_.bound()) control_.bind(ev.stream);
        else if (!control_.is(ev.stream)) t.stop_sending(ev.stream, kTransferAppError);   // one transfer per connection
      } else {
        readable_.insert(ev.stream);
      }
      break;
    case TransportEventKind::kStreamReset:
      if (control_.is(ev.stream)) {
        fail(now, t, TransferErrorCode::kCancelled, "the sender reset the control stream");
      } else if (auto it = chunks_.find(ev.stream); it != chunks_.end()) {
        // An unfinished chunk the sender gave up: its bytes will come again in another chunk.
        if (it->second.has_header) receiving_.remove(it->second.range);
        chunks_.erase(it);
        readable_.erase(ev.stream);
      }
      break;
    default:
      break;
  }
}

void TransferReceiver::pump(TimePoint now, Transport& t) {
  if (state_ == State::kFailed) {
    control_.flush(t);
    close_.poll(now, t, *error_);
    return;
  }
  if (state_ == State::kDone) return;
  if (start_ == kNever) start_ = now;
  read_control(now, t);
  if (state_ == State::kReceiving) {
    std::vector<StreamId> ready(readable_.begin(), readable_.end());
    readable_.clear();
    for (StreamId id : ready) {
      read_chunk(now, t, id);
      if (state_ != State::kReceiving) return;
    }
    advance_hash(false);
    maybe_complete(now, t);
  }
  control_.flush(t);
  if (opts_.on_progress && confirmed_.bytes() != last_progress_) {
    last_progress_ = confirmed_.bytes();
    opts_.on_progress(last_progress_, offer_ && offer_->size ? *offer_->size : 0);
  }
}

void TransferReceiver::read_control(TimePoint now, Transport& t) {
  auto err = control_.receive(t, buf_, [&](Message m) {
    handle_message(now, t, std::move(m));
    return state_ != State::kFailed && state_ != State::kDone;
  });
  if (err) fail(now, t, err->code, err->message);
}

void TransferReceiver::handle_message(TimePoint now, Transport& t, Message m) {
  if (auto* o = std::get_if<OfferMsg>(&m); o && state_ == State::kWaiting) {
    offer_ = *o;
    if (o->size && *o->size > opts_.max_size) {
      fail(now, t, TransferErrorCode::kRejected, "the transfer is larger than this receiver accepts");
      return;
    }
    auto opened = sinks_.open(*o);
    if (!opened) {
      fail(now, t, opened.error().code, opened.error().message);
      return;
    }
    sink_ = std::move(opened->sink);
    location_ = sink_->location();
    confirmed_ = opened->confirmed;
    resumed_bytes_ = confirmed_.bytes();
    control_.send(AcceptMsg{confirmed_.ranges()});
    state_ = State::kReceiving;
    return;
  }
  if (auto* f = std::get_if<FinishMsg>(&m); f && state_ == State::kReceiving && !finish_) {
    if (offer_->size && f->size != *offer_->size) {
      fail(now, t, TransferErrorCode::kSizeMismatch, "FINISH says " + std::to_string(f->size) + " bytes, the offer " +
                                                         std::to_string(*offer_->size));
      return;
    }
    finish_ = *f;
    return;
  }
  if (auto* e = std::get_if<ErrorMsg>(&m)) {
    fail(now, t, e->code, "the sender says: " + e->message);
    return;
  }
  fail(now, t, TransferErrorCode::kProtocol, "unexpected message from the sender");
}

void TransferReceiver::read_chunk(TimePoint now, Transport& t, StreamId id) {
  Chunk& c = chunks_[id];
  for (;;) {
    bool fin = false;
    auto n = t.read(id, buf_, fin);
    if (!n) {   // reset (or never opened): forget whatever this stream started
      if (c.has_header) receiving_.remove(c.range);
      chunks_.erase(id);
      return;
    }
    if (*n > 0 && !consume(now, t, c, std::span(buf_).first(*n))) return;
    if (fin) {
      finish_chunk(now, t, id, c);
      return;
    }
    if (*n == 0) return;
  }
}

bool TransferReceiver::consume(TimePoint now, Transport& t, Chunk& c, std::span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    if (!c.has_header) {
      size_t take = std::min(bytes.size(), c.header.size() - c.header_len);
      std::memcpy(c.header.data() + c.header_len, bytes.data(), take);
      c.header_len += take;
      bytes = bytes.subspan(take);
      if (c.header_len < c.header.size()) return true;
      auto h = decode_chunk_header(c.header);
      if (!h) {
        fail(now, t, h.error().code, h.error().message);
        return false;
      }
      c.range = {h->offset, h->length};
      if (offer_->size && c.range.end() > *offer_->size) {
        fail(now, t, TransferErrorCode::kProtocol, "a chunk beyond the offered size");
        return false;
      }
      if (finish_ && c.range.end() > finish_->size) {
        fail(now, t, TransferErrorCode::kProtocol, "a chunk beyond the final size");
        return false;
      }
      if (confirmed_.overlaps(c.range) || receiving_.overlaps(c.range)) {
        fail(now, t, TransferErrorCode::kProtocol, "a chunk overlaps bytes already received");
        return false;
      }
      receiving_.add(c.range);
      c.has_header = true;
      ++total_streams_;
      continue;
    }
    if (c.received < c.range.length) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(bytes.size(), c.range.length - c.received));
      auto piece = bytes.first(take);
      if (auto w = sink_->write_at(c.range.offset + c.received, piece); !w) {
        fail(now, t, w.error().code, w.error().message);
        return false;
      }
      c.hash.update(piece);
      c.received += take;
      bytes_received_ += take;
      bytes = bytes.subspan(take);
      continue;
    }
    size_t take = std::min(bytes.size(), c.trailer.size() - c.trailer_len);
    if (take == 0) {
      fail(now, t, TransferErrorCode::kProtocol, "bytes after a chunk's checksum");
      return false;
    }
    std::memcpy(c.trailer.data() + c.trailer_len, bytes.data(), take);
    c.trailer_len += take;
    bytes = bytes.subspan(take);
  }
  return true;
}

void TransferReceiver::finish_chunk(TimePoint now, Transport& t, StreamId id, Chunk& c) {
  if (!c.has_header || c.received < c.range.length || c.trailer_len < c.trailer.size()) {
    fail(now, t, TransferErrorCode::kProtocol, "a chunk stream ended before its chunk did");
    return;
  }
  if (c.hash.finish() != c.trailer) {
    fail(now, t, TransferErrorCode::kChecksumMismatch,
         "chunk at offset " + std::to_string(c.range.offset) + " does not match its SHA-256");
    return;
  }
  if (auto ok = sink_->confirm(c.range, c.trailer); !ok) {
    fail(now, t, ok.error().code, ok.error().message);
    return;
  }
  Range r = c.range;
  receiving_.remove(r);
  confirmed_.add(r);
  ++chunks_confirmed_;
  chunks_.erase(id);
  control_.send(ChunkOkMsg{r});
}

void TransferReceiver::advance_hash(bool all) {
  // In order over the confirmed prefix, while the bytes are likely still in the page cache.
  uint64_t budget = all ? UINT64_MAX : kHashBudget;
  uint64_t end = confirmed_.first_gap(0);
  if (end == 0 || !confirmed_.contains({0, end})) end = 0;
  while (hashed_ < end && budget > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>({end - hashed_, buf_.size(), budget}));
    auto n = sink_->read_at(hashed_, std::span(buf_).first(want));
    if (!n || *n == 0) return;   // reported at completion (the digest will not match)
    e2e_.update(std::span(buf_).first(*n));
    hashed_ += *n;
    budget -= std::min<uint64_t>(budget, *n);
  }
}

void TransferReceiver::maybe_complete(TimePoint now, Transport& t) {
  if (!finish_ || !chunks_.empty() || !receiving_.empty()) return;
  // The sender finishes only after every CHUNK_OK, so everything must be here by now.
  if (!confirmed_.contains({0, finish_->size})) {
    fail(now, t, TransferErrorCode::kProtocol, "FINISH before every chunk arrived");
    return;
  }
  if (confirmed_.bytes() != finish_->size) {
    fail(now, t, TransferErrorCode::kSizeMismatch, "chunks arrived beyond the final size");
    return;
  }
  advance_hash(true);
  if (hashed_ != finish_->size || e2e_.finish() != finish_->digest) {
    fail(now, t, TransferErrorCode::kChecksumMismatch, "the transfer does not match its SHA-256");
    return;
  }
  if (auto ok = sink_->commit(finish_->size); !ok) {
    fail(now, t, ok.error().code, ok.error().message);
    return;
  }
  control_.send(DoneMsg{});
  state_ = State::kDone;
  control_.finish(t);
}

TransferMetrics TransferReceiver::metrics(TimePoint now) const {
  TransferMetrics m;
  m.total_bytes = offer_ && offer_->size ? *offer_->size : (finish_ ? finish_->size : 0);
  m.confirmed_bytes = confirmed_.bytes();
  m.resumed_bytes = resumed_bytes_;
  m.bytes_received = bytes_received_;
  m.active_streams = static_cast<uint32_t>(chunks_.size());
  m.total_streams = total_streams_;
  m.chunks_confirmed = chunks_confirmed_;
  if (start_ != kNever && now > start_) {
    double secs = std::chrono::duration<double>(now - start_).count();
    m.throughput_bits_per_second = 8.0 * static_cast<double>(m.confirmed_bytes - resumed_bytes_) / secs;
  }
  m.complete = state_ == State::kDone;
  return m;
}

}  // namespace braid::transfer

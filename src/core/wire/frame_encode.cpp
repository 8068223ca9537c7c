// Frame encoding: the generic encoder, size computation, the budgeted ACK writer and the
// STREAM/CRYPTO header helpers of the send path. Sizes come from the same code that writes,
// run against a counting sink, so encoded_size() and encode_frame() cannot disagree.
#include <algorithm>

#include "core/wire/frame_codec.h"

namespace braid::wire {
namespace {

// Mirrors the Writer interface but only counts; never runs out of room.
class SizeCounter {
 public:
  size_t size() const { return n_; }
  bool ok() const { return ok_; }
  bool mark_failed() { return ok_ = false; }
  bool write_u8(uint8_t) { n_ += 1; return true; }
  bool write_uint(uint64_t, size_t n) { n_ += n; return true; }
  bool write_varint(uint64_t v, size_t len = 0) {
    if (v > kVarintMax || (len && len < varint_size(v))) return ok_ = false;
    n_ += len ? len : varint_size(v);
    return true;
  }
  bool write_bytes(std::span<const uint8_t> b) { n_ += b.size(); return true; }
  bool write_zeros(size_t n) { n_ += n; return true; }

 private:
  size_t n_ = 0;
  bool ok_ = true;
};

// Ranges must be descending and separated by at least one missing packet: adjacent ranges
// would need a gap of -1, which the wire format cannot express.
bool ack_ranges_valid(const std::vector<AckRange>& ranges) {
  if (ranges.empty()) return false;
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (ranges[i].smallest > ranges[i].largest || ranges[i].largest > kVarintMax) return false;
    if (i > 0 && ranges[i].largest + 2 > ranges[i - 1].smallest) return false;
  }
  return true;
}

uint64_t ack_type(const AckFrame& a) {
  if (a.path_id) return uint64_t(a.ecn ? FrameType::kPathAckEcn : FrameType::kPathAck);
  return uint64_t(a.ecn ? FrameType::kAckEcn : FrameType::kAck);
}

// Writes the ACK with its first `n` ranges (n >= 1; caller validated the ranges).
template <typename W>
bool write_ack(W& w, const AckFrame& a, size_t n) {
  w.write_varint(ack_type(a));
  if (a.path_id) w.write_varint(*a.path_id);
  w.write_varint(a.ranges[0].largest);
  w.write_varint(a.ack_delay);
  w.write_varint(n - 1);
  w.write_varint(a.ranges[0].largest - a.ranges[0].smallest);
  for (size_t i = 1; i < n; ++i) {
    w.write_varint(a.ranges[i - 1].smallest - a.ranges[i].largest - 2);
    w.write_varint(a.ranges[i].largest - a.ranges[i].smallest);
  }
  if (a.ecn) {
    w.write_varint(a.ecn->ect0);
    w.write_varint(a.ecn->ect1);
    w.write_varint(a.ecn->ce);
  }
  return w.ok();
}

template <typename W>
bool write_stream_header(W& w, StreamId id, uint64_t offset, size_t data_len, bool fin,
                         bool with_length) {
  if (offset > kVarintMax || data_len > kVarintMax - offset) return w.mark_failed();
  uint64_t type = uint64_t(FrameType::kStream) | (offset ? 0x04 : 0) | (with_length ? 0x02 : 0) |
                  (fin ? 0x01 : 0);
  w.write_varint(type);
  w.write_varint(id);
  if (offset) w.write_varint(offset);
  if (with_length) w.write_varint(data_len);
  return w.ok();
}

template <typename W>
bool write_crypto_header(W& w, uint64_t offset, size_t data_len) {
  if (offset > kVarintMax || data_len > kVarintMax - offset) return w.mark_failed();
  w.write_varint(uint64_t(FrameType::kCrypto));
  w.write_varint(offset);
  w.write_varint(data_len);
  return w.ok();
}

template <typename W>
struct FrameWriter {
  W& w;

  bool type(FrameType t) { return w.write_varint(uint64_t(t)); }

  bool operator()(const PaddingFrame& f) { return f.length ? w.write_zeros(f.length) : w.mark_failed(); }
  bool operator()(const PingFrame&) { return type(FrameType::kPing); }
  bool operator()(const AckFrame& f) {
    if (!ack_ranges_valid(f.ranges)) return w.mark_failed();
    return write_ack(w, f, f.ranges.size());
  }
  bool operator()(const ResetStreamFrame& f) {
    type(FrameType::kResetStream);
    w.write_varint(f.stream_id);
    w.write_varint(f.error_code);
    return w.write_varint(f.final_size);
  }
  bool operator()(const StopSendingFrame& f) {
    type(FrameType::kStopSending);
    w.write_varint(f.stream_id);
    return w.write_varint(f.error_code);
  }
  bool operator()(const CryptoFrame& f) {
    write_crypto_header(w, f.offset, f.data.size());
    return w.write_bytes(f.data);
  }
  bool operator()(const NewTokenFrame& f) {
    if (f.token.empty()) return w.mark_failed();
    type(FrameType::kNewToken);
    w.write_varint(f.token.size());
    return w.write_bytes(f.token);
  }
  bool operator()(const StreamFrame& f) {
    write_stream_header(w, f.stream_id, f.offset, f.data.size(), f.fin, true);
    return w.write_bytes(f.data);
  }
  bool operator()(const MaxDataFrame& f) {
    type(FrameType::kMaxData);
    return w.write_varint(f.maximum);
  }
  bool operator()(const MaxStreamDataFrame& f) {
    type(FrameType::kMaxStreamData);
    w.write_varint(f.stream_id);
    return w.write_varint(f.maximum);
  }
  bool operator()(const MaxStreamsFrame& f) {
    if (f.maximum > (uint64_t{1} << 60)) return w.mark_failed();
    type(f.bidi ? FrameType::kMaxStreamsBidi : FrameType::kMaxStreamsUni);
    return w.write_varint(f.maximum);
  }
  bool operator()(const DataBlockedFrame& f) {
    type(FrameType::kDataBlocked);
    return w.write_varint(f.limit);
  }
  bool operator()(const StreamDataBlockedFrame& f) {
    type(FrameType::kStreamDataBlocked);
    w.write_varint(f.stream_id);
    return w.write_varint(f.limit);
  }
  bool operator()(const StreamsBlockedFrame& f) {
    if (f.limit > (uint64_t{1} << 60)) return w.mark_failed();
    type(f.bidi ? FrameType::kStreamsBlockedBidi : FrameType::kStreamsBlockedUni);
    return w.write_varint(f.limit);
  }
  bool operator()(const NewConnectionIdFrame& f) {
    if (f.cid.empty() || f.retire_prior_to > f.sequence) return w.mark_failed();
    if (f.path_id) {
      type(FrameType::kPathNewConnectionId);
      w.write_varint(*f.path_id);
    } else {
      type(FrameType::kNewConnectionId);
    }
    w.write_varint(f.sequence);
    w.write_varint(f.retire_prior_to);
    w.write_u8(static_cast<uint8_t>(f.cid.size()));
    w.write_bytes(f.cid.span());
    return w.write_bytes(f.reset_token);
  }
  bool operator()(const RetireConnectionIdFrame& f) {
    if (f.path_id) {
      type(FrameType::kPathRetireConnectionId);
      w.write_varint(*f.path_id);
    } else {
      type(FrameType::kRetireConnectionId);
    }
    return w.write_varint(f.sequence);
  }
  bool operator()(const PathChallengeFrame& f) {
    type(FrameType::kPathChallenge);
    return w.write_bytes(f.data);
  }
  bool operator()(const PathResponseFrame& f) {
    type(FrameType::kPathResponse);
    return w.write_bytes(f.data);
  }
  bool operator()(const ConnectionCloseFrame& f) {
    type(f.application ? FrameType::kConnectionCloseApplication
                       : FrameType::kConnectionCloseTransport);
    w.write_varint(f.error_code);
    if (!f.application) w.write_varint(f.frame_type);
    w.write_varint(f.reason.size());
    return w.write_bytes(f.reason);
  }
  bool operator()(const HandshakeDoneFrame&) { return type(FrameType::kHandshakeDone); }
  bool operator()(const DatagramFrame& f) {
    type(f.has_length ? FrameType::kDatagramWithLen : FrameType::kDatagram);
    if (f.has_length) w.write_varint(f.data.size());
    return w.write_bytes(f.data);
  }
  bool operator()(const PathAbandonFrame& f) {
    type(FrameType::kPathAbandon);
    w.write_varint(f.path_id);
    return w.write_varint(f.error_code);
  }
  bool operator()(const PathStatusFrame& f) {
    type(f.available ? FrameType::kPathStatusAvailable : FrameType::kPathStatusBackup);
    w.write_varint(f.path_id);
    return w.write_varint(f.sequence);
  }
  bool operator()(const MaxPathIdFrame& f) {
    type(FrameType::kMaxPathId);
    return w.write_varint(f.maximum);
  }
  bool operator()(const PathsBlockedFrame& f) {
    type(FrameType::kPathsBlocked);
    return w.write_varint(f.maximum);
  }
  bool operator()(const PathCidsBlockedFrame& f) {
    type(FrameType::kPathCidsBlocked);
    w.write_varint(f.path_id);
    return w.write_varint(f.next_sequence);
  }
  bool operator()(const AdvertiseAddressFrame& f) {
    type(FrameType::kAdvertiseAddress);
    w.write_varint(f.sequence);
    bool v6 = f.address.family == SocketAddress::Family::kV6;
    w.write_u8(v6 ? 6 : 4);
    w.write_bytes(std::span(f.address.ip.data(), v6 ? 16 : 4));
    return w.write_uint(f.address.port, 2);
  }
  bool operator()(const AckFrequencyFrame& f) {
    type(FrameType::kAckFrequency);
    w.write_varint(f.sequence);
    w.write_varint(f.ack_eliciting_threshold);
    w.write_varint(f.requested_max_ack_delay_us);
    return w.write_varint(f.reordering_threshold);
  }
  bool operator()(const ImmediateAckFrame&) { return type(FrameType::kImmediateAck); }
};

// Largest n such that a field of n data bytes plus its own varint length field fits in
// `space` (the length field shrinks as n does).
size_t fit_with_length_field(size_t space) {
  constexpr size_t kFieldLen[] = {1, 2, 4, 8};
  constexpr uint64_t kFieldMax[] = {63, 16383, 1073741823, kVarintMax};
  size_t best = 0;
  for (size_t i = 0; i < 4 && space > kFieldLen[i]; ++i)
    best = std::max<size_t>(best, std::min<uint64_t>(space - kFieldLen[i], kFieldMax[i]));
  return best;
}

}  // namespace

bool encode_frame(Writer& w, const Frame& f) {
  size_t start = w.size();
  FrameWriter<Writer> fw{w};
  // Some visitors write several fields and only report the last; w.ok() is sticky.
  if (!std::visit(fw, f) || !w.ok()) {
    w.truncate(start);  // never leave half a frame in the packet
    return w.mark_failed();
  }
  return true;
}

size_t encoded_size(const Frame& f) {
  SizeCounter c;
  FrameWriter<SizeCounter> fw{c};
  if (!std::visit(fw, f) || !c.ok()) return 0;
  return c.size();
}

size_t stream_frame_header_size(StreamId id, uint64_t offset, size_t data_len, bool with_length) {
  SizeCounter c;
  write_stream_header(c, id, offset, data_len, false, with_length);
  return c.ok() ? c.size() : 0;
}

bool encode_stream_frame_header(Writer& w, StreamId id, uint64_t offset, size_t data_len, bool fin,
                                bool with_length) {
  size_t start = w.size();
  if (!write_stream_header(w, id, offset, data_len, fin, with_length)) {
    w.truncate(start);
    return false;
  }
  return true;
}

size_t stream_frame_max_data(StreamId id, uint64_t offset, size_t space, bool with_length) {
  size_t fixed = stream_frame_header_size(id, offset, 0, false);
  if (fixed == 0 || space <= fixed) return 0;
  size_t rest = space - fixed;
  size_t n = with_length ? fit_with_length_field(rest) : rest;
  return std::min<uint64_t>(n, kVarintMax - offset);
}

size_t crypto_frame_header_size(uint64_t offset, size_t data_len) {
  SizeCounter c;
  write_crypto_header(c, offset, data_len);
  return c.ok() ? c.size() : 0;
}

bool encode_crypto_frame_header(Writer& w, uint64_t offset, size_t data_len) {
  size_t start = w.size();
  if (!write_crypto_header(w, offset, data_len)) {
    w.truncate(start);
    return false;
  }
  return true;
}

size_t crypto_frame_max_data(uint64_t offset, size_t space) {
  if (offset > kVarintMax) return 0;
  size_t fixed = crypto_frame_header_size(offset, 0) - 1;  // minus the 1-byte zero length
  if (space <= fixed) return 0;
  return std::min<uint64_t>(fit_with_length_field(space - fixed), kVarintMax - offset);
}

bool encode_ack_frame(Writer& w, const AckFrame& ack, size_t max_bytes) {
  if (!ack_ranges_valid(ack.ranges)) return w.mark_failed();
  size_t budget = std::min(max_bytes, w.remaining());
  // Fixed part: everything but the range count and the additional ranges.
  SizeCounter fixed;
  write_ack(fixed, ack, 1);
  size_t total = fixed.size() - 1;  // write_ack counted a 1-byte range count
  size_t n = 1;
  if (total + varint_size(0) > budget) return false;
  // Grow while the next range (and a possibly longer count field) still fits.
  while (n < ack.ranges.size()) {
    size_t range_bytes = varint_size(ack.ranges[n - 1].smallest - ack.ranges[n].largest - 2) +
                         varint_size(ack.ranges[n].largest - ack.ranges[n].smallest);
    if (total + range_bytes + varint_size(n) > budget) break;
    total += range_bytes;
    ++n;
  }
  return write_ack(w, ack, n);
}

}  // namespace braid::wire

// Bounds-checked decoding of every frame in frame.h. Every field read can fail, and every
// failure becomes a TransportError tagged with the frame type; peer bytes never abort.
// Payload spans point into the reader's buffer (zero-copy).
#include <algorithm>
#include <cstring>
#include <limits>

#include "core/wire/frame_codec.h"

namespace braid::wire {
namespace {

using Code = TransportErrorCode;

// RFC 9000 §4.6 / §19.11: a stream count above 2^60 would allow stream IDs that cannot be
// encoded.
constexpr uint64_t kMaxStreamCount = uint64_t{1} << 60;

std::unexpected<TransportError> truncated(uint64_t type) {
  return fail(Code::kFrameEncodingError, "truncated frame", type);
}

// Path IDs are 32-bit because they feed the AEAD nonce (multipath §2.1); a larger value
// exceeds any maximum path ID an endpoint can announce, which §8 makes PROTOCOL_VIOLATION.
Result<PathId> read_path_id(Reader& r, uint64_t type) {
  uint64_t v;
  if (!r.read_varint(v)) return truncated(type);
  if (v > std::numeric_limits<PathId>::max())
    return fail(Code::kProtocolViolation, "path identifier exceeds 2^32-1", type);
  return static_cast<PathId>(v);
}

Result<Frame> decode_ack(Reader& r, uint64_t type) {
  AckFrame ack;
  if (type == uint64_t(FrameType::kPathAck) || type == uint64_t(FrameType::kPathAckEcn)) {
    auto path = read_path_id(r, type);
    if (!path) return std::unexpected(path.error());
    ack.path_id = *path;
  }
  uint64_t largest, range_count, first_range;
  if (!r.read_varint(largest) || !r.read_varint(ack.ack_delay) || !r.read_varint(range_count) ||
      !r.read_varint(first_range))
    return truncated(type);
  if (first_range > largest)
    return fail(Code::kFrameEncodingError, "ACK first range below packet number 0", type);
  uint64_t smallest = largest - first_range;
  ack.ranges.push_back({smallest, largest});
  // Each further range takes at least two bytes, so a huge count cannot make us allocate
  // more than the input could describe.
  ack.ranges.reserve(1 + std::min<uint64_t>(range_count, r.remaining() / 2));
  for (uint64_t i = 0; i < range_count; ++i) {
    uint64_t gap, length;
    if (!r.read_varint(gap) || !r.read_varint(length)) return truncated(type);
    // §19.3.1: the next largest is smallest - gap - 2; it and the range must stay >= 0.
    if (gap + 2 > smallest)
      return fail(Code::kFrameEncodingError, "ACK gap below packet number 0", type);
    uint64_t next_largest = smallest - gap - 2;
    if (length > next_largest)
      return fail(Code::kFrameEncodingError, "ACK range below packet number 0", type);
    smallest = next_largest - length;
    ack.ranges.push_back({smallest, next_largest});
  }
  if (type == uint64_t(FrameType::kAckEcn) || type == uint64_t(FrameType::kPathAckEcn)) {
    EcnCounts ecn;
    if (!r.read_varint(ecn.ect0) || !r.read_varint(ecn.ect1) || !r.read_varint(ecn.ce))
      return truncated(type);
    ack.ecn = ecn;
  }
  return ack;
}

Result<Frame> decode_stream(Reader& r, uint64_t type) {
  StreamFrame f{};
  f.fin = (type & 0x01) != 0;
  f.offset = 0;
  if (!r.read_varint(f.stream_id)) return truncated(type);
  if ((type & 0x04) && !r.read_varint(f.offset)) return truncated(type);
  uint64_t length = r.remaining();  // no LEN bit: data runs to the end of the packet
  if ((type & 0x02) && !r.read_varint(length)) return truncated(type);
  if (!r.read_bytes(length, f.data)) return truncated(type);
  if (f.offset + length > kVarintMax)
    return fail(Code::kFrameEncodingError, "STREAM offset + length exceeds 2^62-1", type);
  return f;
}

Result<Frame> decode_new_connection_id(Reader& r, uint64_t type) {
  NewConnectionIdFrame f{};
  if (type == uint64_t(FrameType::kPathNewConnectionId)) {
    auto path = read_path_id(r, type);
    if (!path) return std::unexpected(path.error());
    f.path_id = *path;
  }
  uint8_t len;
  std::span<const uint8_t> cid, token;
  if (!r.read_varint(f.sequence) || !r.read_varint(f.retire_prior_to) || !r.read_u8(len))
    return truncated(type);
  if (len == 0 || len > ConnectionId::kMaxLen)
    return fail(Code::kFrameEncodingError, "connection ID length outside 1..20", type);
  if (!r.read_bytes(len, cid) || !r.read_bytes(f.reset_token.size(), token)) return truncated(type);
  if (f.retire_prior_to > f.sequence)
    return fail(Code::kFrameEncodingError, "Retire Prior To exceeds Sequence Number", type);
  f.cid = ConnectionId(cid);
  std::memcpy(f.reset_token.data(), token.data(), token.size());
  return f;
}

Result<Frame> decode_connection_close(Reader& r, uint64_t type) {
  ConnectionCloseFrame f{};
  f.application = type == uint64_t(FrameType::kConnectionCloseApplication);
  f.frame_type = 0;
  uint64_t reason_len;
  if (!r.read_varint(f.error_code)) return truncated(type);
  if (!f.application && !r.read_varint(f.frame_type)) return truncated(type);
  if (!r.read_varint(reason_len) || !r.read_bytes(reason_len, f.reason)) return truncated(type);
  return f;
}

template <typename F>
Result<Frame> decode_eight_bytes(Reader& r, uint64_t type) {
  F f{};
  std::span<const uint8_t> data;
  if (!r.read_bytes(f.data.size(), data)) return truncated(type);
  std::memcpy(f.data.data(), data.data(), data.size());
  return f;
}

// Frames made of a stream ID and one more varint (MAX_STREAM_DATA, STREAM_DATA_BLOCKED,
// STOP_SENDING).
template <typename F>
Result<Frame> decode_id_and_value(Reader& r, uint64_t type) {
  uint64_t a, b;
  if (!r.read_varint(a) || !r.read_varint(b)) return truncated(type);
  return F{a, b};
}

Result<Frame> decode_stream_count(Reader& r, uint64_t type, bool max_streams) {
  uint64_t v;
  if (!r.read_varint(v)) return truncated(type);
  if (v > kMaxStreamCount)
    return fail(Code::kFrameEncodingError, "stream count exceeds 2^60", type);
  bool bidi = (type & 1) == 0;
  if (max_streams) return MaxStreamsFrame{bidi, v};
  return StreamsBlockedFrame{bidi, v};
}

Result<Frame> decode_multipath(Reader& r, uint64_t type) {
  auto path = read_path_id(r, type);
  if (!path) return std::unexpected(path.error());
  uint64_t v = 0;
  switch (static_cast<FrameType>(type)) {
    case FrameType::kMaxPathId: return MaxPathIdFrame{*path};
    case FrameType::kPathsBlocked: return PathsBlockedFrame{*path};
    case FrameType::kPathRetireConnectionId:
      if (!r.read_varint(v)) return truncated(type);
      return RetireConnectionIdFrame{*path, v};
    case FrameType::kPathAbandon:
      if (!r.read_varint(v)) return truncated(type);
      return PathAbandonFrame{*path, v};
    case FrameType::kPathStatusBackup:
    case FrameType::kPathStatusAvailable:
      if (!r.read_varint(v)) return truncated(type);
      return PathStatusFrame{*path, v, type == uint64_t(FrameType::kPathStatusAvailable)};
    case FrameType::kPathCidsBlocked:
      if (!r.read_varint(v)) return truncated(type);
      return PathCidsBlockedFrame{*path, v};
    default: break;
  }
  return fail(Code::kFrameEncodingError, "unknown frame type", type);
}

Result<Frame> decode_advertise_address(Reader& r, uint64_t type) {
  AdvertiseAddressFrame f{};
  uint8_t version;
  if (!r.read_varint(f.sequence) || !r.read_u8(version)) return truncated(type);
  if (version != 4 && version != 6)
    return fail(Code::kFrameEncodingError, "ADVERTISE_ADDRESS IP version neither 4 nor 6", type);
  std::span<const uint8_t> ip;
  f.address.family = version == 4 ? SocketAddress::Family::kV4 : SocketAddress::Family::kV6;
  if (!r.read_bytes(version == 4 ? 4 : 16, ip) || !r.read_u16(f.address.port)) return truncated(type);
  std::memcpy(f.address.ip.data(), ip.data(), ip.size());
  return f;
}

}  // namespace

Result<Frame> decode_frame(Reader& r, uint64_t* frame_type_out) {
  size_t start = r.position();
  uint64_t type;
  if (!r.read_varint(type)) return fail(Code::kFrameEncodingError, "truncated frame type");
  if (frame_type_out) *frame_type_out = type;
  // §12.4: frame types use their shortest encoding; an endpoint MAY close with
  // PROTOCOL_VIOLATION otherwise, and we do so that no two encodings mean the same frame.
  if (r.position() - start != varint_size(type))
    return fail(Code::kProtocolViolation, "frame type not minimally encoded", type);

  if (type >= uint64_t(FrameType::kStream) && type <= uint64_t(FrameType::kStreamMax))
    return decode_stream(r, type);

  switch (static_cast<FrameType>(type)) {
    case FrameType::kPadding: {
      size_t n = 1;
      uint8_t b;
      while (r.peek_u8(b) && b == 0) {
        r.skip(1);
        ++n;
      }
      return PaddingFrame{n};
    }
    case FrameType::kPing: return PingFrame{};
    case FrameType::kAck:
    case FrameType::kAckEcn:
    case FrameType::kPathAck:
    case FrameType::kPathAckEcn: return decode_ack(r, type);
    case FrameType::kResetStream: {
      ResetStreamFrame f{};
      if (!r.read_varint(f.stream_id) || !r.read_varint(f.error_code) ||
          !r.read_varint(f.final_size))
        return truncated(type);
      return f;
    }
    case FrameType::kStopSending: return decode_id_and_value<StopSendingFrame>(r, type);
    case FrameType::kCrypto: {
      CryptoFrame f{};
      uint64_t length;
      if (!r.read_varint(f.offset) || !r.read_varint(length) || !r.read_bytes(length, f.data))
        return truncated(type);
      if (f.offset + length > kVarintMax)
        return fail(Code::kFrameEncodingError, "CRYPTO offset + length exceeds 2^62-1", type);
      return f;
    }
    case FrameType::kNewToken: {
      NewTokenFrame f{};
      uint64_t length;
      if (!r.read_varint(length) || !r.read_bytes(length, f.token)) return truncated(type);
      if (f.token.empty()) return fail(Code::kFrameEncodingError, "empty NEW_TOKEN", type);
      return f;
    }
    case FrameType::kMaxData: {
      uint64_t v;
      if (!r.read_varint(v)) return truncated(type);
      return MaxDataFrame{v};
    }
    case FrameType::kMaxStreamData: return decode_id_and_value<MaxStreamDataFrame>(r, type);
    case FrameType::kMaxStreamsBidi:
    case FrameType::kMaxStreamsUni: return decode_stream_count(r, type, true);
    case FrameType::kDataBlocked: {
      uint64_t v;
      if (!r.read_varint(v)) return truncated(type);
      return DataBlockedFrame{v};
    }
    case FrameType::kStreamDataBlocked:
      return decode_id_and_value<StreamDataBlockedFrame>(r, type);
    case FrameType::kStreamsBlockedBidi:
    case FrameType::kStreamsBlockedUni: return decode_stream_count(r, type, false);
    case FrameType::kNewConnectionId:
    case FrameType::kPathNewConnectionId: return decode_new_connection_id(r, type);
    case FrameType::kRetireConnectionId: {
      uint64_t v;
      if (!r.read_varint(v)) return truncated(type);
      return RetireConnectionIdFrame{std::nullopt, v};
    }
    case FrameType::kPathChallenge: return decode_eight_bytes<PathChallengeFrame>(r, type);
    case FrameType::kPathResponse: return decode_eight_bytes<PathResponseFrame>(r, type);
    case FrameType::kConnectionCloseTransport:
    case FrameType::kConnectionCloseApplication: return decode_connection_close(r, type);
    case FrameType::kHandshakeDone: return HandshakeDoneFrame{};
    case FrameType::kDatagram: {
      DatagramFrame f{};
      r.read_bytes(r.remaining(), f.data);
      f.has_length = false;
      return f;
    }
    case FrameType::kDatagramWithLen: {
      DatagramFrame f{};
      uint64_t length;
      if (!r.read_varint(length) || !r.read_bytes(length, f.data)) return truncated(type);
      f.has_length = true;
      return f;
    }
    case FrameType::kPathAbandon:
    case FrameType::kPathStatusBackup:
    case FrameType::kPathStatusAvailable:
    case FrameType::kPathRetireConnectionId:
    case FrameType::kMaxPathId:
    case FrameType::kPathsBlocked:
    case FrameType::kPathCidsBlocked: return decode_multipath(r, type);
    case FrameType::kAdvertiseAddress: return decode_advertise_address(r, type);
    case FrameType::kAckFrequency: {
      AckFrequencyFrame f;
      if (!r.read_varint(f.sequence) || !r.read_varint(f.ack_eliciting_threshold) ||
          !r.read_varint(f.requested_max_ack_delay_us) || !r.read_varint(f.reordering_threshold))
        return truncated(type);
      return f;
    }
    case FrameType::kImmediateAck: return ImmediateAckFrame{};
    default: break;
  }
  return fail(Code::kFrameEncodingError, "unknown frame type", type);
}

}  // namespace braid::wire

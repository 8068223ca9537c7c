// Per-frame-type rules that sit beside the codec: which packet types may carry a frame
// (RFC 9000 §12.4 Table 3, RFC 9221 §4, multipath §8), which frames elicit ACKs, and the
// wire type of a decoded frame.
#include "core/wire/frame_codec.h"

namespace braid::wire {
namespace {

struct TypeOf {
  uint64_t operator()(const PaddingFrame&) const { return uint64_t(FrameType::kPadding); }
  uint64_t operator()(const PingFrame&) const { return uint64_t(FrameType::kPing); }
  uint64_t operator()(const AckFrame& f) const {
    if (f.path_id) return uint64_t(f.ecn ? FrameType::kPathAckEcn : FrameType::kPathAck);
    return uint64_t(f.ecn ? FrameType::kAckEcn : FrameType::kAck);
  }
  uint64_t operator()(const ResetStreamFrame&) const { return uint64_t(FrameType::kResetStream); }
  uint64_t operator()(const StopSendingFrame&) const { return uint64_t(FrameType::kStopSending); }
  uint64_t operator()(const CryptoFrame&) const { return uint64_t(FrameType::kCrypto); }
  uint64_t operator()(const NewTokenFrame&) const { return uint64_t(FrameType::kNewToken); }
  // encode_frame always writes STREAM with an explicit length (see frame_codec.h).
  uint64_t operator()(const StreamFrame& f) const {
    return uint64_t(FrameType::kStream) | (f.offset ? 0x04 : 0) | 0x02 | (f.fin ? 0x01 : 0);
  }
  uint64_t operator()(const MaxDataFrame&) const { return uint64_t(FrameType::kMaxData); }
  uint64_t operator()(const MaxStreamDataFrame&) const {
    return uint64_t(FrameType::kMaxStreamData);
  }
  uint64_t operator()(const MaxStreamsFrame& f) const {
    return uint64_t(f.bidi ? FrameType::kMaxStreamsBidi : FrameType::kMaxStreamsUni);
  }
  uint64_t operator()(const DataBlockedFrame&) const { return uint64_t(FrameType::kDataBlocked); }
  uint64_t operator()(const StreamDataBlockedFrame&) const {
    return uint64_t(FrameType::kStreamDataBlocked);
  }
  uint64_t operator()(const StreamsBlockedFrame& f) const {
    return uint64_t(f.bidi ? FrameType::kStreamsBlockedBidi : FrameType::kStreamsBlockedUni);
  }
  uint64_t operator()(const NewConnectionIdFrame& f) const {
    return uint64_t(f.path_id ? FrameType::kPathNewConnectionId : FrameType::kNewConnectionId);
  }
  uint64_t operator()(const RetireConnectionIdFrame& f) const {
    return uint64_t(f.path_id ? FrameType::kPathRetireConnectionId
                              : FrameType::kRetireConnectionId);
  }
  uint64_t operator()(const PathChallengeFrame&) const {
    return uint64_t(FrameType::kPathChallenge);
  }
  uint64_t operator()(const PathResponseFrame&) const { return uint64_t(FrameType::kPathResponse); }
  uint64_t operator()(const ConnectionCloseFrame& f) const {
    return uint64_t(f.application ? FrameType::kConnectionCloseApplication
                                  : FrameType::kConnectionCloseTransport);
  }
  uint64_t operator()(const HandshakeDoneFrame&) const {
    return uint64_t(FrameType::kHandshakeDone);
  }
  uint64_t operator()(const DatagramFrame& f) const {
    return uint64_t(f.has_length ? FrameType::kDatagramWithLen : FrameType::kDatagram);
  }
  uint64_t operator()(const PathAbandonFrame&) const { return uint64_t(FrameType::kPathAbandon); }
  uint64_t operator()(const PathStatusFrame& f) const {
    return uint64_t(f.available ? FrameType::kPathStatusAvailable : FrameType::kPathStatusBackup);
  }
  uint64_t operator()(const MaxPathIdFrame&) const { return uint64_t(FrameType::kMaxPathId); }
  uint64_t operator()(const PathsBlockedFrame&) const { return uint64_t(FrameType::kPathsBlocked); }
  uint64_t operator()(const PathCidsBlockedFrame&) const {
    return uint64_t(FrameType::kPathCidsBlocked);
  }
  uint64_t operator()(const AdvertiseAddressFrame&) const {
    return uint64_t(FrameType::kAdvertiseAddress);
  }
  uint64_t operator()(const AckFrequencyFrame&) const { return uint64_t(FrameType::kAckFrequency); }
  uint64_t operator()(const ImmediateAckFrame&) const { return uint64_t(FrameType::kImmediateAck); }
};

// Table 3's "Pkts" column as a bit set per packet kind.
enum : uint8_t { kI = 1 << 0, k0 = 1 << 1, kH = 1 << 2, k1 = 1 << 3 };

uint8_t allowed_mask(uint64_t type) {
  if (type >= uint64_t(FrameType::kStream) && type <= uint64_t(FrameType::kStreamMax))
    return k0 | k1;
  switch (static_cast<FrameType>(type)) {
    case FrameType::kPadding:
    case FrameType::kPing:
    case FrameType::kConnectionCloseTransport: return kI | kH | k0 | k1;
    case FrameType::kAck:
    case FrameType::kAckEcn:
    case FrameType::kCrypto: return kI | kH | k1;
    case FrameType::kResetStream:
    case FrameType::kStopSending:
    case FrameType::kMaxData:
    case FrameType::kMaxStreamData:
    case FrameType::kMaxStreamsBidi:
    case FrameType::kMaxStreamsUni:
    case FrameType::kDataBlocked:
    case FrameType::kStreamDataBlocked:
    case FrameType::kStreamsBlockedBidi:
    case FrameType::kStreamsBlockedUni:
    case FrameType::kNewConnectionId:
    case FrameType::kRetireConnectionId:
    case FrameType::kPathChallenge:
    case FrameType::kConnectionCloseApplication:
    case FrameType::kDatagram:
    case FrameType::kDatagramWithLen: return k0 | k1;
    case FrameType::kNewToken:
    case FrameType::kPathResponse:
    case FrameType::kHandshakeDone:
    // Multipath §8: "All frames defined in this document MUST only be sent in 1-RTT packets."
    case FrameType::kPathAck:
    case FrameType::kPathAckEcn:
    case FrameType::kPathAbandon:
    case FrameType::kPathStatusBackup:
    case FrameType::kPathStatusAvailable:
    case FrameType::kPathNewConnectionId:
    case FrameType::kPathRetireConnectionId:
    case FrameType::kMaxPathId:
    case FrameType::kPathsBlocked:
    case FrameType::kPathCidsBlocked:
    // Address advertisement: after the handshake, like the multipath frames.
    case FrameType::kAdvertiseAddress:
    // Ack frequency §3: neither frame in 0-RTT (min_ack_delay is not remembered).
    case FrameType::kAckFrequency:
    case FrameType::kImmediateAck: return k1;
    default: return 0;
  }
}

}  // namespace

uint64_t frame_type_of(const Frame& f) { return std::visit(TypeOf{}, f); }

bool frame_allowed_in(uint64_t frame_type, PacketKind kind) {
  uint8_t bit = kind == PacketKind::kInitial   ? kI
                : kind == PacketKind::kZeroRtt ? k0
                : kind == PacketKind::kHandshake ? kH
                                                 : k1;
  return (allowed_mask(frame_type) & bit) != 0;
}

bool frame_is_ack_eliciting(uint64_t frame_type) {
  switch (static_cast<FrameType>(frame_type)) {
    case FrameType::kPadding:
    case FrameType::kAck:
    case FrameType::kAckEcn:
    case FrameType::kPathAck:
    case FrameType::kPathAckEcn:
    case FrameType::kConnectionCloseTransport:
    case FrameType::kConnectionCloseApplication: return false;
    default: return true;
  }
}

}  // namespace braid::wire

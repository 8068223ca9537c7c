// Decoded QUIC frames as plain values. Byte payloads (STREAM, CRYPTO, DATAGRAM data, tokens,
// reasons) are views into the packet they were decoded from: valid only while it lives.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "braid/address.h"
#include "braid/types.h"
#include "core/wire/frame_types.h"

namespace braid::wire {

struct AckRange {
  uint64_t smallest;
  uint64_t largest;  // inclusive
  bool operator==(const AckRange&) const = default;
};

struct EcnCounts {
  uint64_t ect0 = 0, ect1 = 0, ce = 0;
  bool operator==(const EcnCounts&) const = default;
};

// ACK and PATH_ACK. `ranges` are disjoint, in descending order; ranges[0].largest is the
// Largest Acknowledged. ack_delay is the raw encoded value (scale by the exponent).
struct AckFrame {
  std::optional<PathId> path_id;  // set: PATH_ACK / PATH_ACK_ECN
  uint64_t ack_delay = 0;
  std::vector<AckRange> ranges;
  std::optional<EcnCounts> ecn;
  uint64_t largest() const { return ranges.empty() ? 0 : ranges.front().largest; }
};

struct PaddingFrame { size_t length = 1; };
struct PingFrame {};
struct ResetStreamFrame { StreamId stream_id; uint64_t error_code; uint64_t final_size; };
struct StopSendingFrame { StreamId stream_id; uint64_t error_code; };
struct CryptoFrame { uint64_t offset; std::span<const uint8_t> data; };
struct NewTokenFrame { std::span<const uint8_t> token; };
struct StreamFrame {
  StreamId stream_id;
  uint64_t offset;
  std::span<const uint8_t> data;
  bool fin;
};
struct MaxDataFrame { uint64_t maximum; };
struct MaxStreamDataFrame { StreamId stream_id; uint64_t maximum; };
struct MaxStreamsFrame { bool bidi; uint64_t maximum; };
struct DataBlockedFrame { uint64_t limit; };
struct StreamDataBlockedFrame { StreamId stream_id; uint64_t limit; };
struct StreamsBlockedFrame { bool bidi; uint64_t limit; };
// NEW_CONNECTION_ID and PATH_NEW_CONNECTION_ID (path_id set).
struct NewConnectionIdFrame {
  std::optional<PathId> path_id;
  uint64_t sequence;
  uint64_t retire_prior_to;
  ConnectionId cid;
  StatelessResetToken reset_token;
};
// RETIRE_CONNECTION_ID and PATH_RETIRE_CONNECTION_ID (path_id set).
struct RetireConnectionIdFrame { std::optional<PathId> path_id; uint64_t sequence; };
struct PathChallengeFrame { std::array<uint8_t, 8> data; };
struct PathResponseFrame { std::array<uint8_t, 8> data; };
struct ConnectionCloseFrame {
  bool application;          // 0x1d
  uint64_t error_code;
  uint64_t frame_type;       // transport close only
  std::span<const uint8_t> reason;
};
struct HandshakeDoneFrame {};
// draft-ietf-quic-ack-frequency §4 and §5.
struct AckFrequencyFrame {
  uint64_t sequence = 0;
  uint64_t ack_eliciting_threshold = 1;       // ack-eliciting packets received before an ACK is owed
  uint64_t requested_max_ack_delay_us = 25000;
  uint64_t reordering_threshold = 1;          // 0: ignore reordering; 1: RFC 9000 behaviour
};
struct ImmediateAckFrame {};
struct DatagramFrame { std::span<const uint8_t> data; bool has_length; };
struct PathAbandonFrame { PathId path_id; uint64_t error_code; };
struct PathStatusFrame { PathId path_id; uint64_t sequence; bool available; };  // 0x3e77 : 0x3e76
struct MaxPathIdFrame { PathId maximum; };
struct PathsBlockedFrame { PathId maximum; };
struct PathCidsBlockedFrame { PathId path_id; uint64_t next_sequence; };
// braid extension: one further address of the sender's, numbered from 0
// (docs/address-advertisement.md). On the wire: sequence (i), IP version (8: 4 or 6),
// address (32 or 128 bits), port (16).
struct AdvertiseAddressFrame { uint64_t sequence; SocketAddress address; };

using Frame = std::variant<PaddingFrame, PingFrame, AckFrame, ResetStreamFrame, StopSendingFrame,
                           CryptoFrame, NewTokenFrame, StreamFrame, MaxDataFrame,
                           MaxStreamDataFrame, MaxStreamsFrame, DataBlockedFrame,
                           StreamDataBlockedFrame, StreamsBlockedFrame, NewConnectionIdFrame,
                           RetireConnectionIdFrame, PathChallengeFrame, PathResponseFrame,
                           ConnectionCloseFrame, HandshakeDoneFrame, DatagramFrame,
                           PathAbandonFrame, PathStatusFrame, MaxPathIdFrame, PathsBlockedFrame,
                           PathCidsBlockedFrame, AdvertiseAddressFrame, AckFrequencyFrame,
                           ImmediateAckFrame>;

}  // namespace braid::wire

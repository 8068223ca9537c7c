// What the sender remembers about each packet in flight (RFC 9002 §A.1.1), including a
// compact description of the retransmittable frames it carried. Recovery treats `frames` as
// opaque; the connection decides what to resend when a packet is declared lost.
#pragma once
#include <cstdint>
#include <vector>

#include "braid/time.h"
#include "braid/types.h"

namespace braid::recovery {

struct SentFrame {
  enum class Kind : uint8_t {
    kStream, kCrypto, kAck, kPing, kMaxData, kMaxStreamData, kMaxStreams, kResetStream,
    kStopSending, kNewConnectionId, kRetireConnectionId, kHandshakeDone, kNewToken, kDatagram,
    kDataBlocked, kStreamDataBlocked, kStreamsBlocked, kPathChallenge, kPathResponse,
    kPathAbandon, kPathStatus, kMaxPathId, kPathsBlocked, kPathCidsBlocked, kPadding,
    kAdvertiseAddress, kAckFrequency, kImmediateAck
  };
  Kind kind = Kind::kPing;
  bool fin = false;        // stream: FIN carried; max_streams/streams_blocked: bidi
  uint8_t level = 0;       // crypto: EncryptionLevel
  uint32_t length = 0;     // stream/crypto: data bytes
  uint32_t path_id = 0;    // path-scoped frames
  uint64_t id = 0;         // stream id / cid sequence / ack: largest acknowledged
  uint64_t offset = 0;     // stream/crypto offset; ack: path the ACK was for
  // Stream data sent again on another path while the first copy may still arrive:
  // 1 duplication, 2 reinjection. `reinjections` counts how often the range was reinjected.
  uint8_t copy = 0;
  uint8_t reinjections = 0;
  bool duplicated = false;   // stream: a copy was queued on another path when this was sent
};

struct SentPacket {
  uint64_t pn = 0;
  TimePoint time_sent{};
  uint32_t size = 0;          // bytes on the wire (counts toward bytes in flight if in_flight)
  bool ack_eliciting = false;
  bool in_flight = false;
  bool is_pmtu_probe = false;
  bool ecn_marked = false;     // sent with ECT(0)
  uint64_t key_generation = 0; // 1-RTT key generation that protected it
  std::vector<SentFrame> frames;
  // Delivery-rate sampling state at send time (BBR draft "Delivery Rate Sampling").
  uint64_t delivered = 0;
  TimePoint delivered_time{};
  TimePoint first_sent_time{};
  bool is_app_limited = false;
  uint64_t tx_in_flight = 0;  // path's bytes in flight with this packet
  uint64_t lost = 0;          // path's lost bytes when it was sent
};

}  // namespace braid::recovery

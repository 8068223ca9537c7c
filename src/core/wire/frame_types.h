// Every frame type codepoint braid knows: RFC 9000 §19, RFC 9221 (DATAGRAM) and
// draft-ietf-quic-multipath-21 §8 / RFC 10069 (IANA section), draft-ietf-quic-ack-frequency
// and braid's own address
// advertisement extension. The one place codepoints live.
#pragma once
#include <cstdint>

namespace braid::wire {

enum class FrameType : uint64_t {
  kPadding = 0x00,
  kPing = 0x01,
  kAck = 0x02,
  kAckEcn = 0x03,
  kResetStream = 0x04,
  kStopSending = 0x05,
  kCrypto = 0x06,
  kNewToken = 0x07,
  kStream = 0x08,  // 0x08..0x0f: OFF=0x04, LEN=0x02, FIN=0x01
  kStreamMax = 0x0f,
  kMaxData = 0x10,
  kMaxStreamData = 0x11,
  kMaxStreamsBidi = 0x12,
  kMaxStreamsUni = 0x13,
  kDataBlocked = 0x14,
  kStreamDataBlocked = 0x15,
  kStreamsBlockedBidi = 0x16,
  kStreamsBlockedUni = 0x17,
  kNewConnectionId = 0x18,
  kRetireConnectionId = 0x19,
  kPathChallenge = 0x1a,
  kPathResponse = 0x1b,
  kConnectionCloseTransport = 0x1c,
  kConnectionCloseApplication = 0x1d,
  kHandshakeDone = 0x1e,
  kImmediateAck = 0x1f,    // draft-ietf-quic-ack-frequency §5
  kDatagram = 0x30,        // no length: extends to the end of the packet
  kDatagramWithLen = 0x31,
  kAckFrequency = 0xaf,    // draft-ietf-quic-ack-frequency §4
  // multipath (draft-ietf-quic-multipath-21 §8, IANA §10.3)
  kPathAck = 0x3e,
  kPathAckEcn = 0x3f,
  kPathAbandon = 0x3e75,
  kPathStatusBackup = 0x3e76,
  kPathStatusAvailable = 0x3e77,
  kPathNewConnectionId = 0x3e78,
  kPathRetireConnectionId = 0x3e79,
  kMaxPathId = 0x3e7a,
  kPathsBlocked = 0x3e7b,
  kPathCidsBlocked = 0x3e7c,
  // braid address advertisement (docs/address-advertisement.md): an unregistered value picked
  // at random from the 4-byte varint range, as RFC 9000 §22.1.4 asks of private-use codepoints.
  kAdvertiseAddress = 0x2b9d0f61,
};

// Transport parameter ids (RFC 9000 §18.2, RFC 9221 §3, multipath §2.1, ack frequency §3).
enum class TransportParamId : uint64_t {
  kOriginalDestinationConnectionId = 0x00,
  kMaxIdleTimeout = 0x01,
  kStatelessResetToken = 0x02,
  kMaxUdpPayloadSize = 0x03,
  kInitialMaxData = 0x04,
  kInitialMaxStreamDataBidiLocal = 0x05,
  kInitialMaxStreamDataBidiRemote = 0x06,
  kInitialMaxStreamDataUni = 0x07,
  kInitialMaxStreamsBidi = 0x08,
  kInitialMaxStreamsUni = 0x09,
  kAckDelayExponent = 0x0a,
  kMaxAckDelay = 0x0b,
  kDisableActiveMigration = 0x0c,
  kPreferredAddress = 0x0d,
  kActiveConnectionIdLimit = 0x0e,
  kInitialSourceConnectionId = 0x0f,
  kRetrySourceConnectionId = 0x10,
  kMaxDatagramFrameSize = 0x20,
  kInitialMaxPathId = 0x3e,
  kMinAckDelay = 0xff04de1b,           // draft-ietf-quic-ack-frequency §3, microseconds
  kAddressAdvertisement = 0x2b9d0f60,  // braid private-use value, beside kAdvertiseAddress
};

}  // namespace braid::wire

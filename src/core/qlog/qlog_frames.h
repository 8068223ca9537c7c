// QUIC frames as qlog QuicFrame objects (draft-ietf-quic-qlog-quic-events §QUIC Frames),
// plus the multipath frames of draft-ietf-quic-multipath, which the qlog drafts do not define
// yet: they follow the same style ("path_ack", "path_abandon", ... with a "path_id" field).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/wire/frame.h"

namespace braid::qlog {

// RFC 9000 §20.1 code -> qlog $TransportError / CryptoError string; "unknown" otherwise.
std::string transport_error_name(uint64_t code);

// Appends one frame object. ack_delay_exponent scales the raw ACK Delay to milliseconds: use
// the ACK sender's ack_delay_exponent (3 until its transport parameters are known).
void append_frame(std::string& out, const wire::Frame& frame, uint64_t ack_delay_exponent = 3);

// Same object as a DOM, for tests and tools; not meant for per-packet paths.
nlohmann::json frame_to_json(const wire::Frame& frame, uint64_t ack_delay_exponent = 3);

// A frame already rendered to its qlog JSON text, for callers that keep frames past the
// lifetime of the packet their spans point into (e.g. to log them again on loss).
struct QlogFrame {
  std::string json;
  static QlogFrame from(const wire::Frame& frame, uint64_t ack_delay_exponent = 3) {
    QlogFrame f;
    append_frame(f.json, frame, ack_delay_exponent);
    return f;
  }
};

// The frames of a packet payload as they will go on the wire, decoded from a copy of the
// plaintext taken just before encryption, so packet_sent logs every frame a packet carries
// (STREAM, control, DATAGRAM, multipath, CONNECTION_CLOSE) whoever wrote it. Only built
// when qlog is enabled.
struct PlaintextFrames {
  std::vector<uint8_t> bytes;
  std::vector<wire::Frame> frames;   // spans point into `bytes`
  explicit PlaintextFrames(std::span<const uint8_t> payload);
};

}  // namespace braid::qlog

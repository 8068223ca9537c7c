// Test-only rendering of decoded frames as text, so frames holding spans can be compared
// field by field and a mismatch prints what differs.
#pragma once
#include <fmt/format.h>

#include <string>

#include "core/wire/frame.h"

namespace braid::wire::test {

inline std::string hex(std::span<const uint8_t> b) {
  std::string s;
  for (uint8_t c : b) s += fmt::format("{:02x}", c);
  return s;
}

inline std::string opt_path(const std::optional<PathId>& p) {
  return p ? fmt::format("path={}", *p) : "path=-";
}

struct Describe {
  std::string operator()(const PaddingFrame& f) const { return fmt::format("PADDING len={}", f.length); }
  std::string operator()(const PingFrame&) const { return "PING"; }
  std::string operator()(const AckFrame& f) const {
    std::string s = fmt::format("ACK {} delay={}", opt_path(f.path_id), f.ack_delay);
    for (const auto& r : f.ranges) s += fmt::format(" [{},{}]", r.smallest, r.largest);
    if (f.ecn) s += fmt::format(" ecn={},{},{}", f.ecn->ect0, f.ecn->ect1, f.ecn->ce);
    return s;
  }
  std::string operator()(const ResetStreamFrame& f) const {
    return fmt::format("RESET_STREAM id={} err={} final={}", f.stream_id, f.error_code, f.final_size);
  }
  std::string operator()(const StopSendingFrame& f) const {
    return fmt::format("STOP_SENDING id={} err={}", f.stream_id, f.error_code);
  }
  std::string operator()(const CryptoFrame& f) const {
    return fmt::format("CRYPTO off={} data={}", f.offset, hex(f.data));
  }
  std::string operator()(const NewTokenFrame& f) const { return "NEW_TOKEN " + hex(f.token); }
  std::string operator()(const StreamFrame& f) const {
    return fmt::format("STREAM id={} off={} fin={} data={}", f.stream_id, f.offset, f.fin, hex(f.data));
  }
  std::string operator()(const MaxDataFrame& f) const { return fmt::format("MAX_DATA {}", f.maximum); }
  std::string operator()(const MaxStreamDataFrame& f) const {
    return fmt::format("MAX_STREAM_DATA id={} max={}", f.stream_id, f.maximum);
  }
  std::string operator()(const MaxStreamsFrame& f) const {
    return fmt::format("MAX_STREAMS bidi={} {}", f.bidi, f.maximum);
  }
  std::string operator()(const DataBlockedFrame& f) const { return fmt::format("DATA_BLOCKED {}", f.limit); }
  std::string operator()(const StreamDataBlockedFrame& f) const {
    return fmt::format("STREAM_DATA_BLOCKED id={} {}", f.stream_id, f.limit);
  }
  std::string operator()(const StreamsBlockedFrame& f) const {
    return fmt::format("STREAMS_BLOCKED bidi={} {}", f.bidi, f.limit);
  }
  std::string operator()(const NewConnectionIdFrame& f) const {
    return fmt::format("NEW_CONNECTION_ID {} seq={} rpt={} cid={} token={}", opt_path(f.path_id),
                       f.sequence, f.retire_prior_to, f.cid.hex(), hex(f.reset_token));
  }
  std::string operator()(const RetireConnectionIdFrame& f) const {
    return fmt::format("RETIRE_CONNECTION_ID {} seq={}", opt_path(f.path_id), f.sequence);
  }
  std::string operator()(const PathChallengeFrame& f) const { return "PATH_CHALLENGE " + hex(f.data); }
  std::string operator()(const PathResponseFrame& f) const { return "PATH_RESPONSE " + hex(f.data); }
  std::string operator()(const ConnectionCloseFrame& f) const {
    return fmt::format("CONNECTION_CLOSE app={} err={} type={} reason={}", f.application, f.error_code,
                       f.frame_type, hex(f.reason));
  }
  std::string operator()(const HandshakeDoneFrame&) const { return "HANDSHAKE_DONE"; }
  std::string operator()(const DatagramFrame& f) const {
    return fmt::format("DATAGRAM len={} data={}", f.has_length, hex(f.data));
  }
  std::string operator()(const PathAbandonFrame& f) const {
    return fmt::format("PATH_ABANDON path={} err={}", f.path_id, f.error_code);
  }
  std::string operator()(const PathStatusFrame& f) const {
    return fmt::format("PATH_STATUS path={} seq={} available={}", f.path_id, f.sequence, f.available);
  }
  std::string operator()(const MaxPathIdFrame& f) const { return fmt::format("MAX_PATH_ID {}", f.maximum); }
  std::string operator()(const PathsBlockedFrame& f) const {
    return fmt::format("PATHS_BLOCKED {}", f.maximum);
  }
  std::string operator()(const PathCidsBlockedFrame& f) const {
    return fmt::format("PATH_CIDS_BLOCKED path={} next={}", f.path_id, f.next_sequence);
  }
  std::string operator()(const AdvertiseAddressFrame& f) const {
    return fmt::format("ADVERTISE_ADDRESS seq={} address={}", f.sequence, f.address.to_string());
  }
  std::string operator()(const AckFrequencyFrame& f) const {
    return fmt::format("ACK_FREQUENCY seq={} threshold={} delay_us={} reordering={}", f.sequence,
                       f.ack_eliciting_threshold, f.requested_max_ack_delay_us, f.reordering_threshold);
  }
  std::string operator()(const ImmediateAckFrame&) const { return "IMMEDIATE_ACK"; }
};

inline std::string describe(const Frame& f) { return std::visit(Describe{}, f); }

}  // namespace braid::wire::test

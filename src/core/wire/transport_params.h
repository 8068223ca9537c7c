// QUIC transport parameters (RFC 9000 §18, RFC 9221 max_datagram_frame_size, multipath
// initial_max_path_id 0x3e): value type with RFC defaults, encode, and validating decode.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "braid/error.h"
#include "braid/types.h"

namespace braid::wire {

struct PreferredAddress {
  std::array<uint8_t, 4> ipv4{};
  uint16_t ipv4_port = 0;
  std::array<uint8_t, 16> ipv6{};
  uint16_t ipv6_port = 0;
  ConnectionId cid;
  StatelessResetToken reset_token{};
};

struct TransportParameters {
  std::optional<ConnectionId> original_destination_connection_id;  // server only
  uint64_t max_idle_timeout_ms = 0;
  std::optional<StatelessResetToken> stateless_reset_token;        // server only
  uint64_t max_udp_payload_size = 65527;
  uint64_t initial_max_data = 0;
  uint64_t initial_max_stream_data_bidi_local = 0;
  uint64_t initial_max_stream_data_bidi_remote = 0;
  uint64_t initial_max_stream_data_uni = 0;
  uint64_t initial_max_streams_bidi = 0;
  uint64_t initial_max_streams_uni = 0;
  uint64_t ack_delay_exponent = 3;
  uint64_t max_ack_delay_ms = 25;
  bool disable_active_migration = false;
  std::optional<PreferredAddress> preferred_address;               // server only
  uint64_t active_connection_id_limit = 2;
  std::optional<ConnectionId> initial_source_connection_id;
  std::optional<ConnectionId> retry_source_connection_id;          // server only
  std::optional<uint64_t> max_datagram_frame_size;                 // RFC 9221
  std::optional<uint64_t> initial_max_path_id;                     // multipath
  // draft-ietf-quic-ack-frequency §3: the sender accepts ACK_FREQUENCY frames and will not
  // delay acknowledgements by less than this many microseconds.
  std::optional<uint64_t> min_ack_delay_us;
  // braid address advertisement (docs/address-advertisement.md): present when the sender
  // speaks the extension; the value is how many ADVERTISE_ADDRESS sequence numbers it takes
  // from its peer (a server that only advertises sends 0).
  std::optional<uint64_t> address_advertisement;

  // Unknown ids are kept (and ignored); reserved (GREASE) ids may be sent.
  std::vector<uint8_t> encode() const;
  // Validates per RFC 9000 §18.2 / §7.4: duplicates, values out of range
  // (ack_delay_exponent > 20, max_ack_delay >= 2^14, max_udp_payload_size < 1200,
  // active_connection_id_limit < 2, streams > 2^60, min_ack_delay above max_ack_delay),
  // server-only parameters sent by a
  // client, malformed lengths. Errors are TRANSPORT_PARAMETER_ERROR.
  static Result<TransportParameters> decode(std::span<const uint8_t> bytes, Perspective sender);
};

}  // namespace braid::wire

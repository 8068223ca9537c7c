// QUIC packet headers (RFC 9000 §17, RFC 8999): parsing the unprotected parts of long and
// short headers, splitting coalesced datagrams, packet-number truncation and recovery,
// and building Version Negotiation and Retry packets.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "braid/error.h"
#include "braid/types.h"
#include "core/wire/varint.h"

namespace braid::wire {

enum class PacketType : uint8_t { kInitial, kZeroRtt, kHandshake, kRetry, kVersionNegotiation, kOneRtt };

// What can be read of a packet before header protection is removed.
struct ParsedHeader {
  PacketType type = PacketType::kOneRtt;
  uint8_t first_byte = 0;
  uint32_t version = 0;              // long header only
  ConnectionId dcid;
  ConnectionId scid;                 // long header only
  std::span<const uint8_t> token;    // Initial: token; Retry: retry token
  std::span<const uint8_t> retry_integrity_tag;   // Retry only (16 bytes)
  std::vector<uint32_t> supported_versions;       // Version Negotiation only
  size_t pn_offset = 0;        // offset of the (protected) packet number within the packet
  size_t packet_length = 0;    // bytes of this packet within the datagram (to the next coalesced one)
};

// Parses the packet at the start of `datagram`. Short headers need the length of our own
// connection IDs (`short_dcid_len`). Long-header packets with an unknown version parse far
// enough to report version and connection IDs (type = kInitial is then meaningless; check
// `version`). Errors are FRAME_ENCODING_ERROR / PROTOCOL_VIOLATION; such packets are dropped.
Result<ParsedHeader> parse_header(std::span<const uint8_t> datagram, size_t short_dcid_len);

// Peeks only at the destination connection ID (for endpoint demultiplexing).
std::optional<ConnectionId> peek_dcid(std::span<const uint8_t> datagram, size_t short_dcid_len);

// RFC 9000 §17.1 / Appendix A.2 and A.3.
size_t packet_number_length(uint64_t pn, uint64_t largest_acked_or_none /* UINT64_MAX = none */);
uint64_t decode_packet_number(uint64_t largest_received /* UINT64_MAX = none */, uint64_t truncated,
                              size_t pn_len);

// Writes a long header (Initial/0-RTT/Handshake) with a 2-byte Length field to be patched
// by patch_long_header_length once the payload size is known. Returns the offset of the
// Length field, and sets pn_offset.
struct LongHeaderLayout { size_t length_offset; size_t pn_offset; };
std::optional<LongHeaderLayout> write_long_header(Writer& w, PacketType type, uint32_t version,
                                                  const ConnectionId& dcid, const ConnectionId& scid,
                                                  std::span<const uint8_t> token, uint64_t pn,
                                                  size_t pn_len);
// Length covers packet number + payload + AEAD tag.
bool patch_long_header_length(Writer& w, const LongHeaderLayout& l, size_t pn_len,
                              size_t payload_and_tag_len);
// Writes a short header; returns the pn offset.
std::optional<size_t> write_short_header(Writer& w, const ConnectionId& dcid, bool spin,
                                         bool key_phase, uint64_t pn, size_t pn_len);

// Version Negotiation (RFC 9000 §17.2.1): echoes the client's CIDs swapped. `random_byte`
// supplies the unused bits of the first byte.
std::vector<uint8_t> build_version_negotiation(const ConnectionId& client_dcid,
                                               const ConnectionId& client_scid,
                                               std::span<const uint32_t> versions,
                                               uint8_t random_byte);
// Retry (RFC 9000 §17.2.5) without the integrity tag; the caller appends
// crypto::retry_integrity_tag(...).
std::vector<uint8_t> build_retry_without_tag(uint32_t version, const ConnectionId& dcid,
                                             const ConnectionId& scid,
                                             std::span<const uint8_t> token, uint8_t random_bits);

}  // namespace braid::wire

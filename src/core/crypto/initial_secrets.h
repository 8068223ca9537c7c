// Initial packet protection (RFC 9001 §5.2): secrets derived from the client's first
// Destination Connection ID with the QUIC v1 salt, and the Retry integrity tag (§5.8).
#pragma once
#include <array>
#include <span>

#include "braid/types.h"
#include "core/crypto/packet_keys.h"

namespace braid::crypto {

struct InitialKeys {
  DirectionalKeys client;  // protects client-sent Initial packets
  DirectionalKeys server;
};

InitialKeys derive_initial_keys(const ConnectionId& client_dcid, uint32_t version = kQuicVersion1);
// Only the client's direction: what a server needs to check that an Initial decrypts
// before it keeps any state (half the HKDF and cipher setup of derive_initial_keys).
DirectionalKeys derive_initial_client_keys(const ConnectionId& client_dcid, uint32_t version = kQuicVersion1);

// AES-128-GCM tag over the Retry pseudo-packet (ODCID length, ODCID, Retry packet w/o tag).
std::array<uint8_t, 16> retry_integrity_tag(const ConnectionId& original_dcid,
                                            std::span<const uint8_t> retry_without_tag);
bool verify_retry_integrity(const ConnectionId& original_dcid, std::span<const uint8_t> retry_packet);

}  // namespace braid::crypto

// Applying and removing packet protection on a whole packet (RFC 9001 §5.3, §5.4): AEAD over
// the payload with the header as associated data, then header protection of the first byte
// and the packet number. Works in place on the packet buffer.
#pragma once
#include <cstdint>
#include <optional>
#include <span>

#include "core/crypto/packet_keys.h"

namespace braid::crypto {

// `packet` holds header (pn included, unprotected) followed by the plaintext payload, and has
// at least kAeadTagLen bytes of room after it. Returns the protected packet length
// (header_len + payload_len + tag), or 0 on failure. Payload must be long enough that a
// header-protection sample exists: pn_len + payload_len + 16 >= 4 + 16 (callers pad).
size_t protect_packet(PacketAead& aead, HeaderProtector& hp, uint32_t path_id, uint64_t pn,
                      std::span<uint8_t> packet, size_t header_len, size_t pn_offset,
                      size_t pn_len, size_t payload_len);

// Step 1 of receiving: removes header protection in place. Returns pn length and the
// truncated packet number; the first byte is unmasked in place (key phase readable).
struct UnprotectedHeader { size_t pn_len; uint64_t truncated_pn; };
std::optional<UnprotectedHeader> remove_header_protection(HeaderProtector& hp, std::span<uint8_t> packet,
                                                          size_t pn_offset);

// Step 2: decrypts the payload in place. `packet` is exactly this packet's bytes
// (header + ciphertext + tag). Returns the plaintext payload view, or nullopt if the AEAD
// check fails (the packet must then be dropped, not answered).
std::optional<std::span<uint8_t>> open_packet(PacketAead& aead, uint32_t path_id, uint64_t full_pn,
                                              std::span<uint8_t> packet, size_t header_len);

}  // namespace braid::crypto

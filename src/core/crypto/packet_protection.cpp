// Whole-packet protection in place: AEAD with the header as associated data, then header
// protection sampled 4 bytes past the start of the packet number (RFC 9001 §5.4.2).
#include "core/crypto/packet_protection.h"

namespace braid::crypto {
namespace {

constexpr size_t kSampleOffsetFromPn = 4;

// Long headers protect the low 4 bits of the first byte, short headers the low 5.
uint8_t first_byte_mask_bits(uint8_t first_byte) { return (first_byte & 0x80) ? 0x0f : 0x1f; }

}  // namespace

size_t protect_packet(PacketAead& aead, HeaderProtector& hp, uint32_t path_id, uint64_t pn,
                      std::span<uint8_t> packet, size_t header_len, size_t pn_offset, size_t pn_len,
                      size_t payload_len) {
  const size_t total = header_len + payload_len + kAeadTagLen;
  if (pn_len < 1 || pn_len > 4 || pn_offset + pn_len > header_len || total > packet.size()) return 0;
  if (pn_offset + kSampleOffsetFromPn + kHpSampleLen > total) return 0;

  if (!aead.seal(path_id, pn, packet.first(header_len), packet.subspan(header_len, payload_len),
                 packet.subspan(header_len + payload_len, kAeadTagLen))) {
    return 0;
  }
  const auto mask = hp.mask(packet.subspan(pn_offset + kSampleOffsetFromPn).first<kHpSampleLen>());
  packet[0] ^= mask[0] & first_byte_mask_bits(packet[0]);
  for (size_t i = 0; i < pn_len; ++i) packet[pn_offset + i] ^= mask[1 + i];
  return total;
}

std::optional<UnprotectedHeader> remove_header_protection(HeaderProtector& hp, std::span<uint8_t> packet,
                                                          size_t pn_offset) {
  if (packet.empty() || pn_offset + kSampleOffsetFromPn + kHpSampleLen > packet.size()) return std::nullopt;
  const auto mask = hp.mask(packet.subspan(pn_offset + kSampleOffsetFromPn).first<kHpSampleLen>());
  packet[0] ^= mask[0] & first_byte_mask_bits(packet[0]);
  const size_t pn_len = (packet[0] & 0x03) + 1;
  uint64_t truncated = 0;
  for (size_t i = 0; i < pn_len; ++i) {
    packet[pn_offset + i] ^= mask[1 + i];
    truncated = (truncated << 8) | packet[pn_offset + i];
  }
  return UnprotectedHeader{pn_len, truncated};
}

std::optional<std::span<uint8_t>> open_packet(PacketAead& aead, uint32_t path_id, uint64_t full_pn,
                                              std::span<uint8_t> packet, size_t header_len) {
  if (packet.size() < header_len + kAeadTagLen) return std::nullopt;
  if (!aead.open(path_id, full_pn, packet.first(header_len), packet.subspan(header_len))) return std::nullopt;
  return packet.subspan(header_len, packet.size() - header_len - kAeadTagLen);
}

}  // namespace braid::crypto

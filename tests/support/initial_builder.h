// Test helper: client Initial packets built by hand, as an attacker (or a fuzzer seed
// generator) would: any frames, protected with the Initial keys the DCID implies, padded to
// a 1200-byte datagram.
#pragma once
#include <vector>

#include "core/crypto/initial_secrets.h"
#include "core/crypto/packet_protection.h"
#include "core/wire/frame_codec.h"
#include "core/wire/packet_header.h"

namespace braid::test {

inline std::vector<uint8_t> build_client_initial(const ConnectionId& dcid, const ConnectionId& scid, uint64_t pn,
                                                 std::span<const uint8_t> frames, size_t datagram_size = 1200) {
  std::vector<uint8_t> out(std::max<size_t>(datagram_size, frames.size() + 100));
  auto keys = crypto::derive_initial_keys(dcid);
  wire::Writer w(std::span<uint8_t>(out).first(out.size() - crypto::kAeadTagLen));
  auto layout = wire::write_long_header(w, wire::PacketType::kInitial, kQuicVersion1, dcid, scid, {}, pn, 4);
  if (!layout) return {};
  size_t header_len = w.size();
  w.write_bytes(frames);
  size_t target = datagram_size - crypto::kAeadTagLen;
  if (w.size() < target) w.write_zeros(target - w.size());   // PADDING frames
  size_t payload_len = w.size() - header_len;
  wire::patch_long_header_length(w, *layout, 4, payload_len + crypto::kAeadTagLen);
  size_t n = crypto::protect_packet(*keys.client.aead, *keys.client.hp, 0, pn, out, header_len, layout->pn_offset, 4,
                                    payload_len);
  out.resize(n);
  return out;
}

}  // namespace braid::test

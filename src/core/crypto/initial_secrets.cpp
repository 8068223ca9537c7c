// QUIC v1 Initial secrets (RFC 9001 §5.2) and the Retry integrity tag (§5.8). Only v1's salt
// and labels are known here; other versions fall back to v1 (version negotiation happens
// before any Initial of another version would be protected).
#include "core/crypto/initial_secrets.h"

#include <gnutls/crypto.h>

#include <cstring>
#include <vector>

#include "core/crypto/hkdf.h"

namespace braid::crypto {
namespace {

constexpr uint8_t kV1InitialSalt[] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                      0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
constexpr uint8_t kV1RetryKey[] = {0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a,
                                   0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8, 0x4e};
constexpr uint8_t kV1RetryNonce[] = {0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb};

}  // namespace

InitialKeys derive_initial_keys(const ConnectionId& client_dcid, uint32_t /*version*/) {
  const auto initial_secret = hkdf_extract(Hash::kSha256, kV1InitialSalt, client_dcid.span());
  const auto client = hkdf_expand_label(Hash::kSha256, initial_secret, "client in", {}, 32);
  const auto server = hkdf_expand_label(Hash::kSha256, initial_secret, "server in", {}, 32);
  return InitialKeys{derive_keys(CipherSuite::kAes128Gcm, client), derive_keys(CipherSuite::kAes128Gcm, server)};
}

DirectionalKeys derive_initial_client_keys(const ConnectionId& client_dcid, uint32_t /*version*/) {
  const auto initial_secret = hkdf_extract(Hash::kSha256, kV1InitialSalt, client_dcid.span());
  return derive_keys(CipherSuite::kAes128Gcm, hkdf_expand_label(Hash::kSha256, initial_secret, "client in", {}, 32));
}

std::array<uint8_t, 16> retry_integrity_tag(const ConnectionId& original_dcid,
                                            std::span<const uint8_t> retry_without_tag) {
  // Retry pseudo-packet: ODCID length || ODCID || Retry packet without its tag. The tag is
  // the AEAD over an empty plaintext with the pseudo-packet as associated data. Retries are
  // rare (one per connection at most), so a one-off handle is fine here.
  std::vector<uint8_t> pseudo;
  pseudo.reserve(1 + original_dcid.size() + retry_without_tag.size());
  pseudo.push_back(static_cast<uint8_t>(original_dcid.size()));
  pseudo.insert(pseudo.end(), original_dcid.span().begin(), original_dcid.span().end());
  pseudo.insert(pseudo.end(), retry_without_tag.begin(), retry_without_tag.end());

  std::array<uint8_t, 16> tag{};
  gnutls_aead_cipher_hd_t hd;
  gnutls_datum_t key{const_cast<uint8_t*>(kV1RetryKey), sizeof(kV1RetryKey)};
  if (gnutls_aead_cipher_init(&hd, GNUTLS_CIPHER_AES_128_GCM, &key) != 0) return tag;
  size_t out_len = tag.size();
  if (gnutls_aead_cipher_encrypt(hd, kV1RetryNonce, sizeof(kV1RetryNonce), pseudo.data(), pseudo.size(),
                                 tag.size(), nullptr, 0, tag.data(), &out_len) != 0) {
    tag.fill(0);
  }
  gnutls_aead_cipher_deinit(hd);
  return tag;
}

bool verify_retry_integrity(const ConnectionId& original_dcid, std::span<const uint8_t> retry_packet) {
  if (retry_packet.size() < 16) return false;
  const auto body = retry_packet.first(retry_packet.size() - 16);
  const auto expected = retry_integrity_tag(original_dcid, body);
  // Constant-time compare: the tag is public, but there is no reason to leak the prefix match.
  uint8_t diff = 0;
  for (size_t i = 0; i < 16; ++i) diff |= expected[i] ^ retry_packet[body.size() + i];
  return diff == 0;
}

}  // namespace braid::crypto

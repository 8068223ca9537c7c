// GnuTLS-backed packet protection keys: one AEAD handle and one header-protection cipher
// handle per key, created at derivation time and reused for every packet.
#include "core/crypto/packet_keys.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <cstring>

#include "core/crypto/hkdf.h"

namespace braid::crypto {
namespace {

constexpr size_t kIvLen = 12;

gnutls_datum_t datum(std::span<const uint8_t> s) {
  return gnutls_datum_t{const_cast<uint8_t*>(s.data()), static_cast<unsigned>(s.size())};
}

Hash hash_of(CipherSuite s) { return s == CipherSuite::kAes256Gcm ? Hash::kSha384 : Hash::kSha256; }

gnutls_cipher_algorithm_t aead_algorithm(CipherSuite s) {
  switch (s) {
    case CipherSuite::kAes128Gcm: return GNUTLS_CIPHER_AES_128_GCM;
    case CipherSuite::kAes256Gcm: return GNUTLS_CIPHER_AES_256_GCM;
    case CipherSuite::kChacha20Poly1305: return GNUTLS_CIPHER_CHACHA20_POLY1305;
  }
  return GNUTLS_CIPHER_UNKNOWN;
}

class GnutlsAead final : public PacketAead {
 public:
  GnutlsAead(gnutls_aead_cipher_hd_t hd, std::span<const uint8_t, kIvLen> iv, uint64_t conf_limit,
             uint64_t integ_limit)
      : hd_(hd), conf_limit_(conf_limit), integ_limit_(integ_limit) {
    std::memcpy(iv_.data(), iv.data(), kIvLen);
  }
  ~GnutlsAead() override { gnutls_aead_cipher_deinit(hd_); }
  GnutlsAead(const GnutlsAead&) = delete;
  GnutlsAead& operator=(const GnutlsAead&) = delete;

  bool seal(uint32_t path_id, uint64_t pn, std::span<const uint8_t> aad, std::span<uint8_t> plaintext,
            std::span<uint8_t> tag) override {
    if (tag.size() < kAeadTagLen) return false;
    const auto nonce = make_nonce(iv_, path_id, pn);
    giovec_t ad{const_cast<uint8_t*>(aad.data()), aad.size()};
    giovec_t data{plaintext.data(), plaintext.size()};
    size_t tag_len = kAeadTagLen;
    return gnutls_aead_cipher_encryptv2(hd_, nonce.data(), nonce.size(), &ad, 1, &data,
                                        plaintext.empty() ? 0 : 1, tag.data(), &tag_len) == 0 &&
           tag_len == kAeadTagLen;
  }

  bool open(uint32_t path_id, uint64_t pn, std::span<const uint8_t> aad,
            std::span<uint8_t> ciphertext_and_tag) override {
    if (ciphertext_and_tag.size() < kAeadTagLen) return false;
    const size_t ct_len = ciphertext_and_tag.size() - kAeadTagLen;
    const auto nonce = make_nonce(iv_, path_id, pn);
    giovec_t ad{const_cast<uint8_t*>(aad.data()), aad.size()};
    giovec_t data{ciphertext_and_tag.data(), ct_len};
    return gnutls_aead_cipher_decryptv2(hd_, nonce.data(), nonce.size(), &ad, 1, &data, ct_len ? 1 : 0,
                                        ciphertext_and_tag.data() + ct_len, kAeadTagLen) == 0;
  }

  uint64_t confidentiality_limit() const override { return conf_limit_; }
  uint64_t integrity_limit() const override { return integ_limit_; }

 private:
  gnutls_aead_cipher_hd_t hd_;
  std::array<uint8_t, kIvLen> iv_{};
  uint64_t conf_limit_, integ_limit_;
};

// AES header protection: GnuTLS has no ECB, and one CBC block under a zero IV is exactly
// AES-ECB of that block. Resetting the IV is far cheaper than re-keying.
class AesHeaderProtector final : public HeaderProtector {
 public:
  explicit AesHeaderProtector(gnutls_cipher_hd_t hd) : hd_(hd) {}
  ~AesHeaderProtector() override { gnutls_cipher_deinit(hd_); }
  AesHeaderProtector(const AesHeaderProtector&) = delete;
  AesHeaderProtector& operator=(const AesHeaderProtector&) = delete;

  std::array<uint8_t, 5> mask(std::span<const uint8_t, kHpSampleLen> sample) override {
    uint8_t zero_iv[16] = {};
    uint8_t block[16];
    gnutls_cipher_set_iv(hd_, zero_iv, sizeof(zero_iv));
    std::array<uint8_t, 5> out{};
    if (gnutls_cipher_encrypt2(hd_, sample.data(), sample.size(), block, sizeof(block)) == 0) {
      std::memcpy(out.data(), block, out.size());
    }
    return out;
  }

 private:
  gnutls_cipher_hd_t hd_;
};

// ChaCha20 header protection (RFC 9001 §5.4.4). GnuTLS's CHACHA20_32 takes a 16-byte IV laid
// out as 32-bit little-endian block counter || 96-bit nonce, which is the sample verbatim.
class ChachaHeaderProtector final : public HeaderProtector {
 public:
  explicit ChachaHeaderProtector(gnutls_cipher_hd_t hd) : hd_(hd) {}
  ~ChachaHeaderProtector() override { gnutls_cipher_deinit(hd_); }
  ChachaHeaderProtector(const ChachaHeaderProtector&) = delete;
  ChachaHeaderProtector& operator=(const ChachaHeaderProtector&) = delete;

  std::array<uint8_t, 5> mask(std::span<const uint8_t, kHpSampleLen> sample) override {
    static constexpr uint8_t kZeros[5] = {};
    std::array<uint8_t, 5> out{};
    gnutls_cipher_set_iv(hd_, const_cast<uint8_t*>(sample.data()), sample.size());
    if (gnutls_cipher_encrypt2(hd_, kZeros, sizeof(kZeros), out.data(), out.size()) != 0) out.fill(0);
    return out;
  }

 private:
  gnutls_cipher_hd_t hd_;
};

}  // namespace

size_t secret_len(CipherSuite s) { return s == CipherSuite::kAes256Gcm ? 48 : 32; }
size_t key_len(CipherSuite s) { return s == CipherSuite::kAes128Gcm ? 16 : 32; }

std::array<uint8_t, 12> make_nonce(std::span<const uint8_t, 12> iv, uint32_t path_id, uint64_t pn) {
  std::array<uint8_t, 12> nonce;
  std::memcpy(nonce.data(), iv.data(), nonce.size());
  // Path-and-packet-number: path_id (32 bits) || 0b00 || pn (62 bits), big-endian.
  const uint64_t pn62 = pn & ((uint64_t{1} << 62) - 1);
  for (int i = 0; i < 4; ++i) nonce[i] ^= static_cast<uint8_t>(path_id >> (24 - 8 * i));
  for (int i = 0; i < 8; ++i) nonce[4 + i] ^= static_cast<uint8_t>(pn62 >> (56 - 8 * i));
  return nonce;
}

std::unique_ptr<PacketAead> make_aead(CipherSuite s, std::span<const uint8_t> key, std::span<const uint8_t> iv) {
  if (key.size() != key_len(s) || iv.size() != kIvLen) return nullptr;
  gnutls_aead_cipher_hd_t hd;
  gnutls_datum_t k = datum(key);
  if (gnutls_aead_cipher_init(&hd, aead_algorithm(s), &k) != 0) return nullptr;
  // RFC 9001 §6.6: AES-GCM 2^23 / 2^52; ChaCha20-Poly1305 has no practical confidentiality
  // limit (2^62 = the packet-number space) and an integrity limit of 2^36.
  const bool chacha = s == CipherSuite::kChacha20Poly1305;
  const uint64_t conf = chacha ? (uint64_t{1} << 62) : (uint64_t{1} << 23);
  const uint64_t integ = chacha ? (uint64_t{1} << 36) : (uint64_t{1} << 52);
  return std::make_unique<GnutlsAead>(hd, iv.first<kIvLen>(), conf, integ);
}

std::unique_ptr<HeaderProtector> make_header_protector(CipherSuite s, std::span<const uint8_t> hp_key) {
  if (hp_key.size() != key_len(s)) return nullptr;
  gnutls_cipher_hd_t hd;
  gnutls_datum_t k = datum(hp_key);
  if (s == CipherSuite::kChacha20Poly1305) {
    uint8_t iv[16] = {};
    gnutls_datum_t iv_datum{iv, sizeof(iv)};
    if (gnutls_cipher_init(&hd, GNUTLS_CIPHER_CHACHA20_32, &k, &iv_datum) != 0) return nullptr;
    return std::make_unique<ChachaHeaderProtector>(hd);
  }
  uint8_t iv[16] = {};
  gnutls_datum_t iv_datum{iv, sizeof(iv)};
  const auto alg = s == CipherSuite::kAes128Gcm ? GNUTLS_CIPHER_AES_128_CBC : GNUTLS_CIPHER_AES_256_CBC;
  if (gnutls_cipher_init(&hd, alg, &k, &iv_datum) != 0) return nullptr;
  return std::make_unique<AesHeaderProtector>(hd);
}

PacketKeyMaterial derive_key_material(CipherSuite s, std::span<const uint8_t> secret) {
  const Hash h = hash_of(s);
  return PacketKeyMaterial{hkdf_expand_label(h, secret, "quic key", {}, key_len(s)),
                           hkdf_expand_label(h, secret, "quic iv", {}, kIvLen),
                           hkdf_expand_label(h, secret, "quic hp", {}, key_len(s))};
}

namespace {

DirectionalKeys keys_from_secret(CipherSuite s, std::span<const uint8_t> secret, bool with_hp) {
  DirectionalKeys out{s, std::vector<uint8_t>(secret.begin(), secret.end()), nullptr, nullptr};
  const PacketKeyMaterial m = derive_key_material(s, secret);
  out.aead = make_aead(s, m.key, m.iv);
  if (with_hp) out.hp = make_header_protector(s, m.hp);
  return out;
}

}  // namespace

DirectionalKeys derive_keys(CipherSuite s, std::span<const uint8_t> secret) {
  return keys_from_secret(s, secret, true);
}

DirectionalKeys derive_next_generation(const DirectionalKeys& current) {
  const auto next = hkdf_expand_label(hash_of(current.suite), current.secret, "quic ku", {},
                                      secret_len(current.suite));
  return keys_from_secret(current.suite, next, false);
}

}  // namespace braid::crypto

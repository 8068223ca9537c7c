// Packet protection keys for one direction and one key phase (RFC 9001 §5): the AEAD with
// its IV, and the header-protection cipher. Cipher handles are created once per key and
// reused for every packet (per-packet setup costs ~10x the seal itself).
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace braid::crypto {

enum class CipherSuite : uint8_t { kAes128Gcm, kAes256Gcm, kChacha20Poly1305 };

inline constexpr size_t kAeadTagLen = 16;
inline constexpr size_t kHpSampleLen = 16;

size_t secret_len(CipherSuite s);  // hash length: 32 (SHA-256) or 48 (SHA-384)
size_t key_len(CipherSuite s);     // 16 or 32

// The AEAD half. Nonce = IV XOR (path_id 32 bits || 0b00 || packet number 62 bits), left
// padded with zeros to the IV length (draft-ietf-quic-multipath §2.4). With path_id = 0 this
// is exactly RFC 9001's nonce.
class PacketAead {
 public:
  virtual ~PacketAead() = default;
  // Encrypts `plaintext` in place and writes the 16-byte tag to `tag`.
  virtual bool seal(uint32_t path_id, uint64_t pn, std::span<const uint8_t> aad,
                    std::span<uint8_t> plaintext, std::span<uint8_t> tag) = 0;
  // Decrypts `ciphertext_and_tag` in place; the plaintext is its first size()-16 bytes.
  virtual bool open(uint32_t path_id, uint64_t pn, std::span<const uint8_t> aad,
                    std::span<uint8_t> ciphertext_and_tag) = 0;
  // AEAD limits (RFC 9001 §6.6): packets that may be protected / failed opens tolerated.
  virtual uint64_t confidentiality_limit() const = 0;
  virtual uint64_t integrity_limit() const = 0;
};

// The nonce computation on its own (for tests and for other AEAD backends).
std::array<uint8_t, 12> make_nonce(std::span<const uint8_t, 12> iv, uint32_t path_id, uint64_t pn);

class HeaderProtector {
 public:
  virtual ~HeaderProtector() = default;
  // 5-byte mask from a 16-byte sample (RFC 9001 §5.4.3 AES, §5.4.4 ChaCha20).
  virtual std::array<uint8_t, 5> mask(std::span<const uint8_t, kHpSampleLen> sample) = 0;
};

// Keys derived from one traffic secret: {key, iv, hp} via HKDF-Expand-Label
// ("quic key", "quic iv", "quic hp").
struct DirectionalKeys {
  CipherSuite suite;
  std::vector<uint8_t> secret;   // kept for key update
  std::unique_ptr<PacketAead> aead;
  std::unique_ptr<HeaderProtector> hp;
};

// The raw {key, iv, hp} expanded from one traffic secret (what derive_keys installs); exposed
// for test vectors and key logging.
struct PacketKeyMaterial {
  std::vector<uint8_t> key, iv, hp;
};
PacketKeyMaterial derive_key_material(CipherSuite s, std::span<const uint8_t> secret);

std::unique_ptr<PacketAead> make_aead(CipherSuite s, std::span<const uint8_t> key,
                                      std::span<const uint8_t> iv);
std::unique_ptr<HeaderProtector> make_header_protector(CipherSuite s, std::span<const uint8_t> hp_key);
DirectionalKeys derive_keys(CipherSuite s, std::span<const uint8_t> secret);
// Key update (RFC 9001 §6.1): next secret = HKDF-Expand-Label(secret, "quic ku", "", Hash.len);
// new AEAD key and IV from it; the header-protection key does not change (hp is null).
DirectionalKeys derive_next_generation(const DirectionalKeys& current);

}  // namespace braid::crypto

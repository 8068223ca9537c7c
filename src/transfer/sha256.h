// SHA-256 from GnuTLS, incremental: per-chunk trailers and the end-to-end digest.
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace braid::transfer {

using Digest = std::array<uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  Sha256(Sha256&& o) noexcept;
  Sha256& operator=(Sha256&& o) noexcept;

  void update(std::span<const uint8_t> data);
  // The digest of everything fed so far; the hasher starts over afterwards.
  Digest finish();
  static Digest of(std::span<const uint8_t> data);

 private:
  void* h_ = nullptr;   // gnutls_hash_hd_t
};

std::string to_hex(std::span<const uint8_t> bytes);

}  // namespace braid::transfer

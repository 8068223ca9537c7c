#include "transfer/sha256.h"

#include <gnutls/crypto.h>

#include <cstdlib>
#include <utility>

namespace braid::transfer {

Sha256::Sha256() {
  gnutls_hash_hd_t h;
  // Fails only when GnuTLS cannot allocate or lacks SHA-256, neither of which a build that
  // negotiated TLS 1.3 can meet; there is no sane way to go on without it.
  if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0) std::abort();
  h_ = h;
}

Sha256::~Sha256() {
  if (h_) gnutls_hash_deinit(static_cast<gnutls_hash_hd_t>(h_), nullptr);
}

Sha256::Sha256(Sha256&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}

Sha256& Sha256::operator=(Sha256&& o) noexcept {
  if (this != &o) {
    if (h_) gnutls_hash_deinit(static_cast<gnutls_hash_hd_t>(h_), nullptr);
    h_ = std::exchange(o.h_, nullptr);
  }
  return *this;
}

void Sha256::update(std::span<const uint8_t> data) {
  if (!data.empty()) gnutls_hash(static_cast<gnutls_hash_hd_t>(h_), data.data(), data.size());
}

Digest Sha256::finish() {
  Digest d;
  gnutls_hash_output(static_cast<gnutls_hash_hd_t>(h_), d.data());   // also resets the state
  return d;
}

Digest Sha256::of(std::span<const uint8_t> data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

std::string to_hex(std::span<const uint8_t> bytes) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 15]);
  }
  return s;
}

}  // namespace braid::transfer

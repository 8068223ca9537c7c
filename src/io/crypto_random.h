// The runtime's source of randomness for the core: GnuTLS's CSPRNG (gnutls_rnd with
// GNUTLS_RND_RANDOM), suitable for connection IDs, tokens and reset keys.
#pragma once
#include "braid/random.h"

namespace braid::io {

class CryptoRandom final : public Random {
 public:
  // Aborts if the system generator fails: running without randomness would be unsafe.
  void fill(std::span<uint8_t> out) override;
};

}  // namespace braid::io

// gnutls_rnd-backed Random for real connections.
#include "io/crypto_random.h"

#include <gnutls/crypto.h>

#include <cstdio>
#include <cstdlib>

namespace braid::io {

void CryptoRandom::fill(std::span<uint8_t> out) {
  if (out.empty()) return;
  if (gnutls_rnd(GNUTLS_RND_RANDOM, out.data(), out.size()) != 0) {
    std::fputs("braid: gnutls_rnd failed; refusing to continue without randomness\n", stderr);
    std::abort();
  }
}

}  // namespace braid::io

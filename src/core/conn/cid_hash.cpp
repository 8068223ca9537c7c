// SipHash-2-4 over a connection ID (libsodium's crypto_shorthash_siphash24).
#include <sodium.h>

#include <cstring>

#include "core/conn/cid_hash.h"

namespace braid {

static_assert(sizeof(KeyedConnectionIdHash::key) == crypto_shorthash_siphash24_KEYBYTES);

size_t KeyedConnectionIdHash::operator()(const ConnectionId& c) const noexcept {
  uint8_t out[crypto_shorthash_siphash24_BYTES];
  crypto_shorthash_siphash24(out, c.data(), c.size(), key.data());
  uint64_t h;
  std::memcpy(&h, out, sizeof h);
  return static_cast<size_t>(h);
}

}  // namespace braid

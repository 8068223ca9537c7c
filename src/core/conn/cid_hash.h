// Keyed connection-ID hashing (declared in braid/types.h): a fresh random key per table.
#pragma once
#include "braid/random.h"
#include "braid/types.h"

namespace braid::conn {

using KeyedCidHash = KeyedConnectionIdHash;

inline KeyedConnectionIdHash random_cid_hash(Random& rng) {
  KeyedConnectionIdHash h;
  rng.fill(h.key);
  return h;
}

}  // namespace braid::conn

// Worker steering by connection ID (ConnectionConfig::cid_worker_count): a server's CIDs
// carry their worker in the first byte, modulo the worker count, which is what the
// kernel-side reuseport program reads (src/io/reuseport_steering.h).
#pragma once
#include <cstdint>

#include "braid/types.h"

namespace braid::conn {

// Rewrites cid[0] to the nearest value ≡ index (mod count), keeping the rest random.
inline void mark_cid_worker(ConnectionId& cid, uint8_t index, uint8_t count) {
  if (count < 2 || cid.size() == 0) return;
  uint8_t* b = cid.data();
  unsigned v = b[0] - b[0] % count + index;
  if (v > 255) v -= count;
  b[0] = static_cast<uint8_t>(v);
}

}  // namespace braid::conn

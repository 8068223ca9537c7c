// libFuzzer target: the long/short header parser (both CID lengths a server uses) and the
// DCID peek the endpoint demultiplexes with, then a walk over coalesced packets.
#include <cstddef>
#include <cstdint>

#include "core/wire/packet_header.h"

using namespace braid;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> d(data, size);
  for (size_t cid_len : {size_t{0}, size_t{8}, size_t{20}}) {
    (void)wire::peek_dcid(d, cid_len);
    size_t off = 0;
    for (int i = 0; i < 8 && off < d.size(); ++i) {
      auto h = wire::parse_header(d.subspan(off), cid_len);
      if (!h || h->packet_length == 0) break;
      off += h->packet_length;
    }
  }
  return 0;
}

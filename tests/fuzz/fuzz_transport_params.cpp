// libFuzzer target: transport-parameter decoding as either side would receive it; what
// decodes must encode and decode again to the same value.
#include <cstddef>
#include <cstdint>

#include "core/wire/transport_params.h"

using namespace braid;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> d(data, size);
  for (auto sender : {Perspective::kClient, Perspective::kServer}) {
    auto tp = wire::TransportParameters::decode(d, sender);
    if (!tp) continue;
    auto again = wire::TransportParameters::decode(tp->encode(), sender);
    if (!again) __builtin_trap();   // our own encoding must be valid
  }
  return 0;
}

// libFuzzer target: the frame decoder on arbitrary payloads (every frame type, the
// multipath ones included), plus the placement and ack-eliciting rules on what it decodes.
// A decoded frame must re-encode.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/wire/frame_codec.h"

using namespace braid;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wire::Reader r(std::span<const uint8_t>(data, size));
  std::vector<uint8_t> out(size + 64);
  while (!r.empty()) {
    uint64_t type = 0;
    auto f = wire::decode_frame(r, &type);
    if (!f) break;
    (void)wire::frame_allowed_in(type, wire::PacketKind::kOneRtt);
    (void)wire::frame_is_ack_eliciting(type);
    wire::Writer w(out);
    (void)wire::encode_frame(w, *f);
  }
  return 0;
}

// libFuzzer target: `braid netem` control lines (stdin and control socket input).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tools/braid/netem_control.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)braid::tool::parse_control_line(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

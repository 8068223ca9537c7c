// libFuzzer target: the simulator's scenario loader on arbitrary TOML or JSON text (the
// first byte picks which).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sim/scenario_loader.h"

using namespace braid;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  sim::LoadOptions opts;   // no traces directory: trace references are errors
  if (data[0] & 1) (void)sim::parse_scenario_json(text, "fuzz", opts);
  else (void)sim::parse_scenario_toml(text, "fuzz", opts);
  return 0;
}

// libFuzzer target: hq-interop request lines as the file server gets them from a client,
// and the path resolution that must never leave the served root.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "tools/braid/hq_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string root = [] {
    auto r = std::filesystem::temp_directory_path() / "braid-fuzz-root";
    std::filesystem::create_directories(r / "sub");
    return std::filesystem::canonical(r).string();
  }();
  auto path = braid::tool::hq_request_path(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!path) return 0;
  auto file = braid::tool::resolve_under_root(root, *path);
  if (file && !(*file == root || file->starts_with(root + "/"))) __builtin_trap();   // escaped the root
  return 0;
}

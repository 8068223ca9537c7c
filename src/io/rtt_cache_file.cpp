// File side of the RTT prior cache: bounded read, write-to-temp-then-rename save.
#include "io/rtt_cache_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include <fmt/format.h>

namespace braid::io {
namespace fs = std::filesystem;

std::expected<void, std::string> load_rtt_cache(const std::string& path, RttPriorStore& store) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) return {};
  if (ec) return std::unexpected(fmt::format("{}: {}", path, ec.message()));
  if (status.type() != fs::file_type::regular) return std::unexpected(fmt::format("{}: not a regular file", path));
  auto bytes = fs::file_size(path, ec);
  if (ec) return std::unexpected(fmt::format("{}: {}", path, ec.message()));
  if (bytes > kMaxRttCacheFileBytes) {
    return std::unexpected(fmt::format("{}: {} bytes is larger than the {} byte limit", path, bytes,
                                       kMaxRttCacheFileBytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::string text;
  text.reserve(static_cast<size_t>(bytes));
  // Read at most the limit even if the file grew since file_size().
  std::istreambuf_iterator<char> it(in), end;
  for (; it != end && text.size() <= kMaxRttCacheFileBytes; ++it) text.push_back(*it);
  if (in.bad()) return std::unexpected(fmt::format("{}: read error", path));
  if (text.size() > kMaxRttCacheFileBytes) return std::unexpected(fmt::format("{}: file too large", path));
  auto loaded = store.load_text(text);
  if (!loaded) return std::unexpected(fmt::format("{}: {}", path, loaded.error()));
  return {};
}

std::expected<void, std::string> save_rtt_cache(const std::string& path, const RttPriorStore& store) {
  const std::string tmp = path + ".tmp";
  const std::string text = store.to_text();
  std::error_code ec;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return std::unexpected(fmt::format("{}: cannot create: {}", tmp, std::strerror(errno)));
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) {
      fs::remove(tmp, ec);
      return std::unexpected(fmt::format("{}: write failed", tmp));
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    return std::unexpected(fmt::format("{}: rename from {} failed: {}", path, tmp, ec.message()));
  }
  return {};
}

}  // namespace braid::io

// hq-interop request parsing and path resolution (see hq_request.h).
#include "tools/braid/hq_request.h"

#include <filesystem>

#include "tools/braid/file_server.h"

namespace braid::tool {

std::expected<std::string, uint64_t> hq_request_path(std::string_view req) {
  if (auto nl = req.find('\n'); nl != std::string_view::npos) req = req.substr(0, nl);
  if (!req.empty() && req.back() == '\r') req.remove_suffix(1);
  if (!req.starts_with("GET /")) return std::unexpected(kHqBadRequest);
  std::string_view path = req.substr(4);
  if (auto sp = path.find(' '); sp != std::string_view::npos) path = path.substr(0, sp);  // "GET /x HTTP/1.0"
  if (auto q = path.find_first_of("?#"); q != std::string_view::npos) path = path.substr(0, q);
  if (path.find('\0') != std::string_view::npos) return std::unexpected(kHqBadRequest);
  return std::string(path);
}

std::expected<std::string, uint64_t> resolve_under_root(const std::string& root_canonical, std::string_view path) {
  namespace fs = std::filesystem;
  if (root_canonical.empty()) return std::unexpected(kHqNotFound);
  std::error_code ec;
  fs::path full = fs::weakly_canonical(fs::path(root_canonical) / fs::path(path).relative_path(), ec);
  if (ec) return std::unexpected(kHqNotFound);
  std::string s = full.string();
  if (s != root_canonical && !(s.starts_with(root_canonical) && s[root_canonical.size()] == '/')) {
    return std::unexpected(kHqBadRequest);
  }
  return s;
}

}  // namespace braid::tool

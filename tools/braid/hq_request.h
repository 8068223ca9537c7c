// hq-interop requests ("GET /path", HTTP/0.9 style) as the file server reads them: the
// path of a request line, and that path resolved under the served root without escaping
// it. Refusals carry the RESET_STREAM code the server answers with (file_server.h).
#pragma once
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace braid::tool {

// "GET /a/b?x#y HTTP/1.0\r\n..." -> "/a/b"; kHqBadRequest when it is not a GET of a path.
std::expected<std::string, uint64_t> hq_request_path(std::string_view request);
// `path` under `root_canonical` (already canonical) after following ".." and symlinks:
// kHqNotFound without a root or on a resolution error, kHqBadRequest when it leaves the root.
std::expected<std::string, uint64_t> resolve_under_root(const std::string& root_canonical, std::string_view path);

}  // namespace braid::tool

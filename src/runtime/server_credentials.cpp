// prepare_server_credentials: file checks with errno text, a trial load through the public
// certificate calls (braid/certificate.h), and generation for "localhost" plus the listen address.
#include "runtime/server_credentials.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fmt/format.h>

#include "braid/certificate.h"

namespace braid::runtime {

namespace {
ApiStatus readable(const std::string& what, const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return api_fail(ApiErrorCode::kInvalid, fmt::format("{} {}: {}", what, path, std::strerror(errno)));
  ::close(fd);
  return {};
}
}  // namespace

ApiResult<std::string> prepare_server_credentials(TlsOptions& tls, const SocketAddress& listen, bool generate,
                                                  Random& rng) {
  bool has_files = !tls.cert_file.empty() || !tls.key_file.empty();
  bool has_pem = !tls.cert_pem.empty() || !tls.key_pem.empty();
  if (has_files || has_pem) {
    if (has_files && (tls.cert_file.empty() || tls.key_file.empty())) {
      return api_fail(ApiErrorCode::kInvalid, "a certificate file needs its key file and the other way round");
    }
    if (has_files) {
      if (auto ok = readable("certificate file", tls.cert_file); !ok) return std::unexpected(ok.error());
      if (auto ok = readable("key file", tls.key_file); !ok) return std::unexpected(ok.error());
    }
    if (auto ok = check_server_credentials(tls); !ok) return std::unexpected(ok.error());
    return std::string();
  }
  if (!generate) return api_fail(ApiErrorCode::kInvalid, "a server needs a certificate and key (or generation on)");
  std::vector<std::string> names{"localhost"};
  bool wildcard = listen.ip == std::array<uint8_t, 16>{};
  if (wildcard) {
    names.push_back(listen.family == SocketAddress::Family::kV6 ? "::1" : "127.0.0.1");
  } else {
    names.push_back(listen.ip_string());
  }
  auto cert = generate_self_signed_certificate(names, rng.next_u64() >> 1, std::time(nullptr) - 3600, 30);
  if (!cert) return std::unexpected(cert.error());
  tls.cert_pem = cert->cert_pem;
  tls.key_pem = cert->key_pem;
  return cert->sha256_fingerprint;
}

}  // namespace braid::runtime

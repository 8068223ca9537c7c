// The public certificate calls (braid/certificate.h) over the TLS layer's own.
#include "braid/certificate.h"

#include "core/crypto/tls_session.h"

namespace braid {

ApiResult<Certificate> generate_self_signed_certificate(const std::vector<std::string>& dns_names, uint64_t serial,
                                                        int64_t not_before_unix, int64_t validity_days) {
  if (dns_names.empty()) return api_fail(ApiErrorCode::kInvalid, "a certificate needs at least one name");
  if (validity_days <= 0) return api_fail(ApiErrorCode::kInvalid, "a certificate needs a validity of at least one day");
  auto c = crypto::generate_self_signed(dns_names, serial, not_before_unix, validity_days);
  if (!c) return api_fail(ApiErrorCode::kInvalid, "cannot generate a certificate: " + c.error().reason);
  return Certificate{c->cert_pem, c->key_pem, c->sha256_fingerprint};
}

ApiStatus check_server_credentials(const TlsOptions& tls) {
  auto creds = crypto::TlsCredentials::load_server(tls.cert_pem, tls.key_pem, tls.cert_file, tls.key_file);
  if (!creds) return api_fail(ApiErrorCode::kInvalid, "certificate or key not usable: " + creds.error().reason);
  return {};
}

}  // namespace braid

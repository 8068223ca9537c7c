// TLS credentials for servers without a certificate of their own, and a check that given
// credentials load, both without reaching into the TLS layer (GnuTLS stays behind them).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "braid/config.h"
#include "braid/error.h"

namespace braid {

struct Certificate {
  std::string cert_pem;
  std::string key_pem;
  std::string sha256_fingerprint;  // "AB:CD:..." of the DER certificate (for pinning by hand)
};

// A self-signed ECDSA P-256 certificate for `dns_names` (IP literals become IP subject
// alternative names), valid from `not_before_unix` for `validity_days`. Fails with
// kInvalid (no names, a bad validity) and the reason.
ApiResult<Certificate> generate_self_signed_certificate(const std::vector<std::string>& dns_names, uint64_t serial,
                                                        int64_t not_before_unix, int64_t validity_days);

// Loads the server credentials of `tls` (PEM strings or files) as a connection would;
// kInvalid with the reason when they do not parse or the key does not match.
ApiStatus check_server_credentials(const TlsOptions& tls);

}  // namespace braid

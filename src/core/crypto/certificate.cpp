// Self-signed ECDSA P-256 certificates for servers started without one (tests, the simulator,
// `braid server` without --cert). Key generation uses GnuTLS's own RNG, like the handshake.
#include <arpa/inet.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <memory>

#include "core/crypto/tls_session.h"

namespace braid::crypto {
namespace {

struct PrivkeyDeleter { void operator()(gnutls_x509_privkey_t k) const { gnutls_x509_privkey_deinit(k); } };
struct CrtDeleter { void operator()(gnutls_x509_crt_t c) const { gnutls_x509_crt_deinit(c); } };
struct AbstractKeyDeleter { void operator()(gnutls_privkey_t k) const { gnutls_privkey_deinit(k); } };
using X509Key = std::unique_ptr<std::remove_pointer_t<gnutls_x509_privkey_t>, PrivkeyDeleter>;
using X509Crt = std::unique_ptr<std::remove_pointer_t<gnutls_x509_crt_t>, CrtDeleter>;
using AbstractKey = std::unique_ptr<std::remove_pointer_t<gnutls_privkey_t>, AbstractKeyDeleter>;

std::unexpected<TransportError> gnutls_fail(const char* what, int rv) {
  return fail(TransportErrorCode::kInternalError, std::string(what) + ": " + gnutls_strerror(rv));
}

Result<std::string> export_pem(int rv, gnutls_datum_t& d, const char* what) {
  if (rv < 0) return gnutls_fail(what, rv);
  std::string out(reinterpret_cast<const char*>(d.data), d.size);
  gnutls_free(d.data);
  return out;
}

}  // namespace

Result<GeneratedCertificate> generate_self_signed(const std::vector<std::string>& dns_names, uint64_t serial,
                                                  int64_t not_before_unix, int64_t validity_days) {
  if (dns_names.empty()) return fail(TransportErrorCode::kInternalError, "certificate needs at least one name");
  if (validity_days <= 0) return fail(TransportErrorCode::kInternalError, "validity must be positive");

  gnutls_x509_privkey_t raw_key;
  if (int rv = gnutls_x509_privkey_init(&raw_key); rv < 0) return gnutls_fail("privkey init", rv);
  X509Key key(raw_key);
  if (int rv = gnutls_x509_privkey_generate(key.get(), GNUTLS_PK_ECDSA,
                                            GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
      rv < 0) {
    return gnutls_fail("key generation", rv);
  }

  gnutls_x509_crt_t raw_crt;
  if (int rv = gnutls_x509_crt_init(&raw_crt); rv < 0) return gnutls_fail("crt init", rv);
  X509Crt crt(raw_crt);

  // Serial: big-endian, minimal, with a leading zero when the top bit is set (must be positive).
  uint8_t serial_bytes[9];
  size_t n = 0;
  bool started = false;
  for (int shift = 56; shift >= 0; shift -= 8) {
    const auto b = static_cast<uint8_t>(serial >> shift);
    if (!started && b == 0 && shift > 0) continue;
    if (!started && (b & 0x80)) serial_bytes[n++] = 0;
    started = true;
    serial_bytes[n++] = b;
  }

  const time_t not_before = static_cast<time_t>(not_before_unix);
  const time_t not_after = static_cast<time_t>(not_before_unix + validity_days * 86400);
  const std::string& cn = dns_names.front();
  int rv = 0;
  if ((rv = gnutls_x509_crt_set_version(crt.get(), 3)) < 0 ||
      (rv = gnutls_x509_crt_set_serial(crt.get(), serial_bytes, n)) < 0 ||
      (rv = gnutls_x509_crt_set_activation_time(crt.get(), not_before)) < 0 ||
      (rv = gnutls_x509_crt_set_expiration_time(crt.get(), not_after)) < 0 ||
      (rv = gnutls_x509_crt_set_dn_by_oid(crt.get(), GNUTLS_OID_X520_COMMON_NAME, 0, cn.data(),
                                          static_cast<unsigned>(cn.size()))) < 0 ||
      (rv = gnutls_x509_crt_set_key(crt.get(), key.get())) < 0 ||
      (rv = gnutls_x509_crt_set_basic_constraints(crt.get(), 0, -1)) < 0 ||
      (rv = gnutls_x509_crt_set_key_usage(crt.get(), GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
      (rv = gnutls_x509_crt_set_key_purpose_oid(crt.get(), GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0) {
    return gnutls_fail("certificate fields", rv);
  }
  for (const std::string& name : dns_names) {
    unsigned char ip[16];
    if (inet_pton(AF_INET, name.c_str(), ip) == 1) {
      rv = gnutls_x509_crt_set_subject_alt_name(crt.get(), GNUTLS_SAN_IPADDRESS, ip, 4, GNUTLS_FSAN_APPEND);
    } else if (inet_pton(AF_INET6, name.c_str(), ip) == 1) {
      rv = gnutls_x509_crt_set_subject_alt_name(crt.get(), GNUTLS_SAN_IPADDRESS, ip, 16, GNUTLS_FSAN_APPEND);
    } else {
      rv = gnutls_x509_crt_set_subject_alt_name(crt.get(), GNUTLS_SAN_DNSNAME, name.data(),
                                                static_cast<unsigned>(name.size()), GNUTLS_FSAN_APPEND);
    }
    if (rv < 0) return gnutls_fail("subject alt name", rv);
  }

  gnutls_privkey_t raw_signer;
  if ((rv = gnutls_privkey_init(&raw_signer)) < 0) return gnutls_fail("privkey init", rv);
  AbstractKey signer(raw_signer);
  if ((rv = gnutls_privkey_import_x509(signer.get(), key.get(), 0)) < 0) return gnutls_fail("privkey import", rv);
  if ((rv = gnutls_x509_crt_privkey_sign(crt.get(), crt.get(), signer.get(), GNUTLS_DIG_SHA256, 0)) < 0) {
    return gnutls_fail("self-sign", rv);
  }

  GeneratedCertificate out;
  gnutls_datum_t d{};
  auto cert_pem = export_pem(gnutls_x509_crt_export2(crt.get(), GNUTLS_X509_FMT_PEM, &d), d, "export certificate");
  if (!cert_pem) return std::unexpected(cert_pem.error());
  d = {};
  auto key_pem = export_pem(gnutls_x509_privkey_export2(key.get(), GNUTLS_X509_FMT_PEM, &d), d, "export key");
  if (!key_pem) return std::unexpected(key_pem.error());
  out.cert_pem = std::move(*cert_pem);
  out.key_pem = std::move(*key_pem);

  unsigned char fp[32];
  size_t fp_len = sizeof(fp);
  if ((rv = gnutls_x509_crt_get_fingerprint(crt.get(), GNUTLS_DIG_SHA256, fp, &fp_len)) < 0) {
    return gnutls_fail("fingerprint", rv);
  }
  static constexpr char kDigits[] = "0123456789ABCDEF";
  for (size_t i = 0; i < fp_len; ++i) {
    if (i) out.sha256_fingerprint.push_back(':');
    out.sha256_fingerprint.push_back(kDigits[fp[i] >> 4]);
    out.sha256_fingerprint.push_back(kDigits[fp[i] & 15]);
  }
  return out;
}

}  // namespace braid::crypto

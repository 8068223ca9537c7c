// TlsSession on GnuTLS's QUIC API. GnuTLS never touches a transport here: received CRYPTO
// bytes go in with gnutls_handshake_write, and everything GnuTLS wants to send (handshake
// bytes, alerts, secrets, key-log lines) arrives through per-session callbacks that only
// queue events for the connection to poll.
#include "core/crypto/tls_session.h"

#include <atomic>

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <string_view>

namespace braid::crypto {
namespace {

constexpr uint16_t kQuicTransportParametersExt = 0x39;

// TLS 1.3 only, QUIC's AEADs only (no CCM: we have no CCM packet protection), no
// middlebox-compatibility mode (RFC 9001 §8.4 forbids it), groups small enough that the
// ClientHello fits one Initial.
constexpr std::string_view kPriorityBase =
    "%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-X25519:"
    "+GROUP-SECP256R1:+GROUP-SECP384R1:+GROUP-SECP521R1:-CIPHER-ALL";

uint64_t crypto_error(unsigned alert) {
  return static_cast<uint64_t>(TransportErrorCode::kCryptoErrorBase) + (alert & 0xff);
}


EncryptionLevel from_gnutls(gnutls_record_encryption_level_t l) {
  switch (l) {
    case GNUTLS_ENCRYPTION_LEVEL_INITIAL: return EncryptionLevel::kInitial;
    case GNUTLS_ENCRYPTION_LEVEL_EARLY: return EncryptionLevel::kEarlyData;
    case GNUTLS_ENCRYPTION_LEVEL_HANDSHAKE: return EncryptionLevel::kHandshake;
    case GNUTLS_ENCRYPTION_LEVEL_APPLICATION: return EncryptionLevel::kApplication;
  }
  return EncryptionLevel::kInitial;
}

gnutls_record_encryption_level_t to_gnutls(EncryptionLevel l) {
  switch (l) {
    case EncryptionLevel::kInitial: return GNUTLS_ENCRYPTION_LEVEL_INITIAL;
    case EncryptionLevel::kEarlyData: return GNUTLS_ENCRYPTION_LEVEL_EARLY;
    case EncryptionLevel::kHandshake: return GNUTLS_ENCRYPTION_LEVEL_HANDSHAKE;
    case EncryptionLevel::kApplication: return GNUTLS_ENCRYPTION_LEVEL_APPLICATION;
  }
  return GNUTLS_ENCRYPTION_LEVEL_INITIAL;
}

std::optional<CipherSuite> suite_of(gnutls_cipher_algorithm_t c) {
  switch (c) {
    case GNUTLS_CIPHER_AES_128_GCM: return CipherSuite::kAes128Gcm;
    case GNUTLS_CIPHER_AES_256_GCM: return CipherSuite::kAes256Gcm;
    case GNUTLS_CIPHER_CHACHA20_POLY1305: return CipherSuite::kChacha20Poly1305;
    default: return std::nullopt;
  }
}

std::string_view priority_name(CipherSuite s) {
  switch (s) {
    case CipherSuite::kAes128Gcm: return "+AES-128-GCM";
    case CipherSuite::kAes256Gcm: return "+AES-256-GCM";
    case CipherSuite::kChacha20Poly1305: return "+CHACHA20-POLY1305";
  }
  return "";
}

std::string priority_string(const std::vector<CipherSuite>& suites) {
  std::string p(kPriorityBase);
  const std::vector<CipherSuite> all = {CipherSuite::kAes128Gcm, CipherSuite::kAes256Gcm,
                                        CipherSuite::kChacha20Poly1305};
  for (CipherSuite s : suites.empty() ? all : suites) {
    p += ':';
    p += priority_name(s);
  }
  return p;
}

bool is_ip_literal(const std::string& name) {
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

std::string hex(const unsigned char* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 15]);
  }
  return out;
}

class GnutlsTlsSession final : public TlsSession {
 public:
  GnutlsTlsSession(const TlsConfig& cfg, std::vector<uint8_t> local_tp)
      : cfg_(cfg), local_tp_(std::move(local_tp)) {}

  ~GnutlsTlsSession() override {
    if (session_) gnutls_deinit(session_);
    if (cred_ && !cfg_.server_credentials) gnutls_certificate_free_credentials(cred_);
  }
  GnutlsTlsSession(const GnutlsTlsSession&) = delete;
  GnutlsTlsSession& operator=(const GnutlsTlsSession&) = delete;

  Status init();

  Status start() override {
    if (cfg_.perspective == Perspective::kServer) return {};
    if (failed_) return std::unexpected(*failed_);
    return drive_handshake();
  }

  Status provide_data(EncryptionLevel level, std::span<const uint8_t> data) override {
    if (failed_) return std::unexpected(*failed_);
    if (!data.empty()) {
      const int rv = gnutls_handshake_write(session_, to_gnutls(level), data.data(), data.size());
      if ((rv < 0 && gnutls_error_is_fatal(rv)) || failed_) return fatal(rv);
    }
    // After completion the bytes are post-handshake messages (NewSessionTicket), which
    // gnutls_handshake_write consumes on its own; gnutls_handshake must not run again.
    if (complete_) return {};
    return drive_handshake();
  }

  std::optional<std::pair<EncryptionLevel, std::vector<uint8_t>>> poll_output() override {
    if (output_.empty()) return std::nullopt;
    auto out = std::move(output_.front());
    output_.pop_front();
    return out;
  }

  std::optional<SecretEvent> poll_secret() override {
    if (secrets_.empty()) return std::nullopt;
    auto out = std::move(secrets_.front());
    secrets_.pop_front();
    return out;
  }

  bool handshake_complete() const override { return complete_; }
  const std::optional<std::vector<uint8_t>>& peer_transport_params() const override { return peer_tp_; }
  std::string negotiated_alpn() const override {
    gnutls_datum_t proto{};
    if (gnutls_alpn_get_selected_protocol(session_, &proto) != 0) return {};
    return std::string(reinterpret_cast<const char*>(proto.data), proto.size);
  }
  std::optional<CipherSuite> negotiated_suite() const override { return suite_; }

 private:
  Status init_credentials();
  Status init_alpn();

  Status drive_handshake() {
    const int rv = gnutls_handshake(session_);
    if (failed_) return fatal(rv);
    if (rv == GNUTLS_E_SUCCESS) {
      complete_ = true;
      return {};
    }
    // AGAIN / INTERRUPTED (and other non-fatal codes): TLS waits for more CRYPTO data.
    if (!gnutls_error_is_fatal(rv)) return {};
    return fatal(rv);
  }

  // Turns a fatal GnuTLS error into CRYPTO_ERROR (0x100 + the alert GnuTLS would send).
  std::unexpected<TransportError> fatal(int rv) {
    if (!failed_) {
      pending_alert_.reset();
      gnutls_alert_send_appropriate(session_, rv);  // reported through on_alert
      int level = 0;
      int alert = pending_alert_ ? *pending_alert_ : gnutls_error_to_alert(rv, &level);
      if (alert < 0) alert = GNUTLS_A_INTERNAL_ERROR;
      failed_ = TransportError{crypto_error(static_cast<unsigned>(alert)), 0,
                               std::string("TLS: ") + gnutls_strerror(rv), false};
    }
    output_.clear();  // nothing but CONNECTION_CLOSE goes out after a fatal TLS error
    return std::unexpected(*failed_);
  }

  void fail_with(unsigned alert, std::string why) {
    if (!failed_) failed_ = TransportError{crypto_error(alert), 0, std::move(why), false};
  }

  // Peer requirements that GnuTLS cannot enforce itself, checked once the peer's first
  // flight has been parsed (server: ClientHello, before handshake keys; client:
  // EncryptedExtensions, before application keys).
  bool peer_requirements_met() {
    if (!peer_tp_) {
      fail_with(GNUTLS_A_MISSING_EXTENSION, "peer sent no quic_transport_parameters extension");
      return false;
    }
    if (!cfg_.alpn.empty() && negotiated_alpn().empty()) {
      fail_with(GNUTLS_A_NO_APPLICATION_PROTOCOL, "no application protocol negotiated");
      return false;
    }
    return true;
  }

  static GnutlsTlsSession* self(gnutls_session_t s) {
    return static_cast<GnutlsTlsSession*>(gnutls_session_get_ptr(s));
  }

  static int on_secret(gnutls_session_t s, gnutls_record_encryption_level_t glevel, const void* read_secret,
                       const void* write_secret, size_t secret_size) {
    GnutlsTlsSession* t = self(s);
    const EncryptionLevel level = from_gnutls(glevel);
    const bool is_server = t->cfg_.perspective == Perspective::kServer;
    if ((is_server && level == EncryptionLevel::kHandshake) || (!is_server && level == EncryptionLevel::kApplication)) {
      if (!t->peer_requirements_met()) return GNUTLS_E_INTERNAL_ERROR;
    }
    const auto suite =
        suite_of(level == EncryptionLevel::kEarlyData ? gnutls_early_cipher_get(s) : gnutls_cipher_get(s));
    if (!suite) {
      t->fail_with(GNUTLS_A_HANDSHAKE_FAILURE, "negotiated cipher is not a QUIC cipher suite");
      return GNUTLS_E_INTERNAL_ERROR;
    }
    if (level != EncryptionLevel::kEarlyData) t->suite_ = suite;
    SecretEvent ev{level, *suite, {}, {}};
    if (read_secret) {
      const auto* p = static_cast<const uint8_t*>(read_secret);
      ev.read_secret.assign(p, p + secret_size);
    }
    if (write_secret) {
      const auto* p = static_cast<const uint8_t*>(write_secret);
      ev.write_secret.assign(p, p + secret_size);
    }
    t->secrets_.push_back(std::move(ev));
    return 0;
  }

  static int on_handshake_output(gnutls_session_t s, gnutls_record_encryption_level_t glevel,
                                 gnutls_handshake_description_t htype, const void* data, size_t len) {
    if (htype == GNUTLS_HANDSHAKE_CHANGE_CIPHER_SPEC) return 0;  // never on the wire in QUIC
    GnutlsTlsSession* t = self(s);
    const EncryptionLevel level = from_gnutls(glevel);
    const auto* p = static_cast<const uint8_t*>(data);
    // Coalesce consecutive messages of one level so a flight becomes one CRYPTO stream chunk.
    if (!t->output_.empty() && t->output_.back().first == level) {
      t->output_.back().second.insert(t->output_.back().second.end(), p, p + len);
    } else {
      t->output_.emplace_back(level, std::vector<uint8_t>(p, p + len));
    }
    return 0;
  }

  static int on_alert(gnutls_session_t s, gnutls_record_encryption_level_t, gnutls_alert_level_t,
                      gnutls_alert_description_t desc) {
    self(s)->pending_alert_ = static_cast<int>(desc);
    return 0;
  }

  static int on_tp_received(gnutls_session_t s, const unsigned char* data, size_t len) {
    self(s)->peer_tp_ = std::vector<uint8_t>(data, data + len);
    return 0;
  }

  static int on_tp_send(gnutls_session_t s, gnutls_buffer_t buf) {
    GnutlsTlsSession* t = self(s);
    const int rv = gnutls_buffer_append_data(buf, t->local_tp_.data(), t->local_tp_.size());
    return rv < 0 ? rv : static_cast<int>(t->local_tp_.size());
  }

  // Installed on every session, so GnuTLS's default (which appends to $SSLKEYLOGFILE) never
  // runs; lines go to cfg.keylog only when the caller asked for them.
  static int on_keylog(gnutls_session_t s, const char* label, const gnutls_datum_t* secret) {
    GnutlsTlsSession* t = self(s);
    if (!t->cfg_.keylog) return 0;
    gnutls_datum_t client_random{}, server_random{};
    gnutls_session_get_random(s, &client_random, &server_random);
    t->cfg_.keylog(std::string(label) + " " + hex(client_random.data, client_random.size) + " " +
                   hex(secret->data, secret->size));
    return 0;
  }

  TlsConfig cfg_;
  std::vector<uint8_t> local_tp_;
  gnutls_session_t session_ = nullptr;
  gnutls_certificate_credentials_t cred_ = nullptr;
  std::deque<std::pair<EncryptionLevel, std::vector<uint8_t>>> output_;
  std::deque<SecretEvent> secrets_;
  std::optional<std::vector<uint8_t>> peer_tp_;
  std::optional<CipherSuite> suite_;
  std::optional<int> pending_alert_;
  std::optional<TransportError> failed_;
  bool complete_ = false;
};

Status check(int rv, const char* what) {
  if (rv < 0) return fail(TransportErrorCode::kInternalError, std::string(what) + ": " + gnutls_strerror(rv));
  return {};
}

Status GnutlsTlsSession::init() {
  const bool server = cfg_.perspective == Perspective::kServer;
  // No ticket is sent automatically: we have no resumption yet, and a NewSessionTicket
  // would otherwise need a ticket key. EndOfEarlyData never exists in QUIC.
  const unsigned flags = (server ? GNUTLS_SERVER | GNUTLS_NO_AUTO_SEND_TICKET : GNUTLS_CLIENT) |
                         GNUTLS_NO_END_OF_EARLY_DATA;
  if (auto r = check(gnutls_init(&session_, flags), "gnutls_init"); !r) return r;
  gnutls_session_set_ptr(session_, this);

  const std::string priority = priority_string(cfg_.cipher_suites);
  if (auto r = check(gnutls_priority_set_direct(session_, priority.c_str(), nullptr), "priority"); !r) {
    return r;
  }

  gnutls_handshake_set_secret_function(session_, &GnutlsTlsSession::on_secret);
  gnutls_handshake_set_read_function(session_, &GnutlsTlsSession::on_handshake_output);
  gnutls_alert_set_read_function(session_, &GnutlsTlsSession::on_alert);
  gnutls_session_set_keylog_function(session_, &GnutlsTlsSession::on_keylog);

  const unsigned ext_flags = GNUTLS_EXT_FLAG_TLS | GNUTLS_EXT_FLAG_CLIENT_HELLO | GNUTLS_EXT_FLAG_EE;
  if (auto r = check(gnutls_session_ext_register(session_, "quic_transport_parameters", kQuicTransportParametersExt,
                                                 GNUTLS_EXT_TLS, &GnutlsTlsSession::on_tp_received,
                                                 &GnutlsTlsSession::on_tp_send, nullptr, nullptr, nullptr,
                                                 ext_flags),
                     "register quic_transport_parameters");
      !r) {
    return r;
  }

  if (auto s = init_credentials(); !s) return s;
  if (auto s = init_alpn(); !s) return s;

  if (!server && !cfg_.server_name.empty() && !is_ip_literal(cfg_.server_name)) {
    // SNI carries DNS names only (RFC 6066 §3); IP literals are still verified below.
    if (auto r = check(gnutls_server_name_set(session_, GNUTLS_NAME_DNS, cfg_.server_name.data(),
                                              cfg_.server_name.size()),
                       "server name");
        !r) {
      return r;
    }
  }
  return {};
}

Status GnutlsTlsSession::init_credentials() {
  if (cfg_.perspective == Perspective::kServer && cfg_.server_credentials) {
    cred_ = static_cast<gnutls_certificate_credentials_t>(cfg_.server_credentials->native());
    return check(gnutls_credentials_set(session_, GNUTLS_CRD_CERTIFICATE, cred_), "set credentials");
  }
  if (auto r = check(gnutls_certificate_allocate_credentials(&cred_), "credentials"); !r) {
    return r;
  }
  if (cfg_.perspective == Perspective::kServer) {
    int rv;
    if (!cfg_.cert_pem.empty()) {
      gnutls_datum_t cert{reinterpret_cast<unsigned char*>(cfg_.cert_pem.data()),
                          static_cast<unsigned>(cfg_.cert_pem.size())};
      gnutls_datum_t key{reinterpret_cast<unsigned char*>(cfg_.key_pem.data()),
                         static_cast<unsigned>(cfg_.key_pem.size())};
      rv = gnutls_certificate_set_x509_key_mem2(cred_, &cert, &key, GNUTLS_X509_FMT_PEM, nullptr, 0);
    } else if (!cfg_.cert_file.empty()) {
      rv = gnutls_certificate_set_x509_key_file2(cred_, cfg_.cert_file.c_str(), cfg_.key_file.c_str(),
                                                 GNUTLS_X509_FMT_PEM, nullptr, 0);
    } else {
      return fail(TransportErrorCode::kInternalError, "server needs a certificate and key");
    }
    if (auto r = check(rv, "server certificate"); !r) return r;
  } else if (!cfg_.insecure) {
    // A machine without a system store still works with ca_file, so only ca_file errors count.
    gnutls_certificate_set_x509_system_trust(cred_);
    if (!cfg_.ca_file.empty()) {
      const int n = gnutls_certificate_set_x509_trust_file(cred_, cfg_.ca_file.c_str(), GNUTLS_X509_FMT_PEM);
      if (n <= 0) {
        return fail(TransportErrorCode::kInternalError,
                    "no CA certificate loaded from " + cfg_.ca_file + (n < 0 ? std::string(": ") + gnutls_strerror(n) : ""));
      }
    }
    gnutls_session_set_verify_cert(session_, cfg_.server_name.empty() ? nullptr : cfg_.server_name.c_str(), 0);
  }
  if (auto r = check(gnutls_credentials_set(session_, GNUTLS_CRD_CERTIFICATE, cred_), "set credentials"); !r) {
    return r;
  }
  return {};
}

Status GnutlsTlsSession::init_alpn() {
  if (cfg_.alpn.empty()) return {};
  std::vector<gnutls_datum_t> protos;
  for (const std::string& a : cfg_.alpn) {
    if (a.empty() || a.size() > 255) return fail(TransportErrorCode::kInternalError, "invalid ALPN " + a);
    protos.push_back({reinterpret_cast<unsigned char*>(const_cast<char*>(a.data())), static_cast<unsigned>(a.size())});
  }
  if (auto r = check(gnutls_alpn_set_protocols(session_, protos.data(), static_cast<unsigned>(protos.size()),
                                               GNUTLS_ALPN_MANDATORY),
                     "ALPN");
      !r) {
    return r;
  }
  return {};
}

}  // namespace

namespace {
std::atomic<uint64_t> credential_loads{0};
}  // namespace

Result<std::shared_ptr<const TlsCredentials>> TlsCredentials::load_server(const std::string& cert_pem,
                                                                         const std::string& key_pem,
                                                                         const std::string& cert_file,
                                                                         const std::string& key_file) {
  std::shared_ptr<TlsCredentials> c(new TlsCredentials());
  gnutls_certificate_credentials_t cred = nullptr;
  if (auto r = check(gnutls_certificate_allocate_credentials(&cred), "credentials"); !r) return std::unexpected(r.error());
  c->handle_ = cred;
  int rv;
  if (!cert_pem.empty()) {
    gnutls_datum_t cert{reinterpret_cast<unsigned char*>(const_cast<char*>(cert_pem.data())),
                        static_cast<unsigned>(cert_pem.size())};
    gnutls_datum_t key{reinterpret_cast<unsigned char*>(const_cast<char*>(key_pem.data())),
                       static_cast<unsigned>(key_pem.size())};
    rv = gnutls_certificate_set_x509_key_mem2(cred, &cert, &key, GNUTLS_X509_FMT_PEM, nullptr, 0);
  } else if (!cert_file.empty()) {
    rv = gnutls_certificate_set_x509_key_file2(cred, cert_file.c_str(), key_file.c_str(), GNUTLS_X509_FMT_PEM, nullptr, 0);
  } else {
    return fail(TransportErrorCode::kInternalError, "server needs a certificate and key");
  }
  if (auto r = check(rv, "server certificate"); !r) return std::unexpected(r.error());
  credential_loads.fetch_add(1, std::memory_order_relaxed);
  return std::shared_ptr<const TlsCredentials>(std::move(c));
}

uint64_t TlsCredentials::loads() { return credential_loads.load(std::memory_order_relaxed); }

TlsCredentials::~TlsCredentials() {
  if (handle_) gnutls_certificate_free_credentials(static_cast<gnutls_certificate_credentials_t>(handle_));
}

Result<std::unique_ptr<TlsSession>> TlsSession::create(const TlsConfig& cfg,
                                                       std::vector<uint8_t> local_transport_params) {
  auto session = std::make_unique<GnutlsTlsSession>(cfg, std::move(local_transport_params));
  if (auto s = session->init(); !s) return std::unexpected(s.error());
  return std::unique_ptr<TlsSession>(std::move(session));
}

}  // namespace braid::crypto

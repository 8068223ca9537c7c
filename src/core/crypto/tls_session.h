// TLS 1.3 handshake for QUIC through GnuTLS's QUIC API (gnutls_handshake_write,
// read/secret/alert callbacks, extension 0x39 for transport parameters). Sans-IO: CRYPTO
// bytes go in per encryption level, handshake bytes and secrets come out as queued events.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "braid/error.h"
#include "braid/types.h"
#include "core/crypto/packet_keys.h"

namespace braid::crypto {

// A server's certificate and key, parsed once and shared by every connection of an
// endpoint (parsing PEM per connection cost ~0.4 ms of CPU for each junk Initial).
class TlsCredentials {
 public:
  static Result<std::shared_ptr<const TlsCredentials>> load_server(const std::string& cert_pem,
                                                                  const std::string& key_pem,
                                                                  const std::string& cert_file,
                                                                  const std::string& key_file);
  ~TlsCredentials();
  TlsCredentials(const TlsCredentials&) = delete;
  TlsCredentials& operator=(const TlsCredentials&) = delete;
  void* native() const { return handle_; }   // gnutls_certificate_credentials_t
  // Server credentials loaded by this process so far (tests check they are shared).
  static uint64_t loads();

 private:
  TlsCredentials() = default;
  void* handle_ = nullptr;
};

struct TlsConfig {
  Perspective perspective = Perspective::kClient;
  std::vector<std::string> alpn;       // offered (client) / accepted (server), in preference order
  std::string server_name;             // SNI and name to verify (client)
  // Server credentials: PEM strings (e.g. from generate_self_signed) or files.
  std::string cert_pem, key_pem;
  std::string cert_file, key_file;
  // Client verification: on by default against the system store; ca_file adds a CA;
  // insecure skips verification entirely (explicit opt-in).
  std::string ca_file;
  bool insecure = false;
  // NSS key-log lines ("CLIENT_HANDSHAKE_TRAFFIC_SECRET <random> <secret>") are passed here
  // when set; nothing is logged otherwise, whatever SSLKEYLOGFILE says.
  std::function<void(const std::string& line)> keylog;
  // Cipher suites to offer/accept, in preference order; empty = all three QUIC suites.
  std::vector<CipherSuite> cipher_suites;
  // Server: already-loaded credentials to use instead of cert_pem/key_pem/files.
  std::shared_ptr<const TlsCredentials> server_credentials;
};

struct SecretEvent {
  EncryptionLevel level;
  CipherSuite suite;
  std::vector<uint8_t> read_secret;    // empty if not installed at this step
  std::vector<uint8_t> write_secret;
};

class TlsSession {
 public:
  // local_transport_params: the encoded parameters we send in extension 0x39.
  static Result<std::unique_ptr<TlsSession>> create(const TlsConfig& cfg,
                                                    std::vector<uint8_t> local_transport_params);
  virtual ~TlsSession() = default;

  // Client: produces the ClientHello (poll_output). Server: no-op.
  virtual Status start() = 0;
  // Feeds in-order CRYPTO bytes received at `level` and advances the handshake.
  // TLS alerts become CRYPTO_ERROR (0x100 + alert).
  virtual Status provide_data(EncryptionLevel level, std::span<const uint8_t> data) = 0;

  // Handshake bytes to send, in order, tagged with their level.
  virtual std::optional<std::pair<EncryptionLevel, std::vector<uint8_t>>> poll_output() = 0;
  // New traffic secrets in the order TLS installed them.
  virtual std::optional<SecretEvent> poll_secret() = 0;

  virtual bool handshake_complete() const = 0;
  // Peer's raw transport parameters (available once received).
  virtual const std::optional<std::vector<uint8_t>>& peer_transport_params() const = 0;
  virtual std::string negotiated_alpn() const = 0;
  virtual std::optional<CipherSuite> negotiated_suite() const = 0;
};

// Self-signed certificate for a server that has none (GnuTLS x509 API, ECDSA P-256).
struct GeneratedCertificate {
  std::string cert_pem;
  std::string key_pem;
  std::string sha256_fingerprint;  // "AB:CD:..." of the DER certificate
};
Result<GeneratedCertificate> generate_self_signed(const std::vector<std::string>& dns_names,
                                                  uint64_t serial, int64_t not_before_unix,
                                                  int64_t validity_days);

}  // namespace braid::crypto

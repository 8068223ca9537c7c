// Client and server TlsSession driven against each other in memory: handshake flights,
// secrets, transport parameters, ALPN, certificate verification, key logging, and the
// CRYPTO_ERROR codes failures turn into.
#include "core/crypto/tls_session.h"

#include <gnutls/gnutls.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <unistd.h>

#include "hex.h"

namespace braid::crypto {
namespace {

const char* level_name(EncryptionLevel l) {
  switch (l) {
    case EncryptionLevel::kInitial: return "Initial";
    case EncryptionLevel::kEarlyData: return "0-RTT";
    case EncryptionLevel::kHandshake: return "Handshake";
    case EncryptionLevel::kApplication: return "1-RTT";
  }
  return "?";
}

const std::vector<uint8_t> kClientTp = {0x01, 0x02, 0x03};
const std::vector<uint8_t> kServerTp = {0x0f, 0x04, 0xaa, 0xbb, 0xcc, 0xdd};

struct Side {
  const char* name;
  std::unique_ptr<TlsSession> tls;
  std::vector<SecretEvent> secrets;
  std::optional<TransportError> error;
};

// Shuttles handshake bytes between the two sides until neither has anything to send. The
// trace records, per step, what each provide_data call released (secrets, then output).
class Exchange {
 public:
  Exchange(std::unique_ptr<TlsSession> client, std::unique_ptr<TlsSession> server)
      : client_{"client", std::move(client), {}, {}}, server_{"server", std::move(server), {}, {}} {}

  void run() {
    auto started = client_.tls->start();
    if (!started) client_.error = started.error();
    note("client start", client_);
    for (int round = 0; round < 20; ++round) {
      bool moved = deliver(client_, server_);
      moved |= deliver(server_, client_);
      if (!moved) break;
    }
  }

  Side& client() { return client_; }
  Side& server() { return server_; }
  const std::vector<std::string>& trace() const { return trace_; }

 private:
  bool deliver(Side& from, Side& to) {
    bool moved = false;
    while (!from.error && !to.error) {
      auto out = from.tls->poll_output();
      if (!out) break;
      moved = true;
      trace_.push_back(std::string(from.name) + " sends " + level_name(out->first));
      auto st = to.tls->provide_data(out->first, out->second);
      if (!st) to.error = st.error();
      note(std::string(to.name) + " reads " + level_name(out->first), to);
    }
    return moved;
  }

  void note(const std::string& step, Side& s) {
    std::string line = step + " ->";
    while (auto ev = s.tls->poll_secret()) {
      line += std::string(" secret[") + level_name(ev->level) + (ev->read_secret.empty() ? "" : " r") +
              (ev->write_secret.empty() ? "" : " w") + "]";
      s.secrets.push_back(std::move(*ev));
    }
    if (s.tls->handshake_complete()) line += " complete";
    if (s.error) line += " error " + std::to_string(s.error->code);
    trace_.push_back(line);
  }

  Side client_, server_;
  std::vector<std::string> trace_;
};

class TlsSessionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto cert = generate_self_signed({"localhost", "127.0.0.1"}, 0x1234, 1700000000, 3650);
    ASSERT_TRUE(cert.has_value()) << cert.error().reason;
    cert_ = new GeneratedCertificate(std::move(*cert));
    ca_path_ = new std::string(::testing::TempDir() + "braid_crypto_ca_" + std::to_string(getpid()) + ".pem");
    std::ofstream(*ca_path_) << cert_->cert_pem;
  }
  static void TearDownTestSuite() {
    std::remove(ca_path_->c_str());
    delete cert_;
    delete ca_path_;
  }

  static TlsConfig server_config() {
    TlsConfig c;
    c.perspective = Perspective::kServer;
    c.alpn = {"braid", "h3"};
    c.cert_pem = cert_->cert_pem;
    c.key_pem = cert_->key_pem;
    return c;
  }
  static TlsConfig client_config() {
    TlsConfig c;
    c.perspective = Perspective::kClient;
    c.alpn = {"braid"};
    c.server_name = "localhost";
    c.ca_file = *ca_path_;
    return c;
  }
  static Exchange handshake(const TlsConfig& client, const TlsConfig& server) {
    auto c = TlsSession::create(client, kClientTp);
    auto s = TlsSession::create(server, kServerTp);
    EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().reason);
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().reason);
    Exchange ex(std::move(*c), std::move(*s));
    ex.run();
    return ex;
  }

  static GeneratedCertificate* cert_;
  static std::string* ca_path_;
};
GeneratedCertificate* TlsSessionTest::cert_ = nullptr;
std::string* TlsSessionTest::ca_path_ = nullptr;

const SecretEvent* find_secret(const std::vector<SecretEvent>& v, EncryptionLevel l, bool write) {
  for (const auto& e : v) {
    if (e.level == l && !(write ? e.write_secret : e.read_secret).empty()) return &e;
  }
  return nullptr;
}

TEST_F(TlsSessionTest, HandshakeCompletesWithVerifiedCertificate) {
  Exchange ex = handshake(client_config(), server_config());
  // The order the connection code relies on: the server has its 1-RTT write key right after
  // the ClientHello (0.5-RTT), its 1-RTT read key only with the client Finished; the client
  // completes on the server's Handshake flight, with its Finished still to be sent.
  const std::vector<std::string> expected_trace = {
      "client start ->",
      "client sends Initial",
      "server reads Initial -> secret[Handshake r w] secret[1-RTT w]",
      "server sends Initial",
      "client reads Initial -> secret[Handshake r w]",
      "server sends Handshake",
      "client reads Handshake -> secret[1-RTT r w] complete",
      "client sends Handshake",
      "server reads Handshake -> secret[1-RTT r] complete",
  };
  EXPECT_EQ(ex.trace(), expected_trace);
  Side& c = ex.client();
  Side& s = ex.server();
  ASSERT_FALSE(c.error) << c.error->reason;
  ASSERT_FALSE(s.error) << s.error->reason;
  EXPECT_TRUE(c.tls->handshake_complete());
  EXPECT_TRUE(s.tls->handshake_complete());

  ASSERT_TRUE(c.tls->peer_transport_params().has_value());
  ASSERT_TRUE(s.tls->peer_transport_params().has_value());
  EXPECT_EQ(*c.tls->peer_transport_params(), kServerTp);
  EXPECT_EQ(*s.tls->peer_transport_params(), kClientTp);
  EXPECT_EQ(c.tls->negotiated_alpn(), "braid");
  EXPECT_EQ(s.tls->negotiated_alpn(), "braid");
  ASSERT_TRUE(c.tls->negotiated_suite().has_value());
  EXPECT_EQ(c.tls->negotiated_suite(), s.tls->negotiated_suite());

  for (EncryptionLevel l : {EncryptionLevel::kHandshake, EncryptionLevel::kApplication}) {
    const SecretEvent* cw = find_secret(c.secrets, l, true);
    const SecretEvent* cr = find_secret(c.secrets, l, false);
    const SecretEvent* sw = find_secret(s.secrets, l, true);
    const SecretEvent* sr = find_secret(s.secrets, l, false);
    ASSERT_TRUE(cw && cr && sw && sr) << level_name(l);
    EXPECT_EQ(cw->write_secret, sr->read_secret) << level_name(l);
    EXPECT_EQ(sw->write_secret, cr->read_secret) << level_name(l);
    EXPECT_NE(cw->write_secret, sw->write_secret);
    EXPECT_EQ(cw->write_secret.size(), secret_len(cw->suite));
    EXPECT_EQ(cw->suite, *c.tls->negotiated_suite());
  }
  // Nothing is ever installed for Initial (derived from the DCID) or 0-RTT (not offered).
  for (const auto* side : {&c, &s}) {
    for (const auto& e : side->secrets) {
      EXPECT_NE(e.level, EncryptionLevel::kInitial);
      EXPECT_NE(e.level, EncryptionLevel::kEarlyData);
    }
  }
}

TEST_F(TlsSessionTest, EachCipherSuiteCanBeNegotiated) {
  for (CipherSuite suite : {CipherSuite::kAes128Gcm, CipherSuite::kAes256Gcm, CipherSuite::kChacha20Poly1305}) {
    TlsConfig cc = client_config();
    cc.cipher_suites = {suite};
    Exchange ex = handshake(cc, server_config());
    ASSERT_FALSE(ex.client().error) << ex.client().error->reason;
    ASSERT_TRUE(ex.client().tls->handshake_complete());
    EXPECT_EQ(ex.server().tls->negotiated_suite(), suite);
    const SecretEvent* w = find_secret(ex.client().secrets, EncryptionLevel::kApplication, true);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->suite, suite);
    EXPECT_EQ(w->write_secret.size(), secret_len(suite));
  }
}

TEST_F(TlsSessionTest, VerificationWithoutTrustedCaFailsWithCryptoError) {
  TlsConfig cc = client_config();
  cc.ca_file.clear();  // system store only: the self-signed certificate is unknown
  Exchange ex = handshake(cc, server_config());
  ASSERT_TRUE(ex.client().error.has_value());
  EXPECT_GE(ex.client().error->code, 0x100u);
  EXPECT_LE(ex.client().error->code, 0x1ffu);
  EXPECT_EQ(ex.client().error->code, 0x100u + GNUTLS_A_BAD_CERTIFICATE) << ex.client().error->reason;
  EXPECT_FALSE(ex.client().tls->handshake_complete());
  EXPECT_FALSE(ex.client().tls->poll_output().has_value());
  // The session stays failed.
  const std::vector<uint8_t> junk = {0x16};
  auto again = ex.client().tls->provide_data(EncryptionLevel::kHandshake, junk);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ex.client().error->code);
}

TEST_F(TlsSessionTest, HostnameMismatchFails) {
  TlsConfig cc = client_config();
  cc.server_name = "example.com";
  Exchange ex = handshake(cc, server_config());
  ASSERT_TRUE(ex.client().error.has_value());
  EXPECT_EQ(ex.client().error->code, 0x100u + GNUTLS_A_BAD_CERTIFICATE);
}

TEST_F(TlsSessionTest, IpAddressServerNameVerifiesAgainstIpSan) {
  TlsConfig cc = client_config();
  cc.server_name = "127.0.0.1";
  Exchange ex = handshake(cc, server_config());
  ASSERT_FALSE(ex.client().error) << ex.client().error->reason;
  EXPECT_TRUE(ex.client().tls->handshake_complete());
}

TEST_F(TlsSessionTest, InsecureSkipsVerification) {
  TlsConfig cc = client_config();
  cc.ca_file.clear();
  cc.server_name = "not-the-cert-name.example";
  cc.insecure = true;
  Exchange ex = handshake(cc, server_config());
  ASSERT_FALSE(ex.client().error) << ex.client().error->reason;
  EXPECT_TRUE(ex.server().tls->handshake_complete());
}

TEST_F(TlsSessionTest, AlpnMismatchFailsWithNoApplicationProtocol) {
  TlsConfig cc = client_config();
  cc.alpn = {"hq-interop"};
  Exchange ex = handshake(cc, server_config());
  ASSERT_TRUE(ex.server().error.has_value());
  EXPECT_EQ(ex.server().error->code, 0x100u + GNUTLS_A_NO_APPLICATION_PROTOCOL) << ex.server().error->reason;
  EXPECT_FALSE(ex.client().tls->handshake_complete());
}

TEST_F(TlsSessionTest, ClientWithoutAlpnIsRejectedByServerThatRequiresOne) {
  TlsConfig cc = client_config();
  cc.alpn.clear();
  Exchange ex = handshake(cc, server_config());
  ASSERT_TRUE(ex.server().error.has_value());
  EXPECT_EQ(ex.server().error->code, 0x100u + GNUTLS_A_NO_APPLICATION_PROTOCOL) << ex.server().error->reason;
}

TEST_F(TlsSessionTest, ServerWithoutAlpnIsRejectedByClientThatRequiresOne) {
  TlsConfig sc = server_config();
  sc.alpn.clear();
  Exchange ex = handshake(client_config(), sc);
  ASSERT_TRUE(ex.client().error.has_value());
  EXPECT_EQ(ex.client().error->code, 0x100u + GNUTLS_A_NO_APPLICATION_PROTOCOL) << ex.client().error->reason;
  EXPECT_FALSE(ex.client().tls->handshake_complete());
}

TEST_F(TlsSessionTest, ServerCreationNeedsCredentials) {
  TlsConfig sc = server_config();
  sc.cert_pem.clear();
  sc.key_pem.clear();
  EXPECT_FALSE(TlsSession::create(sc, kServerTp).has_value());
  TlsConfig bad = server_config();
  bad.key_pem = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
  EXPECT_FALSE(TlsSession::create(bad, kServerTp).has_value());
  TlsConfig cc = client_config();
  cc.ca_file = "/nonexistent/ca.pem";
  EXPECT_FALSE(TlsSession::create(cc, kClientTp).has_value());
}

TEST_F(TlsSessionTest, ServerCredentialsFromFiles) {
  const std::string key_path = ::testing::TempDir() + "braid_crypto_key_" + std::to_string(getpid()) + ".pem";
  std::ofstream(key_path) << cert_->key_pem;
  TlsConfig sc = server_config();
  sc.cert_pem.clear();
  sc.key_pem.clear();
  sc.cert_file = *ca_path_;
  sc.key_file = key_path;
  Exchange ex = handshake(client_config(), sc);
  std::remove(key_path.c_str());
  ASSERT_FALSE(ex.client().error) << ex.client().error->reason;
  EXPECT_TRUE(ex.client().tls->handshake_complete());
}

// A bare GnuTLS client that does not send quic_transport_parameters.
std::vector<uint8_t> client_hello_without_transport_params() {
  gnutls_session_t s;
  gnutls_certificate_credentials_t cred;
  gnutls_init(&s, GNUTLS_CLIENT);
  gnutls_certificate_allocate_credentials(&cred);
  gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
  gnutls_priority_set_direct(s, "%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3", nullptr);
  gnutls_datum_t alpn{reinterpret_cast<unsigned char*>(const_cast<char*>("braid")), 5};
  gnutls_alpn_set_protocols(s, &alpn, 1, 0);
  static std::vector<uint8_t> out;
  out.clear();
  gnutls_handshake_set_read_function(
      s, [](gnutls_session_t, gnutls_record_encryption_level_t, gnutls_handshake_description_t, const void* d,
            size_t n) {
        const auto* p = static_cast<const uint8_t*>(d);
        out.insert(out.end(), p, p + n);
        return 0;
      });
  gnutls_handshake_set_secret_function(
      s, [](gnutls_session_t, gnutls_record_encryption_level_t, const void*, const void*, size_t) { return 0; });
  gnutls_handshake(s);
  gnutls_deinit(s);
  gnutls_certificate_free_credentials(cred);
  return out;
}

TEST_F(TlsSessionTest, MissingTransportParametersFailsWithMissingExtension) {
  const auto hello = client_hello_without_transport_params();
  ASSERT_FALSE(hello.empty());
  auto server = TlsSession::create(server_config(), kServerTp);
  ASSERT_TRUE(server.has_value());
  auto st = (*server)->provide_data(EncryptionLevel::kInitial, hello);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code, 0x100u + GNUTLS_A_MISSING_EXTENSION) << st.error().reason;
  EXPECT_FALSE((*server)->peer_transport_params().has_value());
  EXPECT_FALSE((*server)->poll_output().has_value());
}

TEST_F(TlsSessionTest, KeylogCallbackReceivesNssLinesOnlyWhenSet) {
  std::vector<std::string> lines;
  TlsConfig cc = client_config();
  cc.keylog = [&](const std::string& l) { lines.push_back(l); };
  Exchange ex = handshake(cc, server_config());
  ASSERT_TRUE(ex.client().tls->handshake_complete());
  std::map<std::string, int> labels;
  for (const auto& l : lines) {
    const auto sp1 = l.find(' ');
    const auto sp2 = l.find(' ', sp1 + 1);
    ASSERT_NE(sp2, std::string::npos) << l;
    EXPECT_EQ(sp2 - sp1 - 1, 64u) << l;  // 32-byte client random in hex
    ++labels[l.substr(0, sp1)];
  }
  EXPECT_EQ(labels["CLIENT_HANDSHAKE_TRAFFIC_SECRET"], 1);
  EXPECT_EQ(labels["SERVER_HANDSHAKE_TRAFFIC_SECRET"], 1);
  EXPECT_EQ(labels["CLIENT_TRAFFIC_SECRET_0"], 1);
  EXPECT_EQ(labels["SERVER_TRAFFIC_SECRET_0"], 1);

  // The logged client write secret is the one handed to QUIC.
  const SecretEvent* hs = find_secret(ex.client().secrets, EncryptionLevel::kHandshake, true);
  ASSERT_NE(hs, nullptr);
  bool found = false;
  for (const auto& l : lines) {
    if (l.starts_with("CLIENT_HANDSHAKE_TRAFFIC_SECRET ")) found = l.ends_with(test::to_hex(hs->write_secret));
  }
  EXPECT_TRUE(found);
}

TEST_F(TlsSessionTest, SslKeyLogFileIsNeverWrittenWithoutCallback) {
  const std::string path = ::testing::TempDir() + "braid_sslkeylog_" + std::to_string(getpid()) + ".txt";
  std::remove(path.c_str());
  ASSERT_EQ(setenv("SSLKEYLOGFILE", path.c_str(), 1), 0);
  Exchange ex = handshake(client_config(), server_config());
  unsetenv("SSLKEYLOGFILE");
  ASSERT_TRUE(ex.client().tls->handshake_complete());
  EXPECT_NE(access(path.c_str(), F_OK), 0) << "GnuTLS wrote " << path;
  std::remove(path.c_str());
}

TEST(GenerateSelfSigned, ProducesPemAndFingerprint) {
  auto cert = generate_self_signed({"example.test"}, 0xff00000000000001ULL, 1700000000, 30);
  ASSERT_TRUE(cert.has_value()) << cert.error().reason;
  EXPECT_TRUE(cert->cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
  EXPECT_NE(cert->key_pem.find("PRIVATE KEY-----"), std::string::npos);
  EXPECT_EQ(cert->sha256_fingerprint.size(), 32u * 3 - 1);
  EXPECT_EQ(cert->sha256_fingerprint[2], ':');
  for (char ch : cert->sha256_fingerprint) EXPECT_TRUE(ch == ':' || (std::isxdigit(ch) && !std::islower(ch)));
  EXPECT_FALSE(generate_self_signed({}, 1, 0, 1).has_value());
}

}  // namespace
}  // namespace braid::crypto

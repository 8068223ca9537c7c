// Interoperability with picoquic, the reference implementation of the multipath draft:
// the `braid` binary against ../shared/peers/picoquic/picoquicdemo, both roles, as real
// processes on loopback. Every case downloads a 12 MB file and checks it by SHA-256, then
// checks what the case is about: multipath negotiated or not, which paths carried data,
// PATH_ABANDON echoed, backup honoured, key updates, the version, NAT rebinding answered,
// the preferred address followed, migration, single-path fallback both ways.
//
// Skipped, with the reason, only when the picoquic binary is missing. Every process gets
// ports picked at random (picoquic cannot report a port 0 choice) and a time bound.
#include "tests/interop/interop_support.h"

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/crypto/tls_session.h"
#include "netem/relay.h"

#ifndef BRAID_BINARY
#error "BRAID_BINARY must name the braid executable"
#endif
#ifndef BRAID_PICOQUIC_PEER
#error "BRAID_PICOQUIC_PEER must name picoquicdemo"
#endif

namespace {

using namespace braid::interop;
using json = nlohmann::json;

constexpr size_t kFileSize = 12'000'000;

const Corpus& corpus() {
  static Corpus c("picoquic", {{"file12m", kFileSize}}, {{"hello.txt", "hello from braid\n"}});
  return c;
}

bool udp_port_free(const char* ip, int port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, ip, &a.sin_addr);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// A UDP port nobody holds right now, from a random start (tests run in parallel).
int free_udp_port(const char* ip) {
  static std::mt19937 rng(static_cast<unsigned>(::getpid()) ^ static_cast<unsigned>(std::time(nullptr)));
  for (int tries = 0; tries < 200; ++tries) {
    int port = 20000 + static_cast<int>(rng() % 30000);
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, ip, &a.sin_addr);
    int wild = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in w = a;
    w.sin_addr.s_addr = htonl(INADDR_ANY);
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    ok = ok && ::bind(wild, reinterpret_cast<sockaddr*>(&w), sizeof w) == 0;   // picoquic binds the wildcard
    ::close(wild);
    if (ok) return port;
  }
  return 0;
}

class Picoquic : public InteropTest {
 protected:
  void SetUp() override {
    if (!fs::exists(BRAID_PICOQUIC_PEER)) {
      GTEST_SKIP() << "picoquic peer not found at " << BRAID_PICOQUIC_PEER
                   << " (it ships in ../shared/peers/picoquic beside the repository)";
    }
    ASSERT_TRUE(fs::exists(BRAID_BINARY)) << "braid binary missing: " << BRAID_BINARY;
    make_dir("picoquic");
    // picoquic's OpenSSL backend reads this GnuTLS-made P-256 key and certificate.
    auto cert = braid::crypto::generate_self_signed({"localhost", "127.0.0.1"}, 42, std::time(nullptr) - 3600, 2);
    ASSERT_TRUE(cert.has_value());
    std::ofstream(dir_ / "cert.pem") << cert->cert_pem;
    std::ofstream(dir_ / "key.pem") << cert->key_pem;
    out_ = dir_ / "out";
    fs::create_directories(out_);
  }

  // ---- picoquic server: picoquicdemo -p PORT -w ROOT -c CERT -k KEY [-M] ...
  // With `second_port`, picoquic also listens there (-p P1:P2): the preferred address port.
  int start_picoquic_server(std::vector<std::string> extra = {}, std::optional<int> second_port = {}) {
    int port = free_udp_port("0.0.0.0");
    if (port == 0) return 0;
    std::string port_spec = std::to_string(port);
    if (second_port) port_spec += ":" + std::to_string(*second_port);
    std::vector<std::string> a{BRAID_PICOQUIC_PEER, "-p", port_spec, "-w", corpus().root.string(), "-c",
                               (dir_ / "cert.pem").string(), "-k", (dir_ / "key.pem").string(), "-1"};
    a.insert(a.end(), extra.begin(), extra.end());
    Process& p = spawn("picoquic-server", a, dir_);
    // Its stdout is block-buffered into the file: watch the port instead of the banner.
    for (int i = 0; i < 500; ++i) {
      if (!udp_port_free("0.0.0.0", port)) return port;
      if (!p.running()) break;
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << p.command() << ": never bound UDP port " << port;
    return 0;
  }
  // ---- picoquic client: picoquicdemo [extra] -a hq-interop -o OUT 127.0.0.1 PORT /file
  int run_picoquic_client(int port, std::vector<std::string> extra, Process** proc = nullptr,
                          const std::string& file = "file12m") {
    std::vector<std::string> a{BRAID_PICOQUIC_PEER};
    a.insert(a.end(), extra.begin(), extra.end());
    a.insert(a.end(), {"-a", "hq-interop", "-o", out_.string(), "127.0.0.1", std::to_string(port), "/" + file});
    return run_client("picoquic-client", a, proc, dir_);
  }

  // ---- braid server; returns the port it reports
  int start_braid_server(std::vector<std::string> extra = {}) {
    std::vector<std::string> a{BRAID_BINARY, "server", "--listen", "127.0.0.1:0", "--root", corpus().root.string(),
                               "--alpn", "hq-interop", "--qlog-dir", (dir_ / "qlog-server").string()};
    a.insert(a.end(), extra.begin(), extra.end());
    braid_server_ = &spawn("braid-server", a);
    static const std::regex re(R"(listening on \S*:(\d+))");
    auto port = wait_for_output(*braid_server_, re, "'listening on ADDR'");
    return port ? std::stoi(*port) : 0;
  }
  // The server's per-connection log, once the connection is over (it logs on close).
  std::string braid_server_log() {
    for (int i = 0; i < 300 && braid_server_->err().find("] closed") == std::string::npos; ++i)
      std::this_thread::sleep_for(10ms);
    for (int i = 0; i < 20 && braid_server_->err().find("] path") == std::string::npos; ++i)
      std::this_thread::sleep_for(10ms);
    return braid_server_->err();
  }
  // key_updates=N from the braid server's close log (-1 when absent).
  static int server_key_updates(const std::string& log) {
    std::smatch m;
    return std::regex_search(log, m, std::regex(R"(key_updates=(\d+))")) ? std::stoi(m[1]) : -1;
  }
  // path ID -> stream bytes the braid server sent on it, from its close log.
  static std::map<int, uint64_t> server_path_bytes(const std::string& log) {
    std::map<int, uint64_t> out;
    static const std::regex re(R"(\] path (\d+) .*stream_bytes_sent=(\d+))");
    for (auto it = std::sregex_iterator(log.begin(), log.end(), re); it != std::sregex_iterator(); ++it) {
      out[std::stoi((*it)[1])] = std::stoull((*it)[2]);
    }
    return out;
  }

  // ---- braid client with --json; returns the report (empty object on a bad run)
  json run_braid_client(int port, std::vector<std::string> extra, const std::string& file = "file12m") {
    std::vector<std::string> a{BRAID_BINARY, "client", "https://127.0.0.1:" + std::to_string(port) + "/" + file,
                               "--insecure", "--output", (out_ / file).string(), "--json", "--qlog-dir",
                               (dir_ / "qlog-client").string(), "--timeout", "15s"};
    a.insert(a.end(), extra.begin(), extra.end());
    Process* p = nullptr;
    int rc = run_client("braid-client", a, &p);
    auto j = json::parse(p->out(), nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "no JSON report:\n" << tail(p->out());
    EXPECT_EQ(rc, 0) << (j.is_discarded() ? std::string("?") : j.value("error", std::string("?")));
    return j.is_discarded() ? json::object() : j;
  }
  // Every qlog event of the braid client's connection.
  std::vector<json> client_qlog() {
    std::vector<json> out;
    if (!fs::exists(dir_ / "qlog-client")) return out;
    for (auto& f : fs::directory_iterator(dir_ / "qlog-client")) {
      std::istringstream in(read_file(f.path()));
      for (std::string line; std::getline(in, line);) {
        while (!line.empty() && line.front() == '\x1e') line.erase(line.begin());
        auto j = json::parse(line, nullptr, false);
        if (!j.is_discarded()) out.push_back(std::move(j));
      }
    }
    return out;
  }
  // Received frames of `type` (optionally with `path_id`) in the client's qlog.
  size_t client_received_frames(const std::string& type, std::optional<int> path_id = std::nullopt) {
    size_t n = 0;
    for (auto& e : client_qlog()) {
      if (e.value("name", "") != "quic:packet_received" || !e["data"].contains("frames")) continue;
      for (auto& f : e["data"]["frames"]) {
        if (f.value("frame_type", "") != type) continue;
        if (path_id && f.value("path_id", -1) != *path_id) continue;
        n++;
      }
    }
    return n;
  }
  static uint64_t path_bytes(const json& report, int id) {
    for (auto& p : report["paths"])
      if (p.value("path_id", -1) == id) return p.value("bytes", uint64_t{0});
    return 0;
  }
  static json path_of(const json& report, int id) {
    for (auto& p : report["paths"])
      if (p.value("path_id", -1) == id) return p;
    return json::object();
  }

  void expect_downloaded(const std::string& file = "file12m") {
    expect_file_equals(out_ / file, corpus().content(file), file);
  }

  // A braid server started with `server_args` serves picoquic (run with `client_args`) the
  // 12 MB file; checks it arrived and returns the server's log ("" when a step failed).
  std::string picoquic_downloads_from_braid(std::vector<std::string> server_args,
                                            std::vector<std::string> client_args) {
    int port = start_braid_server(std::move(server_args));
    EXPECT_NE(port, 0);
    if (port == 0) return {};
    Process* c = nullptr;
    int rc = run_picoquic_client(port, std::move(client_args), &c);
    EXPECT_EQ(rc, 0) << (c ? c->out() : "");
    if (rc != 0) return {};
    expect_downloaded();
    return braid_server_log();
  }

  fs::path out_;
  Process* braid_server_ = nullptr;
};

// Loopback UDP relay paths (braid's link emulator) to a server, each with its own rate
// and delay: on loopback a 12 MB download otherwise ends in ~50 ms, before a second path
// or a key update has a chance. `rebind` gives the client's flows new source ports
// mid-transfer: a NAT rebinding.
class Relay {
 public:
  Relay(int server_port, uint64_t rate_bps, size_t paths = 1, braid::Duration delay = 2ms) {
    braid::netem::RelayConfig cfg;
    for (size_t i = 0; i < paths; ++i) {
      braid::netem::PathConfig p;
      p.listen = braid::SocketAddress::v4(127, 0, 0, 1, 0);
      p.target = braid::SocketAddress::v4(127, 0, 0, 1, static_cast<uint16_t>(server_port));
      p.uplink.rate_bps = p.downlink.rate_bps = rate_bps;
      p.uplink.delay = p.downlink.delay = delay;
      p.uplink.queue_bytes = p.downlink.queue_bytes = 1 << 20;
      cfg.paths.push_back(p);
    }
    cfg.output = [](std::string_view) {};
    auto r = braid::netem::Relay::create(cfg);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error());
    if (!r) return;
    relay_ = std::move(*r);
    thread_ = std::thread([this] { (void)relay_->run(); });
  }
  ~Relay() {
    if (relay_) relay_->stop();
    if (thread_.joinable()) thread_.join();
  }
  int port(size_t path = 0) const { return relay_ ? relay_->listen_address(path).port : 0; }
  void rebind() { relay_->post(braid::netem::ControlCommand{braid::netem::ControlCommand::Kind::kRebind, {}}); }

 private:
  std::unique_ptr<braid::netem::Relay> relay_;
  std::thread thread_;
};

// ================================================================= braid client -> picoquic

// picoquic without -M: braid offers multipath, gets single-path QUIC v1.
TEST_F(Picoquic, BraidClientSinglePathFallback) {
  int port = start_picoquic_server();
  ASSERT_NE(port, 0);
  auto r = run_braid_client(port, {});
  expect_downloaded();
  EXPECT_EQ(r.value("multipath", true), false);
  EXPECT_EQ(r["connection"].value("quic_version", ""), "0x00000001");
  EXPECT_LT(r.value("handshake_ms", 1e9), 100.0) << "the handshake took a PTO";
}

TEST_F(Picoquic, BraidClientTwoPathsCarryData) {
  int port = start_picoquic_server({"-M"});
  ASSERT_NE(port, 0);
  Relay relay(port, 60'000'000, 2);
  auto r = run_braid_client(relay.port(0), {"--path", "127.0.0.2=127.0.0.1:" + std::to_string(relay.port(1))});
  expect_downloaded();
  EXPECT_EQ(r.value("multipath", false), true);
  ASSERT_EQ(r["paths"].size(), 2u) << r.dump(1);
  EXPECT_GT(path_bytes(r, 0), kFileSize / 10);
  EXPECT_GT(path_bytes(r, 1), kFileSize / 10);
}

// picoquic answers braid's PATH_ABANDON for path 1 with its own.
TEST_F(Picoquic, BraidClientAbandonIsEchoed) {
  int port = start_picoquic_server({"-M"});
  ASSERT_NE(port, 0);
  auto r = run_braid_client(port, {"--path", "127.0.0.2", "--abandon-path", "1@3M"});
  expect_downloaded();
  ASSERT_EQ(r["path_actions"].size(), 1u);
  EXPECT_TRUE(r["path_actions"][0].value("done", false));
  EXPECT_GT(client_received_frames("path_abandon", 1), 0u) << "picoquic did not echo PATH_ABANDON";
}

// Path 1 marked backup after 2 MB: picoquic moves the rest of the download to path 0.
TEST_F(Picoquic, BraidClientBackupIsHonoured) {
  int port = start_picoquic_server({"-M"});
  ASSERT_NE(port, 0);
  auto r = run_braid_client(port, {"--path", "127.0.0.2", "--path-status", "1=backup@2M"});
  expect_downloaded();
  EXPECT_EQ(path_of(r, 1).value("state", ""), "standby");
  EXPECT_LT(path_bytes(r, 1), kFileSize / 4) << "picoquic kept sending on the backup path";
}

// Backup then available again: path status changes in both directions.
TEST_F(Picoquic, BraidClientPathStatusBackAndForth) {
  int port = start_picoquic_server({"-M"});
  ASSERT_NE(port, 0);
  // Rate-limited paths: on bare loopback the 12 MB are gone in a few milliseconds, and how
  // much picoquic places on path 1 after it becomes available again is then luck.
  Relay relay(port, 100'000'000, 2);
  auto r = run_braid_client(relay.port(0), {"--path", "127.0.0.2=127.0.0.1:" + std::to_string(relay.port(1)),
                                            "--path-status", "1=backup@1M", "--path-status", "1=available@4M"});
  expect_downloaded();
  EXPECT_EQ(path_of(r, 1).value("state", ""), "active");
  for (auto& a : r["path_actions"]) EXPECT_TRUE(a.value("done", false)) << a.dump();
  EXPECT_GT(path_bytes(r, 1), kFileSize / 10) << "path 1 was not used again once available";
}

TEST_F(Picoquic, BraidClientKeyUpdates) {
  int port = start_picoquic_server();
  ASSERT_NE(port, 0);
  Relay relay(port, 100'000'000);
  auto r = run_braid_client(relay.port(), {"--key-update-after", "100"});
  expect_downloaded();
  EXPECT_GT(r["connection"].value("key_updates", 0), 0);
}

TEST_F(Picoquic, BraidClientMultipathKeyUpdates) {
  int port = start_picoquic_server({"-M"});
  ASSERT_NE(port, 0);
  Relay relay(port, 60'000'000, 2);
  auto r = run_braid_client(relay.port(0), {"--path", "127.0.0.2=127.0.0.1:" + std::to_string(relay.port(1)),
                                            "--key-update-after", "100"});
  expect_downloaded();
  EXPECT_GT(r["connection"].value("key_updates", 0), 0);
  EXPECT_EQ(r["paths"].size(), 2u);
}

// The relay gives braid's flow a new port mid-transfer; picoquic validates the new address
// (PATH_CHALLENGE) and carries on.
TEST_F(Picoquic, BraidClientNatRebindingIsAnswered) {
  int port = start_picoquic_server();
  ASSERT_NE(port, 0);
  Relay relay(port, 100'000'000);
  ASSERT_NE(relay.port(), 0);
  std::thread rebinder([&] {
    std::this_thread::sleep_for(500ms);
    relay.rebind();
  });
  auto r = run_braid_client(relay.port(), {});
  rebinder.join();
  expect_downloaded();
  EXPECT_GT(r.value("transfer_s", 0.0), 0.6) << "the rebinding should happen mid-transfer";
  EXPECT_GT(client_received_frames("path_challenge"), 0u) << "picoquic did not validate the rebound address";
}

// picoquicdemo -p P1:P2 -4 127.0.0.2 offers 127.0.0.2:P2 as preferred address; braid
// validates it, moves path 0 there, and drops nothing on the way.
TEST_F(Picoquic, BraidClientFollowsThePreferredAddress) {
  int second = free_udp_port("0.0.0.0");
  int port = start_picoquic_server({"-4", "127.0.0.2"}, second);
  ASSERT_NE(port, 0);
  auto r = run_braid_client(port, {});
  expect_downloaded();
  EXPECT_EQ(path_of(r, 0).value("remote", ""), "127.0.0.2:" + std::to_string(second));
  EXPECT_EQ(r["connection"].value("packets_dropped", 1), 0) << "packets from the original address were dropped";
}

TEST_F(Picoquic, BraidClientFollowsThePreferredAddressWithMultipath) {
  int second = free_udp_port("0.0.0.0");
  int port = start_picoquic_server({"-M", "-4", "127.0.0.2"}, second);
  ASSERT_NE(port, 0);
  auto r = run_braid_client(port, {"--path", "127.0.0.3"});
  expect_downloaded();
  EXPECT_EQ(path_of(r, 0).value("remote", ""), "127.0.0.2:" + std::to_string(second));
  EXPECT_EQ(r["paths"].size(), 2u);
}

// RFC 9000 migration of the only path to another local address (probed first).
TEST_F(Picoquic, BraidClientMigrates) {
  int port = start_picoquic_server();
  ASSERT_NE(port, 0);
  auto r = run_braid_client(port, {"--migrate", "127.0.0.3@3M"});
  expect_downloaded();
  EXPECT_EQ(path_of(r, 0).value("local", "").rfind("127.0.0.3:", 0), 0u) << r["paths"].dump();
  EXPECT_TRUE(r["path_actions"][0].value("done", false));
}

// ================================================================= picoquic client -> braid

TEST_F(Picoquic, PicoquicClientSinglePath) {
  int port = start_braid_server();
  ASSERT_NE(port, 0);
  Process* c = nullptr;
  // A tiny file first, so the run's time is the handshake's (plus process start): it must
  // not include a PTO. The 12 MB download after it is not timed (a busy machine slows it).
  auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(run_picoquic_client(port, {}, &c, "hello.txt"), 0) << c->out();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 900ms) << "a PTO-length handshake?";
  expect_downloaded("hello.txt");
  ASSERT_EQ(run_picoquic_client(port, {}, &c), 0) << c->out();
  expect_downloaded();
  EXPECT_NE(c->out().find("Connection established. Version = 1"), std::string::npos) << c->out();
  EXPECT_NE(braid_server_log().find("single-path"), std::string::npos) << "picoquic without -M: no multipath";
}

TEST_F(Picoquic, PicoquicClientTwoPathsCarryData) {
  auto log = picoquic_downloads_from_braid({}, {"-M", "-A", "127.0.0.2/1"});
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log.find("multipath"), std::string::npos) << log;
  auto bytes = server_path_bytes(log);
  ASSERT_EQ(bytes.size(), 2u) << log;
  EXPECT_GT(bytes[0], kFileSize / 10) << log;
  EXPECT_GT(bytes[1], kFileSize / 10) << log;
}

// braid (--max-paths 0) does not offer multipath: picoquic -M falls back to one path.
TEST_F(Picoquic, PicoquicClientSinglePathFallback) {
  auto log = picoquic_downloads_from_braid({"--max-paths", "0"}, {"-M", "-A", "127.0.0.2/1"});
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log.find("single-path"), std::string::npos) << log;
  EXPECT_EQ(server_path_bytes(log).size(), 1u) << log;
}

TEST_F(Picoquic, PicoquicClientKeyUpdates) {
  auto log = picoquic_downloads_from_braid({}, {"-u", "100"});
  ASSERT_FALSE(log.empty());
  EXPECT_GT(server_key_updates(log), 0) << "braid did not follow picoquic's key update:\n" << log;
}

TEST_F(Picoquic, BraidServerKeyUpdates) {
  int port = start_braid_server({"--key-update-after", "200"});
  ASSERT_NE(port, 0);
  Relay relay(port, 100'000'000);
  Process* c = nullptr;
  ASSERT_EQ(run_picoquic_client(relay.port(), {"-M", "-A", "127.0.0.2/1"}, &c), 0) << c->out();
  expect_downloaded();
  auto log = braid_server_log();
  EXPECT_GT(server_key_updates(log), 0) << log;
}

// The braid server marks the client's second path backup as soon as it exists: it sends the
// download on path 0 and picoquic, told so, keeps path 1 as a backup too.
TEST_F(Picoquic, BraidServerBackupStatus) {
  auto log = picoquic_downloads_from_braid({"--path-status", "1=backup@0s"}, {"-M", "-A", "127.0.0.2/1"});
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log.find("1=backup@0s done"), std::string::npos) << log;
  auto bytes = server_path_bytes(log);
  ASSERT_EQ(bytes.size(), 2u) << log;
  EXPECT_LT(bytes[1], kFileSize / 4) << log;
  EXPECT_NE(log.find("(standby, backup)"), std::string::npos) << log;
}

TEST_F(Picoquic, PicoquicClientFollowsBraidPreferredAddress) {
  int port = start_braid_server({"--preferred-address", "127.0.0.2:0"});
  ASSERT_NE(port, 0);
  Process* c = nullptr;
  ASSERT_EQ(run_picoquic_client(port, {}, &c), 0) << c->out();
  expect_downloaded();
  EXPECT_NE(c->out().find("Migrated to server preferred address"), std::string::npos) << c->out();
  std::smatch m;
  auto log = braid_server_log();
  EXPECT_TRUE(std::regex_search(log, m, std::regex(R"(\] path 0 127\.0\.0\.2:\d+ -> )"))) << log;
}

// Address advertisement is braid's own extension: picoquic does not offer it, so a braid
// client asking for it gets an ordinary multipath connection, and a braid server with an
// address to advertise reveals nothing to picoquic (both sides ignore the unknown parameter).
TEST_F(Picoquic, BraidClientAddressAdvertisementIsIgnored) {
  int port = start_picoquic_server({"-M"});
  ASSERT_NE(port, 0);
  auto r = run_braid_client(port, {"--use-advertised"});
  expect_downloaded();
  EXPECT_EQ(r.value("multipath", false), true);
  EXPECT_EQ(r["connection"].value("address_advertisement", true), false) << r.dump(1);
  EXPECT_TRUE(r["connection"]["advertised_addresses"].empty());
  EXPECT_EQ(r["paths"].size(), 1u);
}

TEST_F(Picoquic, PicoquicClientOfABraidServerThatAdvertises) {
  int port = start_braid_server({"--advertise", "127.0.0.9:0"});
  ASSERT_NE(port, 0);
  Process* c = nullptr;
  ASSERT_EQ(run_picoquic_client(port, {"-M"}, &c), 0) << c->out();
  expect_downloaded();
  auto log = braid_server_log();
  EXPECT_EQ(log.find("127.0.0.9"), std::string::npos) << "no path went to the advertised address: " << log;
  // The server's qlog shows every frame it sent: no ADVERTISE_ADDRESS to a peer that did
  // not offer the extension.
  size_t qlogs = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir_ / "qlog-server")) {
    std::ifstream in(f.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    qlogs++;
    EXPECT_EQ(text.find("advertise_address"), std::string::npos) << f.path();
    EXPECT_NE(text.find("packet_sent"), std::string::npos) << f.path();
  }
  EXPECT_EQ(qlogs, 1u);
}

// picoquicdemo -f 3 moves to a new port mid-connection; braid follows it.
TEST_F(Picoquic, PicoquicClientMigrates) {
  int port = start_braid_server();
  ASSERT_NE(port, 0);
  Process* c = nullptr;
  ASSERT_EQ(run_picoquic_client(port, {"-f", "3"}, &c), 0) << c->out();
  expect_downloaded();
  std::smatch m;
  std::string out = c->out();
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(Simulating migration to port (\d+))"))) << out;
  auto log = braid_server_log();
  EXPECT_NE(log.find("-> 127.0.0.1:" + m[1].str() + " "), std::string::npos) << log;
}

// The relay rebinds picoquic's flow mid-transfer; braid validates and follows it.
TEST_F(Picoquic, PicoquicClientNatRebindingIsAnswered) {
  int port = start_braid_server();
  ASSERT_NE(port, 0);
  Relay relay(port, 100'000'000);
  ASSERT_NE(relay.port(), 0);
  std::thread rebinder([&] {
    std::this_thread::sleep_for(500ms);
    relay.rebind();
  });
  Process* c = nullptr;
  int rc = run_picoquic_client(relay.port(), {}, &c);
  rebinder.join();
  ASSERT_EQ(rc, 0) << c->out();
  expect_downloaded();
  braid_server_log();
  bool moved = false;
  for (auto& f : fs::directory_iterator(dir_ / "qlog-server")) {
    if (read_file(f.path()).find("peer_address_changed") != std::string::npos) moved = true;
  }
  EXPECT_TRUE(moved) << "the braid server never saw the client's new port";
}

}  // namespace

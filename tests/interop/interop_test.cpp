// Interoperability tests: the `braid` binary against quic-go 0.29 (Debian's
// golang-github-lucas-clemente-quic-go-dev), driven as real processes over loopback UDP.
//
// The quic-go side is tests/interop/quicgo_peer, built offline by build_peer.sh (by the
// quicgo_peer CMake target, or here at test time if that did not run). Tests are skipped
// only when Go itself is not installed; a peer that fails to build is a test failure.
//
// Every process gets port 0 and reports its real port; every process is bounded by a
// timeout and killed (with its process group) when the test ends.
#include "tests/interop/interop_support.h"

#include <sys/file.h>
#include <sys/stat.h>

#ifndef BRAID_BINARY
#error "BRAID_BINARY must name the braid executable"
#endif
#ifndef BRAID_INTEROP_BUILD_SCRIPT
#error "BRAID_INTEROP_BUILD_SCRIPT must name tests/interop/build_peer.sh"
#endif
#ifndef BRAID_INTEROP_PEER
#error "BRAID_INTEROP_PEER must name where the quic-go peer binary is built"
#endif

namespace {

using namespace braid::interop;
using namespace std::chrono_literals;

constexpr size_t kBigSize = 50'000'000;

bool go_installed() {
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
      if (!dir.empty() && ::access((fs::path(dir) / "go").c_str(), X_OK) == 0) return true;
    }
  }
  return ::access("/usr/lib/go/bin/go", X_OK) == 0;
}

// Builds the quic-go peer unless an up-to-date one exists. Serialised with a lock file so
// parallel ctest runs do not rebuild it over each other.
class PeerBuild {
 public:
  static const PeerBuild& get() {
    static PeerBuild b;
    return b;
  }
  bool go_missing = false;
  std::string error;  // empty when the peer is ready
  fs::path path = BRAID_INTEROP_PEER;

 private:
  PeerBuild() {
    if (!go_installed()) {
      go_missing = true;
      return;
    }
    fs::create_directories(path.parent_path());
    int lock = ::open((path.string() + ".lock").c_str(), O_RDWR | O_CREAT, 0644);
    if (lock >= 0) ::flock(lock, LOCK_EX);
    fs::path src = fs::path(BRAID_INTEROP_BUILD_SCRIPT).parent_path() / "quicgo_peer" / "main.go";
    std::error_code ec;
    bool fresh = fs::exists(path, ec) &&
                 fs::last_write_time(path, ec) >= fs::last_write_time(src, ec) &&
                 fs::last_write_time(path, ec) >= fs::last_write_time(BRAID_INTEROP_BUILD_SCRIPT, ec);
    if (!fresh) {
      fs::path log = path.string() + ".build.log";
      Process p({"/bin/bash", BRAID_INTEROP_BUILD_SCRIPT, path.string()}, log, log.string() + ".err");
      auto rc = p.wait(600s);
      if (rc != 0) {
        error = "building the quic-go peer failed (" + p.command() + "):\n" + p.err();
      }
    }
    if (lock >= 0) ::close(lock);
  }
};

// Test files shared by all tests: written once per test process.
const Corpus& corpus() {
  static Corpus c("interop", {{"10k", 10'000}, {"1m", 1'000'000}, {"3m", 3'000'000}, {"big", kBigSize}},
                  {{"hello.txt", "hello from braid interop\n"}, {"one", "x"}});
  return c;
}

class Interop : public InteropTest {
 protected:
  void SetUp() override {
    const auto& peer = PeerBuild::get();
    if (peer.go_missing) GTEST_SKIP() << "Go is not installed (scripts/install-deps.sh installs golang-go)";
    ASSERT_TRUE(peer.error.empty()) << peer.error;
    ASSERT_TRUE(fs::exists(BRAID_BINARY)) << "braid binary missing: " << BRAID_BINARY;
    make_dir("interop");
    root_ = corpus().root;
  }

  // Starts a server and waits for its "listening on ADDR" line; returns the port or 0.
  int start_server(const std::string& tag, std::vector<std::string> argv) {
    Process& p = spawn(tag, std::move(argv));
    if (!p.started()) return 0;
    static const std::regex re(R"(listening on \S*:(\d+))");
    auto port = wait_for_output(p, re, "'listening on ADDR'");
    return port ? std::stoi(*port) : 0;
  }

  // ---- quic-go peer
  std::vector<std::string> quicgo_server(std::vector<std::string> extra = {}) {
    std::vector<std::string> a{PeerBuild::get().path.string(), "server", "-listen", "127.0.0.1:0",
                               "-root", root_.string()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::vector<std::string> quicgo_client(int port, const std::vector<std::string>& files,
                                         std::vector<std::string> extra = {}) {
    std::vector<std::string> a{PeerBuild::get().path.string(), "client", "-insecure", "-timeout", "80s"};
    if (files.empty()) a.insert(a.end(), {"-addr", "127.0.0.1:" + std::to_string(port)});
    for (auto& f : files) a.insert(a.end(), {"-url", url(port, f)});
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  // ---- braid
  std::vector<std::string> braid_server(std::vector<std::string> extra = {}) {
    std::vector<std::string> a{BRAID_BINARY, "server", "--listen", "127.0.0.1:0", "--root", root_.string(),
                               "--alpn", "hq-interop"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::vector<std::string> braid_client(int port, const std::string& file, const fs::path& output,
                                        std::vector<std::string> extra = {}) {
    std::vector<std::string> a{BRAID_BINARY, "client", url(port, file), "--insecure", "--output", output.string(),
                               "--json"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  // Whether `braid client --help` lists `flag`.
  bool braid_client_has_flag(const std::string& flag) {
    Process& p = spawn("braid-client-help", {BRAID_BINARY, "client", "--help"});
    p.wait(10s);
    return p.out().find(flag + " ") != std::string::npos || p.out().find(flag + "\n") != std::string::npos;
  }

  static std::string url(int port, const std::string& file) {
    return "https://127.0.0.1:" + std::to_string(port) + "/" + file;
  }

  // Checks the quic-go client's "OK url=... bytes=N sha256=HEX" line for `file`.
  void expect_quicgo_got(const std::string& out, int port, const std::string& file) {
    const std::string& want = corpus().content(file);
    std::string line = "OK url=" + url(port, file) + " bytes=" + std::to_string(want.size()) +
                       " sha256=" + sha256_hex(want);
    EXPECT_NE(out.find(line), std::string::npos) << "expected '" << line << "' in:\n" << tail(out);
  }
  void expect_file_equals(const fs::path& got, const std::string& file) {
    InteropTest::expect_file_equals(got, corpus().content(file), file);
  }

  static int stat_value(const std::string& text, const std::string& key) {
    std::smatch m;
    std::regex re(key + R"(=(\d+))");
    return std::regex_search(text, m, re) ? std::stoi(m[1]) : -1;
  }

  fs::path root_;
};

// Against the braid server, the handshake and 50 MB cases use quic-go's default client
// (zero-length connection IDs); the feature cases use 8-byte CIDs so that each one tests
// its feature and nothing else.

// ------------------------------------------------------------------ the peer itself
// quic-go against quic-go: if these fail, the other failures say nothing about braid.

TEST_F(Interop, QuicGoPeerSelfCheck) {
  int port = start_server("quicgo-server", quicgo_server({"-datagrams", "-retry"}));
  ASSERT_NE(port, 0);
  Process* c = nullptr;
  int rc = run_client("quicgo-client", quicgo_client(port, {"big", "10k", "hello.txt"}, {"-datagram", "ping", "-keyupdate"}), &c);
  ASSERT_EQ(rc, 0) << c->out();
  std::string out = c->out();
  for (auto f : {"big", "10k", "hello.txt"}) expect_quicgo_got(out, port, f);
  EXPECT_NE(out.find("DATAGRAM OK echo=ping"), std::string::npos) << out;
  EXPECT_EQ(stat_value(out, "retries_received"), 1) << out;
  EXPECT_GT(stat_value(out, "key_updates_local"), 0) << out;
}

TEST_F(Interop, QuicGoPeerSelfCheckApplicationClose) {
  int port = start_server("quicgo-server", quicgo_server({"-close-code", "4660"}));
  ASSERT_NE(port, 0);
  Process* c = nullptr;
  int rc = run_client("quicgo-client", quicgo_client(port, {"hello.txt"}), &c);
  EXPECT_EQ(rc, 2) << c->out();
  EXPECT_NE(c->out().find("CLOSED app_error=4660"), std::string::npos) << c->out();
}

// ------------------------------------------------------------------ handshake

TEST_F(Interop, HandshakeBraidClientToQuicGoServer) {
  int port = start_server("quicgo-server", quicgo_server());
  ASSERT_NE(port, 0);
  fs::path out = dir_ / "hello.txt";
  int rc = run_client("braid-client", braid_client(port, "hello.txt", out));
  ASSERT_EQ(rc, 0);
  expect_file_equals(out, "hello.txt");
}

TEST_F(Interop, HandshakeQuicGoClientToBraidServer) {
  int port = start_server("braid-server", braid_server());
  ASSERT_NE(port, 0);
  Process* c = nullptr;
  int rc = run_client("quicgo-client", quicgo_client(port, {"hello.txt"}), &c);
  ASSERT_EQ(rc, 0) << c->out();
  EXPECT_NE(c->out().find("HANDSHAKE OK alpn=hq-interop"), std::string::npos) << c->out();
  expect_quicgo_got(c->out(), port, "hello.txt");
}

// quic-go clients that own their socket use zero-length connection IDs (RFC 9000 §5.1
// allows it); this variant makes the client use 8-byte ones, which tells a CID-handling
// bug on the braid server apart from everything else.
TEST_F(Interop, HandshakeQuicGoClientWithConnectionIdsToBraidServer) {
  int port = start_server("braid-server", braid_server());
  ASSERT_NE(port, 0);
  Process* c = nullptr;
  int rc = run_client("quicgo-client", quicgo_client(port, {"hello.txt"}, {"-cid-len", "8"}), &c);
  ASSERT_EQ(rc, 0) << c->out();
  expect_quicgo_got(c->out(), port, "hello.txt");
}

// ------------------------------------------------------------------ 50 MB transfer

TEST_F(Interop, Download50MBQuicGoServerToBraidClient) {
  int port = start_server("quicgo-server", quicgo_server());
  ASSERT_NE(port, 0);
  fs::path out = dir_ / "big";
  int rc = run_client("braid-client", braid_client(port, "big", out));
  ASSERT_EQ(rc, 0);
  expect_file_equals(out, "big");
}

TEST_F(Interop, Download50MBBraidServerToQuicGoClient) {
  int port = start_server("braid-server", braid_server());
  ASSERT_NE(port, 0);
  Process* c = nullptr;
  int rc = run_client("quicgo-client", quicgo_client(port, {"big"}), &c);
  ASSERT_EQ(rc, 0) << c->out();
  expect_quicgo_got(c->out(), port, "big");
}

// ------------------------------------------------------------------ parallel streams

TEST_F(Interop, ParallelStreamsBraidServerToQuicGoClient) {
  int port = start_server("braid-server", braid_server());
  ASSERT_NE(port, 0);
  std::vector<std::string> files{"one", "10k", "1m", "3m", "hello.txt", "1m"};
  Process* c = nullptr;
  int rc = run_client("quicgo-client", quicgo_client(port, files, {"-cid-len", "8"}), &c);
  ASSERT_EQ(rc, 0) << c->out();
  for (auto& f : files) expect_quicgo_got(c->out(), port, f);
}

TEST_F(Interop, ParallelStreamsQuicGoServerToBraidClient) {
  int port = start_server("quicgo-server", quicgo_server());
  ASSERT_NE(port, 0);
  std::vector<std::string> files{"one", "10k", "1m", "3m", "hello.txt"};
  fs::path outdir = dir_ / "out";
  fs::create_directories(outdir);
  std::vector<std::string> argv{BRAID_BINARY, "client"};
  for (auto& f : files) argv.push_back(url(port, f));
  argv.insert(argv.end(), {"--insecure", "--output", outdir.string(), "--json"});
  int rc = run_client("braid-client", argv);
  ASSERT_EQ(rc, 0);
  for (auto& f : files) expect_file_equals(outdir / f, f);
}

// ------------------------------------------------------------------ datagrams (RFC 9221)

TEST_F(Interop, DatagramBraidClientToQuicGoEchoServer) {
  if (!braid_client_has_flag("--datagram")) {
    GTEST_SKIP() << "braid client has no --datagram option yet (braid's datagram path against quic-go "
                    "is covered by DatagramQuicGoClientToBraidEchoServer)";
  }
  int port = start_server("quicgo-server", quicgo_server({"-datagrams"}));
  ASSERT_NE(port, 0);
  fs::path out = dir_ / "hello.txt";
  Process* c = nullptr;
  int rc = run_client("braid-client", braid_client(port, "hello.txt", out, {"--datagram", "braid-ping"}), &c);
  ASSERT_EQ(rc, 0);
  // The quic-go server logs each echo on its stderr (procs_[0] may be the --help probe).
  auto server_echoed = [&] {
    for (auto& p : procs_) {
      if (p->err().find("datagram \"braid-ping\" echoed") != std::string::npos) return true;
    }
    return false;
  };
  for (int i = 0; i < 40 && !server_echoed(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(server_echoed())
      << "quic-go server never received the datagram";
  EXPECT_NE((c->out() + c->err()).find("braid-ping"), std::string::npos) << "braid client did not report the echo";
}

TEST_F(Interop, DatagramQuicGoClientToBraidEchoServer) {
  int port = start_server("braid-server", braid_server());
  ASSERT_NE(port, 0);
  Process* c = nullptr;
  int rc = run_client("quicgo-client", quicgo_client(port, {"hello.txt"}, {"-datagram", "go-ping", "-cid-len", "8"}), &c);
  ASSERT_EQ(rc, 0) << c->out();
  EXPECT_NE(c->out().find("DATAGRAM OK echo=go-ping"), std::string::npos) << c->out();
}

// ------------------------------------------------------------------ key update (RFC 9001 §6)

// braid initiates key updates during a download; quic-go must follow every one. A
// downloading client sends mostly ACKs (a few hundred over the file with GRO batching),
// so the interval is counted in those.
TEST_F(Interop, KeyUpdateInitiatedByBraidClient) {
  int port = start_server("quicgo-server", quicgo_server());
  ASSERT_NE(port, 0);
  fs::path out = dir_ / "big";
  int rc = run_client("braid-client", braid_client(port, "big", out, {"--key-update-after", "200"}));
  ASSERT_EQ(rc, 0);
  expect_file_equals(out, "big");
  // The server logs its per-connection stats once the connection is gone.
  Process& server = *procs_[0];
  for (int i = 0; i < 200 && server.err().find("connection stats:") == std::string::npos; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_GT(stat_value(server.err(), "key_updates_remote"), 0) << "quic-go saw no key update from braid";
}

// quic-go initiates key updates every 100 packets while serving; braid must follow them.
TEST_F(Interop, KeyUpdateInitiatedByQuicGoServer) {
  int port = start_server("quicgo-server", quicgo_server({"-keyupdate"}));
  ASSERT_NE(port, 0);
  fs::path out = dir_ / "big";
  int rc = run_client("braid-client", braid_client(port, "big", out));
  ASSERT_EQ(rc, 0);
  expect_file_equals(out, "big");
}

TEST_F(Interop, KeyUpdateInitiatedByQuicGoClient) {
  int port = start_server("braid-server", braid_server());
  ASSERT_NE(port, 0);
  Process* c = nullptr;
  int rc = run_client("quicgo-client", quicgo_client(port, {"big"}, {"-keyupdate", "-cid-len", "8"}), &c);
  ASSERT_EQ(rc, 0) << c->out();
  expect_quicgo_got(c->out(), port, "big");
  EXPECT_GT(stat_value(c->out(), "key_updates_local"), 0) << c->out();
}

// ------------------------------------------------------------------ Retry (RFC 9000 §8.1)

TEST_F(Interop, RetryFromQuicGoServerToBraidClient) {
  int port = start_server("quicgo-server", quicgo_server({"-retry"}));
  ASSERT_NE(port, 0);
  fs::path out = dir_ / "1m";
  int rc = run_client("braid-client", braid_client(port, "1m", out));
  ASSERT_EQ(rc, 0);
  expect_file_equals(out, "1m");
  EXPECT_NE(procs_[0]->err().find("sent Retry"), std::string::npos) << "quic-go sent no Retry";
}

TEST_F(Interop, RetryFromBraidServerToQuicGoClient) {
  int port = start_server("braid-server", braid_server({"--retry"}));
  ASSERT_NE(port, 0);
  Process* c = nullptr;
  int rc = run_client("quicgo-client", quicgo_client(port, {"1m"}, {"-cid-len", "8"}), &c);
  ASSERT_EQ(rc, 0) << c->out();
  expect_quicgo_got(c->out(), port, "1m");
  EXPECT_EQ(stat_value(c->out(), "retries_received"), 1) << c->out();
}

// ------------------------------------------------------------------ application close

// quic-go closes the connection with application error 0x1234 on the first request; the
// braid client must fail and report that code.
TEST_F(Interop, ApplicationCloseFromQuicGoServerToBraidClient) {
  int port = start_server("quicgo-server", quicgo_server({"-close-code", "4660"}));
  ASSERT_NE(port, 0);
  Process* c = nullptr;
  int rc = run_client("braid-client", braid_client(port, "hello.txt", dir_ / "hello.txt"), &c);
  EXPECT_NE(rc, 0) << "braid client succeeded although the server closed the connection";
  std::string text = c->out() + c->err();
  EXPECT_TRUE(text.find("4660") != std::string::npos || text.find("0x1234") != std::string::npos)
      << "braid client did not report application error 4660 (0x1234):\n" << tail(text);
}

}  // namespace

// Interoperability tests: the `braid` binary against quic-go 0.29 (Debian's
// golang-github-lucas-clemente-quic-go-dev), driven as real processes over loopback UDP.
//
// The quic-go side is tests/interop/quicgo_peer, built offline by build_peer.sh (by the
// quicgo_peer CMake target, or here at test time if that did not run). Tests are skipped
// only when Go itself is not installed; a peer that fails to build is a test failure.
//
// Every process gets port 0 and reports its real port; every process is bounded by a
// timeout and killed (with its process group) when the test ends.
#include <gnutls/crypto.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#ifndef BRAID_BINARY
#error "BRAID_BINARY must name the braid executable"
#endif
#ifndef BRAID_INTEROP_BUILD_SCRIPT
#error "BRAID_INTEROP_BUILD_SCRIPT must name tests/interop/build_peer.sh"
#endif
#ifndef BRAID_INTEROP_PEER
#error "BRAID_INTEROP_PEER must name where the quic-go peer binary is built"
#endif

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr auto kClientTimeout = 90s;  // one whole client run, 50 MB included
constexpr auto kListenTimeout = 15s;  // server start until "listening on"
constexpr size_t kBigSize = 50'000'000;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string tail(const std::string& s, size_t n = 6000) {
  return s.size() <= n ? s : "[...]\n" + s.substr(s.size() - n);
}

std::string sha256_hex(const std::string& data) {
  std::array<unsigned char, 32> digest{};
  if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data.data(), data.size(), digest.data()) != 0) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

bool go_installed() {
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
      if (!dir.empty() && ::access((fs::path(dir) / "go").c_str(), X_OK) == 0) return true;
    }
  }
  return ::access("/usr/lib/go/bin/go", X_OK) == 0;
}

// A child process with stdout and stderr redirected to files. Killed, with its whole
// process group, when destroyed; also killed by the kernel if this test process dies.
class Process {
 public:
  Process(std::vector<std::string> argv, fs::path out, fs::path err)
      : argv_(std::move(argv)), out_(std::move(out)), err_(std::move(err)) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      int o = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (o < 0 || e < 0) ::_exit(126);
      ::dup2(o, 1);
      ::dup2(e, 2);
      int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull >= 0) ::dup2(devnull, 0);
      std::vector<char*> args;
      for (auto& a : argv_) args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
      ::_exit(127);
    }
    if (pid_ > 0) ::setpgid(pid_, pid_);  // also from the parent: no race with kill()
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() { kill(); }

  bool started() const { return pid_ > 0; }
  bool running() {
    if (status_) return false;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) status_ = st;
    return !status_;
  }
  // Exit code (128+signal if killed by a signal), or nullopt if it ran past the timeout,
  // in which case it is killed.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
      if (std::chrono::steady_clock::now() >= deadline) {
        kill();
        return std::nullopt;
      }
      std::this_thread::sleep_for(10ms);
    }
    return exit_code();
  }
  void kill() {
    if (pid_ <= 0 || status_) return;
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int st = 0;
    if (::waitpid(pid_, &st, 0) == pid_) status_ = st;
  }
  std::optional<int> exit_code() const {
    if (!status_) return std::nullopt;
    if (WIFEXITED(*status_)) return WEXITSTATUS(*status_);
    return 128 + WTERMSIG(*status_);
  }
  std::string out() const { return read_file(out_); }
  std::string err() const { return read_file(err_); }
  std::string command() const {
    std::string s;
    for (auto& a : argv_) s += (s.empty() ? "" : " ") + a;
    return s;
  }

 private:
  std::vector<std::string> argv_;
  fs::path out_, err_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

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
struct Corpus {
  fs::path root;
  std::string big;  // 50 MB of pseudo-random bytes
  std::vector<std::pair<std::string, std::string>> files;  // name -> content

  static const Corpus& get() {
    static Corpus c;
    return c;
  }
  const std::string& content(const std::string& name) const {
    for (auto& [n, c] : files)
      if (n == name) return c;
    static const std::string none;
    return none;
  }

 private:
  Corpus() {
    root = fs::temp_directory_path() / ("braid-interop-root-" + std::to_string(::getpid()));
    fs::create_directories(root);
    std::mt19937_64 rng(0xb4a1d);
    auto random_bytes = [&](size_t n) {
      std::string s(n, '\0');
      for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t v = rng();
        std::memcpy(&s[i], &v, 8);
      }
      for (size_t i = n - n % 8; i < n; ++i) s[i] = static_cast<char>(rng());
      return s;
    };
    files = {{"hello.txt", "hello from braid interop\n"},
             {"one", "x"},
             {"10k", random_bytes(10'000)},
             {"1m", random_bytes(1'000'000)},
             {"3m", random_bytes(3'000'000)},
             {"big", random_bytes(kBigSize)}};
    for (auto& [name, content] : files) {
      std::ofstream(root / name, std::ios::binary) << content;
    }
  }
};

class CorpusCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(fs::temp_directory_path() / ("braid-interop-root-" + std::to_string(::getpid())), ec);
  }
};
[[maybe_unused]] auto* const corpus_cleanup = ::testing::AddGlobalTestEnvironment(new CorpusCleanup);

class Interop : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto& peer = PeerBuild::get();
    if (peer.go_missing) GTEST_SKIP() << "Go is not installed (scripts/install-deps.sh installs golang-go)";
    ASSERT_TRUE(peer.error.empty()) << peer.error;
    ASSERT_TRUE(fs::exists(BRAID_BINARY)) << "braid binary missing: " << BRAID_BINARY;
    auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           (std::string("braid-interop-") + info->name() + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    root_ = Corpus::get().root;
  }

  void TearDown() override {
    for (auto& p : procs_) p->kill();
    if (HasFailure()) {
      for (auto& p : procs_) {
        std::printf("---- %s\n---- stdout:\n%s\n---- stderr:\n%s\n", p->command().c_str(), tail(p->out()).c_str(),
                    tail(p->err()).c_str());
      }
      std::printf("(logs kept in %s)\n", dir_.c_str());
    } else if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  Process& spawn(const std::string& tag, std::vector<std::string> argv) {
    auto n = std::to_string(procs_.size());
    procs_.push_back(std::make_unique<Process>(std::move(argv), dir_ / (n + "-" + tag + ".out"),
                                               dir_ / (n + "-" + tag + ".err")));
    return *procs_.back();
  }

  // Starts a server and waits for its "listening on ADDR" line; returns the port or 0.
  int start_server(const std::string& tag, std::vector<std::string> argv) {
    Process& p = spawn(tag, std::move(argv));
    if (!p.started()) return 0;
    static const std::regex re(R"(listening on \S*:(\d+))");
    auto deadline = std::chrono::steady_clock::now() + kListenTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      std::smatch m;
      std::string out = p.out() + p.err();
      if (std::regex_search(out, m, re)) return std::stoi(m[1]);
      if (!p.running()) break;
      std::this_thread::sleep_for(20ms);
    }
    ADD_FAILURE() << tag << " did not report 'listening on ADDR' (exit code "
                  << (p.exit_code() ? std::to_string(*p.exit_code()) : "none, still running") << ")";
    return 0;
  }

  // Runs a client to completion (bounded by kClientTimeout); returns its exit code.
  int run_client(const std::string& tag, std::vector<std::string> argv, Process** proc = nullptr) {
    Process& p = spawn(tag, std::move(argv));
    if (proc) *proc = &p;
    auto rc = p.wait(kClientTimeout);
    if (!rc) {
      ADD_FAILURE() << tag << " ran longer than " << kClientTimeout.count() << "s and was killed";
      return -1;
    }
    return *rc;
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
    const std::string& want = Corpus::get().content(file);
    std::string line = "OK url=" + url(port, file) + " bytes=" + std::to_string(want.size()) +
                       " sha256=" + sha256_hex(want);
    EXPECT_NE(out.find(line), std::string::npos) << "expected '" << line << "' in:\n" << tail(out);
  }
  void expect_file_equals(const fs::path& got, const std::string& file) {
    ASSERT_TRUE(fs::exists(got)) << got << " was not written";
    const std::string& want = Corpus::get().content(file);
    std::string data = read_file(got);
    EXPECT_EQ(data.size(), want.size());
    EXPECT_EQ(sha256_hex(data), sha256_hex(want)) << file << " differs";
  }

  static int stat_value(const std::string& text, const std::string& key) {
    std::smatch m;
    std::regex re(key + R"(=(\d+))");
    return std::regex_search(text, m, re) ? std::stoi(m[1]) : -1;
  }

  fs::path dir_, root_;
  std::vector<std::unique_ptr<Process>> procs_;
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

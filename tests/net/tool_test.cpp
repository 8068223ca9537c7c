// The `braid` binary end to end on 127.0.0.1: `braid server` as a subprocess on port 0,
// `braid client` downloads compared by SHA-256, the JSON report, and clear failures for a
// missing server and an unverifiable certificate.
#include <cctype>
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "tests/net/net_support.h"

extern char** environ;

namespace braid::net_test {
namespace {

namespace fs = std::filesystem;

struct Child {
  pid_t pid = -1;
  int out_fd = -1;  // stdout
  int err_fd = -1;  // stderr
};

Child spawn(const std::vector<std::string>& args) {
  int out[2], err[2];
  EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
  EXPECT_EQ(pipe2(err, O_CLOEXEC), 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  Child c;
  EXPECT_EQ(posix_spawn(&c.pid, argv[0], &fa, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  close(err[1]);
  c.out_fd = out[0];
  c.err_fd = err[0];
  return c;
}

// Reads whatever is available from `fd` into `buf` until `deadline`; false on EOF/timeout.
bool read_some(int fd, std::string& buf, std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char tmp[4096];
  ssize_t n = read(fd, tmp, sizeof tmp);
  if (n <= 0) return false;
  buf.append(tmp, static_cast<size_t>(n));
  return true;
}

// Reads the child's stdout into `out` until `re` matches (10 s at most); true when it did.
bool wait_for_output(Child& c, const std::regex& re, std::string& out, std::smatch& m) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!std::regex_search(out, m, re) && read_some(c.out_fd, out, deadline)) {
  }
  return std::regex_search(out, m, re);
}

// SIGTERM, reaped, pipes closed.
void stop_child(Child& c) {
  kill(c.pid, SIGTERM);
  int status = 0;
  waitpid(c.pid, &status, 0);
  close(c.out_fd);
  close(c.err_fd);
}

struct Result {
  int exit_code = -1;  // -1: killed after the deadline
  std::string out, err;
  double seconds = 0;
};

// Runs to completion (killed after `limit`), collecting stdout and stderr.
Result run(const std::vector<std::string>& args, std::chrono::seconds limit = std::chrono::seconds(20)) {
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + limit;
  Child c = spawn(args);
  Result r;
  bool out_open = true, err_open = true;
  while ((out_open || err_open) && std::chrono::steady_clock::now() < deadline) {
    pollfd p[2] = {{out_open ? c.out_fd : -1, POLLIN, 0}, {err_open ? c.err_fd : -1, POLLIN, 0}};
    if (poll(p, 2, 100) <= 0) continue;
    char tmp[65536];
    if (p[0].revents) {
      ssize_t n = read(c.out_fd, tmp, sizeof tmp);
      if (n <= 0) out_open = false; else r.out.append(tmp, static_cast<size_t>(n));
    }
    if (p[1].revents) {
      ssize_t n = read(c.err_fd, tmp, sizeof tmp);
      if (n <= 0) err_open = false; else r.err.append(tmp, static_cast<size_t>(n));
    }
  }
  int status = 0;
  if (out_open || err_open) kill(c.pid, SIGKILL);
  waitpid(c.pid, &status, 0);
  close(c.out_fd);
  close(c.err_fd);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!out_open && !err_open && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

std::string file_sha256(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto d = sha256(data);
  std::string s;
  for (uint8_t b : d) s += fmt::format("{:02x}", b);
  return s;
}

class ToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("braid-tool-test-{}-{}", getpid(), counter_++);
    fs::create_directories(dir_ / "root");
    std::vector<uint8_t> data(3u << 20);
    for (size_t i = 0; i < data.size(); ++i) data[i] = pattern_byte(i * 7 + 3);
    std::ofstream(dir_ / "root" / "file.bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    std::ofstream(dir_ / "root" / "small.txt") << "hello over QUIC\n";
    std::ofstream(dir_ / "secret.txt") << "outside the root\n";

    server_ = spawn({BRAID_BINARY, "server", "--listen", "127.0.0.1:0", "--root", (dir_ / "root").string(),
                     "--duration", "60s", "--quiet"});
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::smatch m;
    static const std::regex re("listening on 127\\.0\\.0\\.1:([0-9]+)");
    while (!std::regex_search(out, m, re) && read_some(server_.out_fd, out, deadline)) {
    }
    ASSERT_TRUE(std::regex_search(out, m, re)) << "server said: " << out;
    port_ = std::stoi(m[1].str());
    std::smatch fp;
    if (std::regex_search(out, fp, std::regex("fingerprint ([0-9A-F:]+)"))) fingerprint_ = fp[1].str();
  }

  void TearDown() override {
    if (server_.pid > 0) {
      kill(server_.pid, SIGTERM);
      int status = 0;
      for (int i = 0; i < 100 && waitpid(server_.pid, &status, WNOHANG) == 0; ++i) usleep(20000);
      if (waitpid(server_.pid, &status, WNOHANG) == 0) {
        kill(server_.pid, SIGKILL);
        waitpid(server_.pid, &status, 0);
        ADD_FAILURE() << "server did not stop on SIGTERM";
      } else {
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "server exit status " << status;
      }
      close(server_.out_fd);
      close(server_.err_fd);
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string url(const std::string& path) { return fmt::format("https://127.0.0.1:{}{}", port_, path); }
  // `braid client` fetching file.bin `copies` times on one connection, then `flags`.
  std::vector<std::string> client_args(int copies, std::initializer_list<const char*> flags) {
    std::vector<std::string> args{BRAID_BINARY, "client"};
    for (int i = 0; i < copies; ++i) args.push_back(url("/file.bin"));
    args.insert(args.end(), flags.begin(), flags.end());
    return args;
  }

  static inline int counter_ = 0;
  fs::path dir_;
  Child server_;
  int port_ = 0;
  std::string fingerprint_;
};

TEST_F(ToolTest, DownloadMatchesAndJsonReports) {
  fs::path out = dir_ / "out.bin";
  auto r = run({BRAID_BINARY, "client", url("/file.bin"), "--insecure", "--output", out.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(file_sha256(out), file_sha256(dir_ / "root" / "file.bin"));
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["ok"].get<bool>());
  EXPECT_EQ(j["alpn"], "hq-interop");
  EXPECT_EQ(j["bytes"].get<uint64_t>(), 3u << 20);
  EXPECT_GT(j["goodput_mbps"].get<double>(), 0.0);
  ASSERT_EQ(j["streams"].size(), 1u);
  EXPECT_TRUE(j["streams"][0]["complete"].get<bool>());
  ASSERT_GE(j["paths"].size(), 1u);
  EXPECT_GT(j["paths"][0]["smoothed_rtt_ms"].get<double>(), 0.0);
  EXPECT_GT(j["paths"][0]["packets_received"].get<uint64_t>(), 2000u);
  EXPECT_TRUE(j["connection"].contains("packets_lost"));
  EXPECT_GT(j["socket"]["gro_coalesced_datagrams"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["paths"][0]["congestion_controller"], "cubic");
  EXPECT_TRUE(j["paths"][0].contains("cc_state"));
}

// The client's own controller (it sends the request and the ACKs) shows in its summary.
TEST_F(ToolTest, JsonNamesTheChosenController) {
  auto r = run({BRAID_BINARY, "client", url("/file.bin"), "--insecure", "--output", "/dev/null", "--json", "--cc", "bbr"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_GE(j["paths"].size(), 1u);
  EXPECT_EQ(j["paths"][0]["congestion_controller"], "bbr");
  std::string state = j["paths"][0]["cc_state"];
  EXPECT_TRUE(state == "startup" || state == "drain" || state.rfind("probe_", 0) == 0) << state;
  EXPECT_GT(j["paths"][0]["pacing_rate_mbps"].get<double>(), 0.0);  // BBR always paces
}

TEST_F(ToolTest, SeveralUrlsIntoDirectory) {
  fs::path out = dir_ / "outdir";
  auto r = run({BRAID_BINARY, "client", url("/file.bin"), url("/small.txt"), "--insecure", "--output",
                out.string() + "/", "--sha256"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(file_sha256(out / "file.bin"), file_sha256(dir_ / "root" / "file.bin"));
  EXPECT_EQ(file_sha256(out / "small.txt"), file_sha256(dir_ / "root" / "small.txt"));
  EXPECT_NE(r.out.find(file_sha256(dir_ / "root" / "small.txt")), std::string::npos) << r.out;
}

TEST_F(ToolTest, MissingFileAndTraversalAreRefused) {
  auto r = run({BRAID_BINARY, "client", url("/nope.bin"), "--insecure", "--output", "/dev/null"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("0x2 (not found)"), std::string::npos) << r.err;
  r = run({BRAID_BINARY, "client", url("/../secret.txt"), "--insecure", "--output", "/dev/null"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("0x1 (bad request)"), std::string::npos) << r.err;
}

TEST_F(ToolTest, UntrustedCertificateIsAClearError) {
  auto r = run({BRAID_BINARY, "client", url("/small.txt"), "--output", "/dev/null", "--timeout", "5s"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("handshake failed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad_certificate"), std::string::npos) << r.err;
  EXPECT_LT(r.seconds, 5.0);
}

TEST_F(ToolTest, PerfDownload) {
  // The file server also speaks the perf protocol.
  auto r = run({BRAID_BINARY, "perf", "client", fmt::format("127.0.0.1:{}", port_), "--download", "4M", "--streams",
                "2", "-k", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["downloaded_bytes"].get<uint64_t>(), 4u << 20);
  EXPECT_GT(j["goodput_mbps"].get<double>(), 0.0);
}

TEST(ToolClient, NoServerFailsWithinTimeout) {
  // Port of a socket we bind and never answer on: nothing else can be listening there.
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  auto r = run({BRAID_BINARY, "client", fmt::format("https://127.0.0.1:{}/x", ntohs(sa.sin_port)), "--insecure",
                "--timeout", "1s", "--json"});
  close(fd);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no handshake"), std::string::npos) << r.err;
  EXPECT_LT(r.seconds, 4.0);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["ok"].get<bool>());
}

TEST_F(ToolTest, ExtraPathFromSecondLocalAddress) {
  std::vector<std::string> args{BRAID_BINARY, "client"};
  for (int i = 0; i < 8; ++i) args.push_back(url("/file.bin"));
  for (const char* a : {"--insecure", "--path", "127.0.0.3", "--scheduler", "minrtt", "--json"}) args.push_back(a);
  auto r = run(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["multipath"].get<bool>());
  ASSERT_EQ(j["paths"].size(), 2u) << r.out;
  EXPECT_EQ(j["paths"][1]["local"].get<std::string>().rfind("127.0.0.3:", 0), 0u) << r.out;
  for (const auto& p : j["paths"]) {
    EXPECT_GT(p["bytes"].get<uint64_t>(), 0u) << p.dump();
    EXPECT_TRUE(p.contains("goodput_mbps") && p.contains("smoothed_rtt_ms") && p.contains("losses") && p.contains("state"));
  }
  EXPECT_TRUE(j.contains("longest_stall_ms"));
  EXPECT_TRUE(j.contains("bonding"));
}

// Scheduled path operations over real sockets: a second path made a backup, then
// abandoned, each reported in the JSON.
TEST_F(ToolTest, PathActionsRunAndAreReported) {
  auto r = run(client_args(8, {"--insecure", "--json", "--path", "127.0.0.3", "--path-status", "1=backup@1M",
                               "--abandon-path", "1@8M"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["bytes"].get<uint64_t>(), 8u * (3u << 20));
  ASSERT_EQ(j["path_actions"].size(), 2u) << r.out;
  for (const auto& a : j["path_actions"]) {
    EXPECT_TRUE(a["done"].get<bool>()) << a.dump();
    EXPECT_EQ(a["path_id"].get<int>(), 1);
  }
  bool abandoned = false;
  for (const auto& e : j["path_events"]) {
    if (e["path_id"] == 1 && (e["state"] == "closing" || e["state"] == "closed")) abandoned = true;
  }
  EXPECT_TRUE(abandoned) << r.out;
}

// Abandoning the only path ends the connection: a clear error, and a report whose
// transfer time counts to the last byte (it used to be negative).
TEST_F(ToolTest, AbandoningTheLastPathFailsCleanly) {
  auto r = run(client_args(4, {"--insecure", "--json", "--abandon-path", "0@1M"}));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["ok"].get<bool>());
  EXPECT_NE(j["error"].get<std::string>().find("last path"), std::string::npos) << j["error"];
  EXPECT_GT(j["bytes"].get<uint64_t>(), 0u);
  EXPECT_GE(j["transfer_s"].get<double>(), 0.0);
  EXPECT_GE(j["goodput_mbps"].get<double>(), 0.0);
}

// --migrate probes the new local address and moves the connection there.
TEST_F(ToolTest, MigrateMovesTheConnection) {
  auto r = run(client_args(8, {"--insecure", "--json", "--migrate", "127.0.0.5@1M"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["bytes"].get<uint64_t>(), 8u * (3u << 20));
  ASSERT_EQ(j["paths"].size(), 1u);
  EXPECT_EQ(j["paths"][0]["local"].get<std::string>().rfind("127.0.0.5:", 0), 0u) << r.out;
  EXPECT_EQ(j["connection"]["packets_dropped"].get<uint64_t>(), 0u);
}

// A FIFO under --root is refused at once instead of blocking the server's loop in open().
TEST_F(ToolTest, FifoUnderRootIsRefusedWithoutBlocking) {
  ASSERT_EQ(::mkfifo((dir_ / "root" / "pipe").c_str(), 0644), 0);
  auto r = run({BRAID_BINARY, "client", url("/pipe"), "--insecure", "--output", "/dev/null"}, std::chrono::seconds(10));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("0x2 (not found)"), std::string::npos) << r.err;
  // The server still answers.
  auto ok = run({BRAID_BINARY, "client", url("/small.txt"), "--insecure", "--output", "/dev/null"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST_F(ToolTest, BadPathActionsAreClearErrors) {
  auto r = run({BRAID_BINARY, "client", url("/small.txt"), "--insecure", "--abandon-path", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("needs @WHEN"), std::string::npos) << r.err;
  r = run({BRAID_BINARY, "client", url("/small.txt"), "--insecure", "--path-status", "1=sideways@2s"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("backup or available"), std::string::npos) << r.err;
  r = run({BRAID_BINARY, "client", url("/small.txt"), "--insecure", "--migrate", "127.0.0.5@soon"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("neither a time"), std::string::npos) << r.err;
}

TEST_F(ToolTest, LoadRunsManyConnectionsAndReports) {
  auto r = run({BRAID_BINARY, "load", url("/small.txt"), "-k", "-n", "20", "--rate", "0", "--json"},
               std::chrono::seconds(30));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["connections"], 20);
  EXPECT_EQ(j["succeeded"], 20);
  EXPECT_EQ(j["failed"], 0);
  EXPECT_GT(j["handshake_ms"]["p50"].get<double>(), 0.0);
  EXPECT_GT(j["handshakes_per_second"].get<double>(), 0.0);
  EXPECT_EQ(j["bytes"].get<uint64_t>(), 20u * std::filesystem::file_size(dir_ / "root" / "small.txt"));
  auto bad = run({BRAID_BINARY, "load", url("/small.txt"), "-k", "--rate", "fast"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--rate fast"), std::string::npos) << bad.err;
  auto missing = run({BRAID_BINARY, "load", url("/nosuch"), "-k", "-n", "3", "--json"}, std::chrono::seconds(30));
  EXPECT_NE(missing.exit_code, 0);
}

TEST_F(ToolTest, UnknownSchedulerIsAClearError) {
  auto r = run({BRAID_BINARY, "client", url("/small.txt"), "--insecure", "--scheduler", "nosuch"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--scheduler nosuch: unknown"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("minrtt"), std::string::npos) << r.err;
}

TEST_F(ToolTest, DatagramEcho) {
  auto r = run({BRAID_BINARY, "client", url("/small.txt"), "--insecure", "--output", "/dev/null", "--datagram",
                "braid-ping"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("datagram echo: \"braid-ping\""), std::string::npos) << r.out;
}

TEST(ToolServer, MaxPathsZeroGivesSinglePath) {
  fs::path root = fs::temp_directory_path() / fmt::format("braid-tool-test-sp-{}", getpid());
  fs::create_directories(root);
  std::ofstream(root / "small.txt") << "hello\n";
  Child server = spawn({BRAID_BINARY, "server", "--listen", "127.0.0.1:0", "--root", root.string(), "--duration", "20s",
                        "--quiet", "--max-paths", "0"});
  std::string out;
  std::smatch m;
  static const std::regex re("listening on 127\\.0\\.0\\.1:([0-9]+)");
  ASSERT_TRUE(wait_for_output(server, re, out, m)) << out;
  auto r = run({BRAID_BINARY, "client", fmt::format("https://127.0.0.1:{}/small.txt", m[1].str()), "--insecure",
                "--path", "127.0.0.3", "--json"});
  stop_child(server);
  std::error_code ec;
  fs::remove_all(root, ec);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["multipath"].get<bool>());
  EXPECT_EQ(j["paths"].size(), 1u);
  EXPECT_NE(r.err.find("did not negotiate multipath"), std::string::npos) << r.err;
}

// braid server --preferred-address: the braid client validates it and moves path 0 there.
TEST(ToolServer, PreferredAddressIsFollowed) {
  fs::path root = fs::temp_directory_path() / fmt::format("braid-tool-test-pa-{}", getpid());
  fs::create_directories(root);
  {
    std::vector<char> data(4u << 20, 'p');
    std::ofstream(root / "f.bin", std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
  }
  Child server = spawn({BRAID_BINARY, "server", "--listen", "127.0.0.1:0", "--root", root.string(), "--duration", "20s",
                        "--quiet", "--preferred-address", "127.0.0.7:0"});
  std::string out;
  std::smatch m, pa;
  static const std::regex re("listening on 127\\.0\\.0\\.1:([0-9]+)[^\\n]*\\npreferred address (127\\.0\\.0\\.7:[0-9]+)");
  bool started = wait_for_output(server, re, out, m);
  Result r;
  if (started) {
    r = run({BRAID_BINARY, "client", fmt::format("https://127.0.0.1:{}/f.bin", m[1].str()), "--insecure", "--json",
             "--output", "/dev/null"});
  }
  stop_child(server);
  std::error_code ec;
  fs::remove_all(root, ec);
  ASSERT_TRUE(started) << out;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["paths"][0]["remote"].get<std::string>(), m[2].str()) << r.out;
  EXPECT_EQ(j["connection"]["packets_dropped"].get<uint64_t>(), 0u);
}

// braid server --advertise / braid client --use-advertised: the client hears the second
// address (with the port bound for it) and opens a path there that carries packets; a
// client without --use-advertised hears nothing.
TEST(ToolServer, AdvertisedAddressGetsAPath) {
  fs::path root = fs::temp_directory_path() / fmt::format("braid-tool-test-adv-{}", getpid());
  fs::create_directories(root);
  {
    std::vector<char> data(8u << 20, 'a');
    std::ofstream(root / "f.bin", std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
  }
  Child server = spawn({BRAID_BINARY, "server", "--listen", "127.0.0.1:0", "--root", root.string(), "--duration", "20s",
                        "--quiet", "--advertise", "127.0.0.8:0"});
  std::string out;
  std::smatch m;
  static const std::regex re("listening on 127\\.0\\.0\\.1:([0-9]+)[^\\n]*\\nadvertising (127\\.0\\.0\\.8:[0-9]+)");
  bool started = wait_for_output(server, re, out, m);
  Result with, without;
  if (started) {
    std::string url = fmt::format("https://127.0.0.1:{}/f.bin", m[1].str());
    with = run({BRAID_BINARY, "client", url, "--insecure", "--json", "--use-advertised", "--output", "/dev/null"});
    without = run({BRAID_BINARY, "client", url, "--insecure", "--json", "--output", "/dev/null"});
  }
  stop_child(server);
  std::error_code ec;
  fs::remove_all(root, ec);
  ASSERT_TRUE(started) << out;
  ASSERT_EQ(with.exit_code, 0) << with.err;
  auto j = nlohmann::json::parse(with.out);
  EXPECT_TRUE(j["connection"]["address_advertisement"].get<bool>()) << with.out;
  ASSERT_EQ(j["connection"]["advertised_addresses"].size(), 1u);
  EXPECT_EQ(j["connection"]["advertised_addresses"][0].get<std::string>(), m[2].str());
  bool opened = false, used = false;
  for (const auto& e : j["path_events"]) {
    if (e.contains("advertised")) opened = e["opened"].get<bool>() && e["advertised"].get<std::string>() == m[2].str();
  }
  for (const auto& p : j["paths"]) {
    // Validated and carrying packets (an 8 MB loopback download may end before it gets data).
    if (p["remote"].get<std::string>() == m[2].str()) used = p["packets_received"].get<uint64_t>() > 0;
  }
  EXPECT_TRUE(opened) << with.out;
  EXPECT_TRUE(used) << with.out;
  ASSERT_EQ(without.exit_code, 0) << without.err;
  auto k = nlohmann::json::parse(without.out);
  EXPECT_FALSE(k["connection"]["address_advertisement"].get<bool>());
  EXPECT_TRUE(k["connection"]["advertised_addresses"].empty());
  EXPECT_EQ(k["paths"].size(), 1u);
}

// braid server --lb-config (QUIC-LB, plaintext here so the test can read it): over real
// sockets, every connection ID the server announces, on both paths of a multipath
// connection, starts with the first octet (config 0, length 8) and the server ID.
TEST(ToolServer, LbConfigCidsCarryTheServerId) {
  fs::path root = fs::temp_directory_path() / fmt::format("braid-tool-test-lb-{}", getpid());
  fs::create_directories(root / "www");
  {
    std::vector<char> data(2u << 20, 'l');   // long enough for the second path to join
    std::ofstream(root / "www" / "small.txt", std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
  }
  Child server = spawn({BRAID_BINARY, "server", "--listen", "127.0.0.1:0", "--root", (root / "www").string(),
                        "--duration", "20s", "--quiet", "--qlog-dir", (root / "qlog").string(), "--lb-config",
                        "server-id=0a0b0c,nonce=4"});
  std::string out;
  std::smatch m;
  static const std::regex re("listening on 127\\.0\\.0\\.1:([0-9]+)[^\\n]*\\nQUIC-LB: server ID 0a0b0c, config 0, plaintext 8-byte");
  bool started = wait_for_output(server, re, out, m);
  Result r;
  if (started) {
    r = run({BRAID_BINARY, "client", fmt::format("https://127.0.0.1:{}/small.txt", m[1].str()), "--insecure",
             "--path", "127.0.0.2", "--json", "--output", "/dev/null"});
  }
  stop_child(server);
  std::vector<std::string> cids;
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(root / "qlog", ec)) {
    std::ifstream in(f.path());
    static const std::regex cid_re(R"re("frame_type":"(path_)?new_connection_id"[^}]*"connection_id":"([0-9a-f]+)")re");
    for (std::string line; std::getline(in, line);) {
      if (line.find("\"quic:packet_sent\"") == std::string::npos) continue;
      for (std::sregex_iterator it(line.begin(), line.end(), cid_re), end; it != end; ++it) cids.push_back((*it)[2].str());
    }
  }
  fs::remove_all(root, ec);
  ASSERT_TRUE(started) << out;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["paths"].size(), 2u);
  ASSERT_GE(cids.size(), 4u) << "NEW_CONNECTION_ID and PATH_NEW_CONNECTION_ID frames in the server's qlog";
  for (const auto& c : cids) EXPECT_EQ(c.substr(0, 8), "070a0b0c") << c;
}

// braid server --workers 2 --retry: connections spread over both workers (random client
// DCIDs pick the first), each one's second path, its Retry and every later packet reach the
// worker that owns it (a path steered elsewhere would never validate), and every download
// is intact. 16 clients: all on one worker by chance is 2 in 65536.
TEST(ToolServer, WorkersSpreadConnectionsAndKeepEachOnItsWorker) {
  fs::path root = fs::temp_directory_path() / fmt::format("braid-tool-test-workers-{}", getpid());
  fs::create_directories(root);
  std::vector<char> data(4u << 20);   // long enough for the second path to carry data
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31 + 7);
  std::ofstream(root / "f.bin", std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
  const std::string want = file_sha256(root / "f.bin");
  Child server = spawn({BRAID_BINARY, "server", "--listen", "127.0.0.1:0", "--root", root.string(), "--duration", "60s",
                        "--quiet", "--retry", "--workers", "2"});
  std::string out;
  std::smatch m;
  static const std::regex re("listening on 127\\.0\\.0\\.1:([0-9]+) [^\\n]*, 2 workers");
  bool started = wait_for_output(server, re, out, m);
  constexpr int kClients = 16;
  int ok = 0, two_paths = 0;
  std::string failure;
  for (int i = 0; started && i < kClients; ++i) {
    fs::path dst = root / fmt::format("out{}", i);
    Result r = run({BRAID_BINARY, "client", fmt::format("https://127.0.0.1:{}/f.bin", m[1].str()), "--insecure",
                    "--path", "127.0.0.2", "--json", "--output", dst.string()});
    if (r.exit_code != 0) {
      failure = r.err;
      continue;
    }
    if (file_sha256(dst) == want) ++ok;
    int used = 0;
    auto j = nlohmann::json::parse(r.out);
    for (const auto& p : j["paths"]) used += p["packets_received"].get<uint64_t>() > 0;
    two_paths += used == 2;
    if (used != 2) failure = r.out;
  }
  kill(server.pid, SIGTERM);
  std::string err;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (read_some(server.err_fd, err, deadline)) {
  }
  int status = 0;
  waitpid(server.pid, &status, 0);
  close(server.out_fd);
  close(server.err_fd);
  std::error_code ec;
  fs::remove_all(root, ec);
  ASSERT_TRUE(started) << out;
  EXPECT_EQ(ok, kClients) << failure;
  EXPECT_EQ(two_paths, kClients) << failure;
  std::smatch sm;
  static const std::regex summary("after ([0-9]+) connection\\(s\\) on 2 workers \\(([0-9]+) ([0-9]+) each\\)");
  ASSERT_TRUE(std::regex_search(err, sm, summary)) << err;
  EXPECT_EQ(std::stoi(sm[1].str()), kClients);
  EXPECT_GT(std::stoi(sm[2].str()), 0) << err;
  EXPECT_GT(std::stoi(sm[3].str()), 0) << err;
}

// What a worker server cannot do yet is refused with the reason, not half done.
TEST(ToolServer, WorkersRefuseWhatTheyCannotShare) {
  Result r = run({BRAID_BINARY, "server", "--listen", "127.0.0.1:0", "--workers", "2", "--advertise", "127.0.0.8:0",
                  "--duration", "1s"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--advertise is not supported with --workers > 1"), std::string::npos) << r.err;
  r = run({BRAID_BINARY, "server", "--listen", "127.0.0.1:0", "--workers", "300", "--duration", "1s"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("at most 255"), std::string::npos) << r.err;
}

TEST(ToolDemo, MultipathDemoAggregatesAndFailsOver) {
  auto r = run({BRAID_BINARY, "demo"}, std::chrono::seconds(45));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_LT(r.seconds, 40.0);
  EXPECT_NE(r.out.find("SHA-256 verified"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("failover stall"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("multipath, bonding"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("path A cut"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("path A restored"), std::string::npos) << r.err;
  // Without a terminal the live display is one line per second with every path.
  EXPECT_NE(r.err.find("| path 1 "), std::string::npos) << r.err;
}

// Every built-in scheduler carries the demo's download over two emulated paths (one cut and
// restored) on real sockets, SHA-256 verified. Short: 4 MiB.
class DemoWithScheduler : public ::testing::TestWithParam<const char*> {};

TEST_P(DemoWithScheduler, CompletesVerified) {
  auto r = run({BRAID_BINARY, "demo", "--size", "4M", "--scheduler", GetParam()}, std::chrono::seconds(40));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(fmt::format("scheduler {} ", GetParam())), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("SHA-256 verified"), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Schedulers, DemoWithScheduler,
                         ::testing::Values("minrtt", "rr", "lowlat", "weighted", "blest", "ecf", "redundant",
                                           "backup:inner=lowlat"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& c : n) if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

// Every congestion controller carries the same download on real sockets: the server sends
// with it on both paths (BBR paced by its model, the coupled ones sharing one group).
class DemoWithController : public ::testing::TestWithParam<const char*> {};

TEST_P(DemoWithController, CompletesVerified) {
  auto r = run({BRAID_BINARY, "demo", "--size", "4M", "--cc", GetParam()}, std::chrono::seconds(40));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(fmt::format("cc        {} ", GetParam())), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("SHA-256 verified"), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Controllers, DemoWithController, ::testing::Values("reno", "bbr", "lia", "olia", "balia"));

TEST(ToolDemo, UnknownControllerIsAClearError) {
  auto r = run({BRAID_BINARY, "demo", "--cc", "vegas"}, std::chrono::seconds(10));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown congestion controller (known: balia, bbr, cubic, lia, olia, reno)"), std::string::npos)
      << r.err;
}

TEST(ToolDemo, BadSchedulerSpecsAreClearErrors) {
  auto r = run({BRAID_BINARY, "demo", "--scheduler", "rr:quota=0"}, std::chrono::seconds(10));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("quota"), std::string::npos) << r.err;
  auto s = run({BRAID_BINARY, "server", "--listen", "127.0.0.1:0", "--scheduler", "fastest"}, std::chrono::seconds(10));
  EXPECT_EQ(s.exit_code, 2);
  EXPECT_NE(s.err.find("unknown path scheduler 'fastest' (known: "), std::string::npos) << s.err;
  auto c = run({BRAID_BINARY, "server", "--listen", "127.0.0.1:0", "--cc", "vegas"}, std::chrono::seconds(10));
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.err.find("unknown congestion controller"), std::string::npos) << c.err;
}

TEST(ToolDemo, SinglePathCheck) {
  auto r = run({BRAID_BINARY, "demo", "--single"}, std::chrono::seconds(40));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("SHA-256 verified"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace braid::net_test

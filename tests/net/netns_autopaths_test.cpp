// `braid client --auto-paths` following interfaces for real: two network namespaces made by
// the test (names random per run) joined by veth pairs, `braid server` in one, the client in
// the other downloading a file the server's veth rate-limits (tbf) to a few seconds. Mid-
// transfer the client gets a second address (a path opens) and loses it (the path is
// abandoned), then a second veth link comes up (a path opens) and goes down (abandoned);
// the download completes and its SHA-256 matches. Needs root and `ip netns`; skips with a
// message otherwise. Only addresses inside the test's own namespaces (10.77.x.y) are used.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "tests/net/net_support.h"
#include "tests/net/tool_process.h"

namespace braid::net_test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string ip_binary() {
  for (const char* p : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (fs::exists(p)) return p;
  }
  return {};
}

// Runs a command line built from our own names and fixed addresses (no user input).
int sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

std::string file_sha256(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  auto d = sha256(bytes);
  return fmt::format("{:02x}", fmt::join(d, ""));
}

class NetnsAutoPaths : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to create network namespaces (ip netns add)";
    ip_ = ip_binary();
    if (ip_.empty()) GTEST_SKIP() << "no `ip` binary (iproute2) found";
    std::random_device rd;
    std::string tag = fmt::format("{:06x}", rd() & 0xffffff);
    server_ns_ = "brs" + tag;
    client_ns_ = "brc" + tag;
    // veth names: at most 15 characters, unique per run.
    link_s_ = "bs" + tag;
    link_c_ = "bc" + tag;
    link2_s_ = "bt" + tag;
    link2_c_ = "bd" + tag;
    if (sh(ip_ + " netns add " + server_ns_) != 0) {
      GTEST_SKIP() << "`ip netns add` failed: network namespaces are not available here";
    }
    created_server_ = true;
    if (sh(ip_ + " netns add " + client_ns_) != 0) GTEST_SKIP() << "`ip netns add` failed for the second namespace";
    created_client_ = true;
    // Veths are created inside the server namespace so nothing ever appears in the host's.
    std::vector<std::string> setup = {
        in(server_ns_, "link add " + link_s_ + " type veth peer name " + link_c_ + " netns " + client_ns_),
        in(server_ns_, "addr add 10.77.1.1/24 dev " + link_s_),
        in(client_ns_, "addr add 10.77.1.2/24 dev " + link_c_),
        in(server_ns_, "link set lo up"),
        in(client_ns_, "link set lo up"),
        in(server_ns_, "link set " + link_s_ + " up"),
        in(client_ns_, "link set " + link_c_ + " up"),
    };
    for (const auto& c : setup) ASSERT_EQ(sh(c), 0) << "setup failed: " << c;
    // The download lasts a few seconds: the server's side of the link sends at 40 Mbit/s.
    // Without tbf the test still runs, with a larger file.
    rate_limited_ = sh(fmt::format("{} netns exec {} tc qdisc add dev {} root tbf rate 40mbit burst 64kb latency 300ms",
                                   ip_, server_ns_, link_s_)) == 0;
    dir_ = fs::temp_directory_path() / ("braid-netns-" + tag);
    fs::create_directories(dir_ / "root");
  }

  void TearDown() override {
    // Deleting a namespace deletes the veths in it (and their peers).
    if (created_client_) {
      EXPECT_EQ(sh(ip_ + " netns del " + client_ns_), 0) << "could not delete " << client_ns_;
    }
    if (created_server_) {
      EXPECT_EQ(sh(ip_ + " netns del " + server_ns_), 0) << "could not delete " << server_ns_;
    }
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  std::string in(const std::string& ns, const std::string& args) const { return ip_ + " -n " + ns + " " + args; }
  std::vector<std::string> exec_in(const std::string& ns, std::vector<std::string> args) const {
    std::vector<std::string> v{ip_, "netns", "exec", ns};
    v.insert(v.end(), args.begin(), args.end());
    return v;
  }

  std::string ip_, server_ns_, client_ns_, link_s_, link_c_, link2_s_, link2_c_;
  bool created_server_ = false, created_client_ = false, rate_limited_ = false;
  fs::path dir_;
};

// The "auto" path events of a --json report: (event, local address, path id, time).
struct AutoEvent {
  std::string what, local;
  uint64_t path;
  double at;
};

TEST_F(NetnsAutoPaths, PathsFollowAddressesAndLinksMidTransfer) {
  const size_t bytes = rate_limited_ ? 40u << 20 : 600u << 20;
  {
    std::vector<uint8_t> data(bytes);
    std::mt19937_64 rng(42);
    for (size_t i = 0; i < bytes; i += 8) {
      uint64_t v = rng();
      std::memcpy(data.data() + i, &v, std::min<size_t>(8, bytes - i));
    }
    std::ofstream(dir_ / "root" / "big.bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(bytes));
  }
  Tool server(exec_in(server_ns_, {BRAID_BINARY, "server", "--listen", "10.77.1.1:0", "--root", (dir_ / "root").string(),
                                   "--duration", "60s"}));
  auto port = server.wait_for(std::regex(R"(listening on 10\.77\.1\.1:([0-9]+))"));
  ASSERT_TRUE(port) << "server said: " << server.output();

  Tool client(exec_in(client_ns_, {BRAID_BINARY, "client", fmt::format("https://10.77.1.1:{}/big.bin", *port), "-k",
                                   "--auto-paths", "--sha256", "--no-progress", "--json", "--timeout", "20s", "-o",
                                   (dir_ / "out.bin").string()}));
  auto step = [&](const std::string& cmd, std::chrono::milliseconds then) {
    ASSERT_TRUE(client.running()) << "the download ended before: " << cmd << "\n" << client.output();
    ASSERT_EQ(sh(cmd), 0) << cmd;
    std::this_thread::sleep_for(then);
  };
  std::this_thread::sleep_for(700ms);
  // A second address on the same link: a path from it.
  step(in(client_ns_, "addr add 10.77.1.3/24 dev " + link_c_), 1000ms);
  step(in(client_ns_, "addr del 10.77.1.3/24 dev " + link_c_), 500ms);
  // A second link: its address opens a path; the link going down abandons it.
  step(in(server_ns_, "link add " + link2_s_ + " type veth peer name " + link2_c_ + " netns " + client_ns_), 0ms);
  step(in(server_ns_, "addr add 10.77.2.1/24 dev " + link2_s_), 0ms);
  if (rate_limited_) {  // the second link is as slow as the first, so the download still lasts
    step(fmt::format("{} netns exec {} tc qdisc add dev {} root tbf rate 40mbit burst 64kb latency 300ms", ip_,
                     server_ns_, link2_s_),
         0ms);
  }
  step(in(client_ns_, "addr add 10.77.2.2/24 dev " + link2_c_), 0ms);
  step(in(server_ns_, "link set " + link2_s_ + " up"), 0ms);
  // The kernel reports carrier (IFF_RUNNING) through linkwatch, up to a second after "up".
  step(in(client_ns_, "link set " + link2_c_ + " up"), 2500ms);
  step(in(client_ns_, "link set " + link2_c_ + " down"), 0ms);
  ASSERT_TRUE(client.running()) << "the download was too short to see the last change:\n" << client.output();

  for (auto deadline = Clock::now() + 60s; client.running() && Clock::now() < deadline;) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_FALSE(client.running()) << "client still running:\n" << client.output();
  std::string out = client.output();
  ASSERT_EQ(client.exit_code(), 0) << out;
  auto json_start = out.find('{');
  ASSERT_NE(json_start, std::string::npos) << out;
  nlohmann::json j = nlohmann::json::parse(out.substr(json_start, out.rfind("\n}") + 2 - json_start), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_TRUE(j["ok"].get<bool>()) << out;

  std::vector<AutoEvent> autos;
  for (const auto& e : j["path_events"]) {
    if (e.contains("auto")) {
      autos.push_back({e["auto"], e["local"], e["path_id"], e["at_s"]});
    }
  }
  auto find = [&](const std::string& what, const std::string& ip) -> const AutoEvent* {
    for (const auto& a : autos) {
      if (a.what == what && a.local.rfind(ip + ":", 0) == 0) return &a;
    }
    return nullptr;
  };
  for (const char* ip : {"10.77.1.3", "10.77.2.2"}) {
    const AutoEvent* opened = find("opened", ip);
    const AutoEvent* abandoned = find("abandoned", ip);
    ASSERT_TRUE(opened) << "no path opened from " << ip << ":\n" << out;
    ASSERT_TRUE(abandoned) << "the path from " << ip << " was not abandoned:\n" << out;
    EXPECT_EQ(opened->path, abandoned->path);
    EXPECT_GT(opened->path, 0u);
    EXPECT_LT(opened->at, abandoned->at);
    // The path really came up in between (validated by the server), and then closed.
    bool validated = false, closing = false;
    for (const auto& e : j["path_events"]) {
      if (!e.contains("state") || e["path_id"] != opened->path) continue;
      double at = e["at_s"];
      if (e["state"] == "validated" && at > opened->at && at < abandoned->at) validated = true;
      if ((e["state"] == "closing" || e["state"] == "closed") && at >= abandoned->at) closing = true;
    }
    EXPECT_TRUE(validated) << "path from " << ip << " never validated:\n" << out;
    EXPECT_TRUE(closing) << "path from " << ip << " never left after PATH_ABANDON:\n" << out;
  }
  // Each extra path carried part of the download before it went (counted at PATH_ABANDON:
  // the final stats no longer list retired paths).
  for (const auto& e : j["path_events"]) {
    if (e.contains("auto") && e["auto"] == "abandoned") {
      ASSERT_TRUE(e.contains("stream_bytes")) << out;
      EXPECT_GT(e["stream_bytes"].get<uint64_t>(), 0u) << "path " << e["path_id"] << " carried nothing:\n" << out;
    }
  }
  // Complete and intact.
  EXPECT_EQ(j["bytes"].get<uint64_t>(), bytes);
  EXPECT_EQ(file_sha256(dir_ / "out.bin"), file_sha256(dir_ / "root" / "big.bin"));
  EXPECT_NE(out.find(file_sha256(dir_ / "root" / "big.bin")), std::string::npos) << out;
  EXPECT_EQ(server.stop(), 0) << server.output();
}

}  // namespace
}  // namespace braid::net_test

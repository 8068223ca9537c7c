// `braid client --socket-mode`: a two-path download on loopback (127.0.0.1 and 127.0.0.2)
// with one wildcard socket choosing each packet's source address (pktinfo) completes with
// both paths carrying data and both paths on the same local port; per-address uses one
// socket (so one port) per address; a bad mode is refused.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/net/net_support.h"
#include "tests/net/tool_process.h"

namespace braid::net_test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct ModeDir {
  fs::path path;
  ModeDir() {
    std::string t = (fs::temp_directory_path() / "braid-mode-XXXXXX").string();
    path = ::mkdtemp(t.data());
    fs::create_directories(path / "root");
    const auto& data = pattern(8u << 20);
    std::ofstream(path / "root" / "file.bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  }
  ~ModeDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string hex_sha256(const std::vector<uint8_t>& d) {
  auto h = sha256(d);
  return fmt::format("{:02x}", fmt::join(h, ""));
}

nlohmann::json download(const std::string& mode, std::string* output = nullptr) {
  ModeDir dir;
  Tool server({BRAID_BINARY, "server", "--listen", "127.0.0.1:0", "--root", (dir.path / "root").string(), "--duration",
               "30s"});
  auto port = server.wait_for(std::regex(R"(listening on 127\.0\.0\.1:([0-9]+))"));
  EXPECT_TRUE(port) << server.output();
  if (!port) return {};
  Tool client({BRAID_BINARY, "client", fmt::format("https://127.0.0.1:{}/file.bin", *port), "-k", "--path", "127.0.0.2",
               "--socket-mode", mode, "--json", "--sha256", "--no-progress", "-o", (dir.path / "out.bin").string()});
  for (auto deadline = Clock::now() + 30s; client.running() && Clock::now() < deadline;) std::this_thread::sleep_for(20ms);
  std::string out = client.output();
  if (output) *output = out;
  EXPECT_EQ(client.exit_code(), 0) << out;
  auto start = out.find('{');
  if (start == std::string::npos) return {};
  auto j = nlohmann::json::parse(out.substr(start, out.rfind("\n}") + 2 - start), nullptr, false);
  std::ifstream in(dir.path / "out.bin", std::ios::binary);
  std::vector<uint8_t> got((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(hex_sha256(got), hex_sha256(pattern(8u << 20)));
  EXPECT_EQ(server.stop(), 0);
  return j;
}

// Local ports of the paths, and whether each carried stream data.
void check_two_paths(const nlohmann::json& j, const std::string& out, bool same_port) {
  ASSERT_TRUE(j.is_object()) << out;
  EXPECT_TRUE(j["ok"].get<bool>()) << out;
  ASSERT_EQ(j["paths"].size(), 2u) << out;
  std::vector<SocketAddress> locals;
  for (const auto& p : j["paths"]) {
    EXPECT_GT(p["bytes"].get<uint64_t>(), 0u) << "path " << p["path_id"] << " carried nothing:\n" << out;
    auto a = SocketAddress::parse(p["local"].get<std::string>());
    ASSERT_TRUE(a) << out;
    locals.push_back(*a);
  }
  EXPECT_EQ(locals[0].ip_string(), "127.0.0.1");
  EXPECT_EQ(locals[1].ip_string(), "127.0.0.2");
  if (same_port) EXPECT_EQ(locals[0].port, locals[1].port) << "pktinfo mode should share one socket:\n" << out;
  else EXPECT_NE(locals[0].port, locals[1].port) << out;
}

TEST(SocketMode, PktinfoTwoPathDownloadUsesBothPathsFromOneSocket) {
  std::string out;
  auto j = download("pktinfo", &out);
  check_two_paths(j, out, true);
}

TEST(SocketMode, PerAddressBindsOneSocketPerAddress) {
  std::string out;
  auto j = download("per-address", &out);
  check_two_paths(j, out, false);
}

TEST(SocketMode, UnknownModeIsRefused) {
  Tool client({BRAID_BINARY, "client", "https://127.0.0.1:9/x", "-k", "--socket-mode", "shared"});
  for (auto deadline = Clock::now() + 10s; client.running() && Clock::now() < deadline;) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(client.exit_code(), 2);
  EXPECT_NE(client.output().find("--socket-mode shared"), std::string::npos) << client.output();
}

}  // namespace
}  // namespace braid::net_test

// The examples in examples/ run as their users would run them: the downloads (C++ and C)
// against a `braid server` on 127.0.0.1 port 0 over two paths (127.0.0.1 and 127.0.0.2),
// the echo server with a runtime client, the DATAGRAM ping/pong between its two modes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/support/temp_dir.h"
#include "tests/net/tool_process.h"
#include "tests/unit/runtime/runtime_support.h"

namespace braid::runtime_test {
namespace {

namespace fs = std::filesystem;
using net_test::Tool;

const std::regex kListening(R"(listening on 127\.0\.0\.1:([0-9]+))");

// Named for this test's leftovers.
struct TempDir : test::TempDir {
  TempDir() : test::TempDir("braid-examples") {}
};

std::string example(const char* name) { return std::string(BRAID_EXAMPLES_DIR) + "/" + name; }

// Waits for the process to exit; its exit code, or -1 after `limit`.
int finish(Tool& t, std::chrono::seconds limit = std::chrono::seconds(60)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (t.running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  t.drain();
  return t.exit_code();
}

std::vector<uint8_t> read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), {});
}

// Stream bytes path `id` received, from the examples' per-path lines.
uint64_t path_bytes(const std::string& out, int id) {
  std::smatch m;
  std::regex re(fmt::format(R"(path {} \S+ -> \S+ state=\w+ .*stream_bytes_received=([0-9]+))", id));
  return std::regex_search(out, m, re) ? std::stoull(m[1].str()) : 0;
}

class ServedFile : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir.path / "root");
    file = dir.path / "root" / "payload.bin";
    auto data = pattern_bytes(12u << 20, 5);
    std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(data.data()),
                                                static_cast<std::streamsize>(data.size()));
    // Round robin: both paths carry the download whatever their RTTs on a busy machine.
    server.emplace(std::vector<std::string>{BRAID_BINARY, "server", "--listen", "127.0.0.1:0", "--root",
                                            (dir.path / "root").string(), "--scheduler", "rr", "--duration", "120s"});
    auto p = server->wait_for(kListening);
    ASSERT_TRUE(p) << server->output();
    address = "127.0.0.1:" + *p;
  }
  TempDir dir;
  fs::path file;
  std::optional<Tool> server;
  std::string address;
};

TEST_F(ServedFile, CppDownloadOverTwoPathsMatchesTheFile) {
  auto out = dir.path / "out.bin";
  Tool t({example("example_download_two_paths"), address, "/payload.bin", out.string(), "127.0.0.2"});
  ASSERT_EQ(finish(t), 0) << t.output();
  EXPECT_TRUE(read_all(out) == read_all(file));
  std::string log = t.output();
  EXPECT_GT(path_bytes(log, 0), 0u) << log;
  EXPECT_GT(path_bytes(log, 1), 0u) << log;
  EXPECT_NE(log.find("127.0.0.2:"), std::string::npos) << log;
}

TEST_F(ServedFile, CDownloadOverTwoPathsVerifiesTheSha256) {
  Tool t({example("example_download_c"), address, "/payload.bin", file.string(), "127.0.0.2"});
  ASSERT_EQ(finish(t), 0) << t.output();
  std::string log = t.output();
  EXPECT_NE(log.find("SHA-256 verified"), std::string::npos) << log;
  EXPECT_GT(path_bytes(log, 0), 0u) << log;
  EXPECT_GT(path_bytes(log, 1), 0u) << log;
}

TEST_F(ServedFile, CDownloadFailsOnADifferentReferenceFile) {
  auto other = dir.path / "other.bin";
  auto data = pattern_bytes(12u << 20, 6);   // same size, other bytes
  std::ofstream(other, std::ios::binary).write(reinterpret_cast<const char*>(data.data()),
                                               static_cast<std::streamsize>(data.size()));
  Tool t({example("example_download_c"), address, "/payload.bin", other.string(), "127.0.0.2"});
  EXPECT_EQ(finish(t), 1) << t.output();
  EXPECT_NE(t.output().find("SHA-256 differs"), std::string::npos) << t.output();
}

TEST_F(ServedFile, DownloadOfAMissingFileReportsTheRefusal) {
  Tool t({example("example_download_two_paths"), address, "/missing.bin", (dir.path / "x").string()});
  EXPECT_EQ(finish(t), 1) << t.output();
  EXPECT_NE(t.output().find("refused"), std::string::npos) << t.output();
}

TEST(Examples, EchoServerEchoesARuntimeClient) {
  Tool server({example("example_echo_server"), "127.0.0.1:0"});
  auto port = server.wait_for(kListening);
  ASSERT_TRUE(port) << server.output();
  auto client = Client::create(client_options("echo"));
  ASSERT_TRUE(client);
  auto conn = client->connect(SocketAddress::v4(127, 0, 0, 1, static_cast<uint16_t>(std::stoi(*port))));
  ASSERT_TRUE(conn);
  ASSERT_TRUE(wait_for(*client, is_handshake));
  auto s = client->open_stream(*conn);
  ASSERT_TRUE(s);
  auto data = pattern_bytes(2u << 20, 3);
  std::vector<uint8_t> got;
  size_t off = 0;
  bool fin = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!fin && std::chrono::steady_clock::now() < deadline) {
    if (off < data.size()) {
      size_t len = std::min<size_t>(65536, data.size() - off);
      auto n = client->write(*conn, *s, std::span(data).subspan(off, len), off + len == data.size());
      ASSERT_TRUE(n) << n.error().reason;
      off += *n;
    }
    auto ev = client->wait_event(std::chrono::milliseconds(off < data.size() ? 0 : 20));
    if (ev && ev->type == RuntimeEventType::kStreamData) {
      got.insert(got.end(), ev->data.begin(), ev->data.end());
      fin = ev->fin;
    }
  }
  EXPECT_TRUE(fin);
  EXPECT_TRUE(got == data);
  EXPECT_EQ(server.stop(), 0) << server.output();
  EXPECT_NE(server.output().find("echo server stopped"), std::string::npos);
}

TEST(Examples, DatagramPingPong) {
  Tool server({example("example_datagram_app"), "server", "127.0.0.1:0"});
  auto port = server.wait_for(kListening);
  ASSERT_TRUE(port) << server.output();
  Tool client({example("example_datagram_app"), "client", "127.0.0.1:" + *port, "8"});
  ASSERT_EQ(finish(client), 0) << client.output();
  EXPECT_NE(client.output().find("pong 8 rtt_us="), std::string::npos) << client.output();
  EXPECT_NE(client.output().find("received 8/8 pongs"), std::string::npos) << client.output();
}

}  // namespace
}  // namespace braid::runtime_test

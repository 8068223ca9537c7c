// `braid send` to `braid receive` on real sockets: a file over two paths through
// `braid netem` with one path cut and restored midway, verified by SHA-256, with the
// sender's /metrics showing the path go down and come back; a rerun after an interrupted
// transfer resumes; bad input ends with a clear error.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/un.h>

#include <filesystem>
#include <fstream>

#include "tests/support/temp_dir.h"
#include "tests/net/net_support.h"
#include "tests/net/tool_process.h"

namespace braid::net_test {
namespace {

namespace fs = std::filesystem;

// Named for this test's leftovers.
struct TempDir : test::TempDir {
  TempDir() : test::TempDir("braid-xfer") {}
};

fs::path write_file(const fs::path& p, size_t n) {
  const auto& data = pattern(n);
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(n));
  return p;
}

std::string file_sha256(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  auto d = sha256(bytes);
  return fmt::format("{:02x}", fmt::join(d, ""));
}

void control(const std::string& path, const std::string& command) {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
  EXPECT_EQ(::sendto(fd, command.data(), command.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a),
            static_cast<ssize_t>(command.size()));
  ::close(fd);
}

const std::regex kListening(R"(listening on 127\.0\.0\.1:([0-9]+))");

TEST(TransferTool, TwoPathsThroughNetemWithACutPathArriveVerified) {
  TempDir dir;
  fs::create_directories(dir.path / "out");
  auto src = write_file(dir.path / "payload.bin", 24u << 20);
  Tool recv({BRAID_BINARY, "receive", "--listen", "127.0.0.1:0", "--dir", (dir.path / "out").string(), "--once",
             "--duration", "60s"});
  auto port = recv.wait_for(kListening);
  ASSERT_TRUE(port) << recv.output();
  std::string target = "127.0.0.1:" + *port;
  std::string ctl = (dir.path / "netem.ctl").string();
  Tool netem({BRAID_BINARY, "netem", "--path", "127.0.0.1:0=" + target + ",rate=40M,delay=5ms", "--path",
              "127.0.0.1:0=" + target + ",rate=40M,delay=5ms", "--no-stdin", "--duration", "60s", "--control",
              "unix:" + ctl});
  auto link0 = netem.wait_for(std::regex(R"(path 0: (127\.0\.0\.1:[0-9]+))"));
  auto link1 = netem.wait_for(std::regex(R"(path 1: (127\.0\.0\.1:[0-9]+))"));
  ASSERT_TRUE(link0 && link1) << netem.output();
  Tool send({BRAID_BINARY, "send", src.string(), "quic://" + *link0, "--insecure", "--no-progress", "--path",
             "127.0.0.3=" + *link1, "--metrics", "127.0.0.1:0", "--json"});
  auto metrics_port = send.wait_for(kMetricsLine);
  ASSERT_TRUE(metrics_port) << send.output();
  uint16_t mport = static_cast<uint16_t>(std::stoi(*metrics_port));

  // Cut path 1 once both paths carry data, restore it 1.5 s later; scrape all along.
  bool saw_active = false, saw_down = false, saw_back = false, cut = false, restored = false;
  double progress = 0;
  Clock::time_point cut_at{};
  auto deadline = Clock::now() + std::chrono::seconds(40);
  std::string last;
  while (send.running() && Clock::now() < deadline) {
    send.drain();
    if (auto body = scrape(mport, std::chrono::milliseconds(500))) {
      last = *body;
      progress = std::max(progress, sample(*body, "braid_transfer_progress_ratio", R"(role="client")").value_or(0));
      bool active = sample(*body, "braid_path_state", R"(role="client",path_id="1",state="active")") == 1 &&
                    sample(*body, "braid_path_health", R"(role="client",path_id="1",health="healthy")") == 1;
      bool unwell = sample(*body, "braid_path_health", R"(role="client",path_id="1",health="failed")") == 1 ||
                    sample(*body, "braid_path_health", R"(role="client",path_id="1",health="suspect")") == 1 ||
                    sample(*body, "braid_path_health", R"(role="client",path_id="1",health="probing")") == 1;
      if (active && !cut) saw_active = true;
      if (cut && unwell) saw_down = true;
      if (restored && saw_down && active) saw_back = true;
      if (saw_active && !cut && sample(*body, "braid_path_stream_bytes_sent_total", R"(role="client",path_id="1")") > 1e6) {
        control(ctl, "down 1");
        cut = true;
        cut_at = Clock::now();
      }
    }
    if (cut && !restored && Clock::now() - cut_at > std::chrono::milliseconds(1500)) {
      control(ctl, "up 1");
      restored = true;
    }
    usleep(50000);
  }
  ASSERT_FALSE(send.running()) << "send still running after 40 s\n" << send.output();
  EXPECT_EQ(send.exit_code(), 0) << send.output();
  EXPECT_TRUE(cut && restored) << "the transfer ended before the path was cut and restored\n" << send.output();
  EXPECT_TRUE(saw_down) << last;
  EXPECT_TRUE(saw_back) << last;
  EXPECT_GT(progress, 0.1) << last;   // the transfer's own series
  for (int i = 0; i < 100 && recv.running(); ++i) usleep(50000);
  EXPECT_EQ(recv.exit_code(), 0) << recv.output();
  ASSERT_TRUE(fs::exists(dir.path / "out" / "payload.bin")) << recv.output();
  EXPECT_EQ(file_sha256(dir.path / "out" / "payload.bin"), file_sha256(src));
  EXPECT_NE(send.output().find("\"sha256\": \"" + file_sha256(src) + "\""), std::string::npos) << send.output();
  // Nothing but the file is left in the directory (no partial file, no journal).
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path / "out"), fs::directory_iterator()), 1);
  netem.stop();
}

TEST(TransferTool, RerunAfterAnInterruptionResumes) {
  TempDir dir;
  fs::create_directories(dir.path / "out");
  auto src = write_file(dir.path / "big.bin", 16u << 20);
  Tool recv({BRAID_BINARY, "receive", "--listen", "127.0.0.1:0", "--dir", (dir.path / "out").string(), "--duration",
             "60s"});
  auto port = recv.wait_for(kListening);
  ASSERT_TRUE(port) << recv.output();
  std::string target = "127.0.0.1:" + *port;
  Tool netem({BRAID_BINARY, "netem", "--path", "127.0.0.1:0=" + target + ",rate=20M,delay=5ms", "--no-stdin",
              "--duration", "60s"});
  auto link0 = netem.wait_for(std::regex(R"(path 0: (127\.0\.0\.1:[0-9]+))"));
  ASSERT_TRUE(link0) << netem.output();
  {
    // Killed (SIGKILL) about halfway through: 16 MiB at 20 Mbit/s takes about 7 s.
    Tool first({BRAID_BINARY, "send", src.string(), "quic://" + *link0, "--insecure", "--no-progress"});
    usleep(3'000'000);
    ASSERT_TRUE(first.running()) << first.output();
  }
  Tool second({BRAID_BINARY, "send", src.string(), "quic://" + *link0, "--insecure", "--no-progress", "--json"});
  for (int i = 0; i < 400 && second.running(); ++i) usleep(50000);
  ASSERT_FALSE(second.running());
  EXPECT_EQ(second.exit_code(), 0) << second.output() << recv.output();
  std::smatch m;
  std::string out = second.output();
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"("resumed_bytes": ([0-9]+))"))) << out;
  EXPECT_GT(std::stoull(m[1].str()), 2u << 20) << out;
  EXPECT_EQ(file_sha256(dir.path / "out" / "big.bin"), file_sha256(src));
  netem.stop();
  recv.stop();
}

TEST(TransferTool, BadInputEndsWithAClearError) {
  TempDir dir;
  Tool not_a_file({BRAID_BINARY, "send", dir.path.string(), "quic://127.0.0.1:9", "--insecure"});
  for (int i = 0; i < 100 && not_a_file.running(); ++i) usleep(20000);
  EXPECT_EQ(not_a_file.exit_code(), 2);
  EXPECT_NE(not_a_file.output().find("not a regular file"), std::string::npos) << not_a_file.output();
  Tool no_dir({BRAID_BINARY, "receive", "--listen", "127.0.0.1:0", "--dir", (dir.path / "missing").string()});
  for (int i = 0; i < 100 && no_dir.running(); ++i) usleep(20000);
  EXPECT_NE(no_dir.exit_code(), 0);
  EXPECT_NE(no_dir.output().find("not a directory"), std::string::npos) << no_dir.output();
  // A file that exists at the receiver is refused, and the sender says why.
  fs::create_directories(dir.path / "out");
  write_file(dir.path / "out" / "x.bin", 10);
  auto src = write_file(dir.path / "x.bin", 1000);
  Tool recv({BRAID_BINARY, "receive", "--listen", "127.0.0.1:0", "--dir", (dir.path / "out").string(), "--duration",
             "20s"});
  auto port = recv.wait_for(kListening);
  ASSERT_TRUE(port);
  Tool send({BRAID_BINARY, "send", src.string(), "quic://127.0.0.1:" + *port, "--insecure", "--no-progress"});
  for (int i = 0; i < 200 && send.running(); ++i) usleep(20000);
  EXPECT_EQ(send.exit_code(), 1);
  EXPECT_NE(send.output().find("exists on the receiver"), std::string::npos) << send.output();
  EXPECT_EQ(fs::file_size(dir.path / "out" / "x.bin"), 10u);
  recv.stop();
}

}  // namespace
}  // namespace braid::net_test

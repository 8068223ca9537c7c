// Prometheus /metrics over real TCP on 127.0.0.1 (port 0 only): the MetricsExporter serving
// what was published, its errors, and `braid server`, `braid netem` and `braid client` with
// --metrics scraped during and after a two-path download through the emulator.
#include "metrics/metrics_exporter.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "metrics/family_builder.h"
#include "tests/net/tool_process.h"

extern char** environ;

namespace braid::net_test {
namespace {

namespace fs = std::filesystem;

metrics::Families one_gauge(double v) {
  auto f = metrics::detail::gauge("braid_test_value", "A value the test published");
  metrics::detail::add_sample(f, {{"role", "client"}}, v);
  return {f};
}

TEST(MetricsExporter, ServesWhatWasPublished) {
  auto e = metrics::MetricsExporter::create("127.0.0.1:0");
  ASSERT_TRUE(e) << e.error();
  uint16_t port = (*e)->port();
  ASSERT_NE(port, 0);
  EXPECT_EQ((*e)->url(), fmt::format("http://127.0.0.1:{}/metrics", port));
  auto body = scrape(port);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->find("braid_test_value"), std::string::npos);  // nothing published yet
  (*e)->publish(one_gauge(42));
  body = scrape(port);
  ASSERT_TRUE(body);
  EXPECT_NE(body->find("# HELP braid_test_value A value the test published"), std::string::npos) << *body;
  EXPECT_NE(body->find("# TYPE braid_test_value gauge"), std::string::npos) << *body;
  EXPECT_EQ(sample(*body, "braid_test_value", "role=\"client\""), 42) << *body;
  (*e)->publish(one_gauge(7.5));
  body = scrape(port);
  ASSERT_TRUE(body);
  EXPECT_EQ(sample(*body, "braid_test_value", "role=\"client\""), 7.5) << *body;
}

TEST(MetricsExporter, BadAddressAndPortInUseAreClearErrors) {
  for (const char* bad : {"127.0.0.1", "nonsense:80", "127.0.0.1:99999", "[::1]"}) {
    auto e = metrics::MetricsExporter::create(bad);
    ASSERT_FALSE(e) << bad;
    EXPECT_NE(e.error().find("is not ADDR:PORT"), std::string::npos) << e.error();
  }
  auto first = metrics::MetricsExporter::create("127.0.0.1:0");
  ASSERT_TRUE(first) << first.error();
  auto second = metrics::MetricsExporter::create(fmt::format("127.0.0.1:{}", (*first)->port()));
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().find("in use"), std::string::npos) << second.error();
  auto foreign = metrics::MetricsExporter::create("192.0.2.1:0");  // TEST-NET-1: not ours
  ASSERT_FALSE(foreign);
  EXPECT_NE(foreign.error().find("192.0.2.1:0"), std::string::npos) << foreign.error();
}


// Server, emulator and client, each with --metrics: a 8 MiB download over two 20 Mbit/s
// emulated paths (about 2 s), the client scraped while it runs, the others after it ended.
TEST(MetricsTool, ServerNetemAndClientExposePaths) {
  fs::path root = fs::temp_directory_path() / fmt::format("braid-metrics-test-{}", getpid());
  fs::create_directories(root);
  {
    std::vector<char> data(8u << 20, 'm');
    std::ofstream(root / "f.bin", std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
  }
  Tool server({BRAID_BINARY, "server", "--listen", "127.0.0.1:0", "--root", root.string(), "--duration", "60s",
               "--quiet", "--metrics", "127.0.0.1:0"});
  auto server_port = server.wait_for(std::regex(R"(listening on 127\.0\.0\.1:([0-9]+))"));
  auto server_metrics = server.wait_for(kMetricsLine);
  ASSERT_TRUE(server_port && server_metrics) << server.output();

  std::string target = "127.0.0.1:" + *server_port;
  Tool netem({BRAID_BINARY, "netem", "--path", "127.0.0.1:0=" + target + ",rate=20M,delay=5ms", "--path",
              "127.0.0.1:0=" + target + ",rate=20M,delay=5ms", "--no-stdin", "--duration", "60s", "--metrics",
              "127.0.0.1:0"});
  auto link0 = netem.wait_for(std::regex(R"(path 0: (127\.0\.0\.1:[0-9]+))"));
  auto link1 = netem.wait_for(std::regex(R"(path 1: (127\.0\.0\.1:[0-9]+))"));
  auto netem_metrics = netem.wait_for(kMetricsLine);
  ASSERT_TRUE(link0 && link1 && netem_metrics) << netem.output();

  Tool client({BRAID_BINARY, "client", fmt::format("https://{}/f.bin", *link0), "--insecure", "--no-progress",
               "--output", "/dev/null", "--path", "127.0.0.3=" + *link1, "--metrics", "127.0.0.1:0"});
  auto client_metrics = client.wait_for(kMetricsLine);
  ASSERT_TRUE(client_metrics) << client.output();
  uint16_t client_port = static_cast<uint16_t>(std::stoi(*client_metrics));

  // Scrape the client until it exits (bounded): both paths must show up while it runs.
  bool saw_two_active_paths = false;
  double path1_bytes = 0;
  std::string last;
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (client.running() && Clock::now() < deadline) {
    client.drain();
    if (auto body = scrape(client_port, std::chrono::milliseconds(1000))) {
      last = *body;
      auto a0 = sample(*body, "braid_path_state", R"(role="client",path_id="0",state="active")");
      auto a1 = sample(*body, "braid_path_state", R"(role="client",path_id="1",state="active")");
      if (a0 == 1 && a1 == 1) saw_two_active_paths = true;
      path1_bytes = std::max(path1_bytes, sample(*body, "braid_path_bytes_received_total",
                                                 R"(role="client",path_id="1")").value_or(0));
    }
    usleep(100000);
  }
  ASSERT_FALSE(client.running()) << "client still running after 30 s";
  EXPECT_EQ(client.exit_code(), 0) << client.output();
  EXPECT_TRUE(saw_two_active_paths) << last;
  EXPECT_GT(path1_bytes, 0) << last;
  EXPECT_TRUE(sample(last, "braid_path_rtt_smoothed_seconds", R"(role="client",path_id="0")")) << last;
  EXPECT_TRUE(sample(last, "braid_handshake_duration_seconds_count", R"(role="client")")) << last;

  // The server keeps its counters after the connection ended (or while it drains).
  std::optional<std::string> sbody;
  for (int i = 0; i < 20; ++i) {
    sbody = scrape(static_cast<uint16_t>(std::stoi(*server_metrics)));
    if (sbody && sample(*sbody, "braid_connections_open", R"(role="server")") == 0) break;
    usleep(100000);
  }
  ASSERT_TRUE(sbody);
  EXPECT_EQ(sample(*sbody, "braid_connections_total", R"(role="server")"), 1) << *sbody;
  EXPECT_EQ(sample(*sbody, "braid_handshake_duration_seconds_count", R"(role="server")"), 1) << *sbody;
  for (const char* id : {"0", "1"}) {
    auto sent = sample(*sbody, "braid_path_stream_bytes_sent_total", fmt::format(R"(role="server",path_id="{}")", id));
    ASSERT_TRUE(sent) << "path " << id << "\n" << *sbody;
    EXPECT_GT(*sent, 0) << "path " << id;
  }
  auto server_total = sample(*sbody, "braid_connection_stream_bytes_sent_total", R"(role="server")");
  ASSERT_TRUE(server_total);
  EXPECT_GE(*server_total, 8u << 20);

  auto nbody = scrape(static_cast<uint16_t>(std::stoi(*netem_metrics)));
  ASSERT_TRUE(nbody);
  for (const char* link : {"0", "1"}) {
    auto down = sample(*nbody, "braid_netem_bytes_forwarded_total", fmt::format(R"(link="{}",direction="down")", link));
    ASSERT_TRUE(down) << *nbody;
    EXPECT_GT(*down, 0) << "link " << link;
    EXPECT_EQ(sample(*nbody, "braid_netem_link_up", fmt::format(R"(link="{}",direction="up")", link)), 1);
  }
  EXPECT_EQ(netem.stop(), 0) << netem.output();
  EXPECT_EQ(server.stop(), 0) << server.output();
  std::error_code ec;
  fs::remove_all(root, ec);
}

TEST(MetricsTool, PortInUseEndsTheCommand) {
  auto taken = metrics::MetricsExporter::create("127.0.0.1:0");
  ASSERT_TRUE(taken);
  Tool server({BRAID_BINARY, "server", "--listen", "127.0.0.1:0", "--duration", "10s", "--quiet", "--metrics",
               fmt::format("127.0.0.1:{}", (*taken)->port())});
  for (int i = 0; i < 250 && server.running(); ++i) usleep(20000);
  ASSERT_FALSE(server.running());
  EXPECT_EQ(server.exit_code(), 2);
  EXPECT_NE(server.output().find("--metrics: cannot serve metrics on"), std::string::npos) << server.output();
}

}  // namespace
}  // namespace braid::net_test

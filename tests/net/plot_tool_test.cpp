// `braid plot` as a user runs it: a tiny two-path qlog in, an SVG out with one series per
// path; clear failures (non-zero exit and a message) for a missing input, an unknown
// output extension and a missing gnuplot. Skips when gnuplot is not installed.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>

namespace braid {
namespace {

namespace fs = std::filesystem;

struct Run {
  int exit_code = -1;
  std::string output;   // stdout and stderr together
};

// Through the shell for the redirection and the PATH override; arguments are test-made.
Run run(const std::string& command) {
  Run r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = ::pclose(p);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

bool have_gnuplot() { return run("command -v gnuplot").exit_code == 0; }

class PlotTool : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("braid-plot-tool-{}", ::getpid());
    fs::create_directories(dir_);
    // Two paths sending and acknowledging 1200-byte packets for 0.4 s, with metrics and a
    // health change on path 1.
    std::ofstream q(dir_ / "tiny.sqlog", std::ios::binary);
    q << "\x1e" << R"({"file_schema":"urn:ietf:params:qlog:file:sequential","trace":{"vantage_point":{"type":"server"}}})"
      << "\n";
    for (int i = 0; i < 40; ++i) {
      for (int path = 0; path < 2; ++path) {
        double t = i * 10.0 + path;
        q << "\x1e"
          << fmt::format(R"({{"time":{},"name":"quic:packet_sent","data":{{"path_id":{},"header":{{"packet_type":"1RTT","packet_number":{}}},"raw":{{"length":1200}}}}}})",
                         t, path, i)
          << "\n\x1e"
          << fmt::format(R"({{"time":{},"name":"quic:recovery_metrics_updated","data":{{"path_id":{},"congestion_window":{},"smoothed_rtt":{},"bytes_in_flight":{}}}}})",
                         t + 0.5, path, 12000 + 1000 * i, 20 + 20 * path, 1200 * (i % 5))
          << "\n\x1e"
          << fmt::format(R"({{"time":{},"name":"quic:packets_acked","data":{{"path_id":{},"packet_numbers":[{}]}}}})",
                         t + 20 + 20 * path, path, i)
          << "\n";
      }
    }
    q << "\x1e" << R"({"time":200,"name":"braid:path_health_updated","data":{"path_id":1,"old":"healthy","new":"suspect"}})"
      << "\n";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path(const char* name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(PlotTool, TinyQlogBecomesAnSvgWithOneSeriesPerPath) {
  if (!have_gnuplot()) GTEST_SKIP() << "gnuplot is not installed";
  auto r = run(fmt::format("{} plot {} -o {} --title 'tiny two-path trace'", BRAID_BINARY, path("tiny.sqlog"),
                           path("out.svg")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(path("out.svg"));
  std::string svg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(svg.empty());
  EXPECT_TRUE(svg.starts_with("<?xml") || svg.starts_with("<svg")) << svg.substr(0, 80);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("tiny two-path trace"), std::string::npos);
  // gnuplot's SVG names each plotted series in a <title> ("path 0", "path 1"), once per
  // panel: four panels, two paths.
  std::regex series(R"(<title>path ([0-9]+)</title>)");
  std::map<std::string, int> per_path;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), series); it != std::sregex_iterator(); ++it) {
    per_path[(*it)[1]]++;
  }
  EXPECT_EQ(per_path.size(), 2u) << "series seen: " << per_path.size();
  EXPECT_EQ(per_path["0"], 4);
  EXPECT_EQ(per_path["1"], 4);
  EXPECT_NE(svg.find("p1 health suspect"), std::string::npos);
  // The summary line names what was drawn.
  EXPECT_NE(r.output.find("2 paths"), std::string::npos) << r.output;
}

TEST_F(PlotTool, PngToo) {
  if (!have_gnuplot()) GTEST_SKIP() << "gnuplot is not installed";
  auto r = run(fmt::format("{} plot {} -o {}", BRAID_BINARY, path("tiny.sqlog"), path("out.png")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(path("out.png"), std::ios::binary);
  char magic[8] = {};
  in.read(magic, 8);
  EXPECT_EQ(std::string(magic + 1, 3), "PNG");
}

TEST_F(PlotTool, BadInputsAreClearErrors) {
  auto missing = run(fmt::format("{} plot {} -o {}", BRAID_BINARY, path("nope.sqlog"), path("out.svg")));
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("cannot be read"), std::string::npos) << missing.output;
  auto txt = run(fmt::format("{} plot {} -o {}", BRAID_BINARY, path("tiny.sqlog"), path("out.txt")));
  EXPECT_NE(txt.exit_code, 0);
  EXPECT_NE(txt.output.find("unknown output format"), std::string::npos) << txt.output;
  EXPECT_FALSE(fs::exists(path("out.txt")));
  std::ofstream(path("empty.sqlog")) << "\x1e{\"time\":1,\"name\":\"quic:connection_state_updated\",\"data\":{}}\n";
  auto empty = run(fmt::format("{} plot {} -o {}", BRAID_BINARY, path("empty.sqlog"), path("out.svg")));
  EXPECT_NE(empty.exit_code, 0);
  EXPECT_NE(empty.output.find("no per-path data"), std::string::npos) << empty.output;
  // No gnuplot on PATH: says so (the binary is run by its full path).
  auto no_gnuplot = run(fmt::format("env PATH=/nonexistent {} plot {} -o {}", BRAID_BINARY, path("tiny.sqlog"),
                                    path("out.svg")));
  EXPECT_NE(no_gnuplot.exit_code, 0);
  EXPECT_NE(no_gnuplot.output.find("gnuplot not found"), std::string::npos) << no_gnuplot.output;
}

}  // namespace
}  // namespace braid

// The adaptive bulk-transfer layer in the simulator: bit-identical delivery of a large
// transfer over two paths, resume after a killed connection, and the mode detector moving
// a running transfer from the datacenter profile to the internet profile.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "sim/scenario_loader.h"
#include "sim/simulation.h"
#include "sim/summary.h"

namespace braid::sim {
namespace {

Scenario parse(const std::string& toml) {
  auto s = parse_scenario_toml(toml, "test", {BRAID_TRACES_DIR});
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  return s ? *s : Scenario{};
}

// Two paths: 100 Mbit/s 10 ms and 100 Mbit/s 20 ms one way; `workload` is the
// [clients.workload] body.
std::string two_paths(const std::string& workload, int time_limit_s = 60) {
  return fmt::format(R"(
name = "transfer"
time_limit_s = {}
[[clients]]
name = "c"
[clients.workload]
{}
[[clients.paths]]
link = {{ rate_mbps = 100, delay_ms = 10, queue_bytes = 400_000 }}
[[clients.paths]]
link = {{ rate_mbps = 100, delay_ms = 20, queue_bytes = 400_000 }}
)",
                     time_limit_s, workload);
}

TEST(SimTransfer, TwoHundredMegabytesOverTwoPathsArriveBitIdentical) {
  Scenario scenario = parse(two_paths("kind = \"transfer\"\nbytes = 200_000_000\n"));   // outlives the run
  Simulation sim(scenario);
  auto r = sim.run();
  const auto& c = r.clients[0];
  ASSERT_TRUE(c.completed) << c.failure << "\n" << format_summary_text(r);
  ASSERT_EQ(c.workloads.size(), 1u);
  const auto& w = c.workloads[0];
  EXPECT_TRUE(w.completed);
  EXPECT_EQ(w.corrupt_bytes, 0u);
  EXPECT_EQ(w.app_bytes, 200'000'000u);
  EXPECT_TRUE(w.transfer_error.empty()) << w.transfer_error;
  // Every byte once, plus what loss made the connection resend (not chunks resent).
  EXPECT_EQ(w.transfer_bytes_sent, 200'000'000u);
  ASSERT_EQ(c.paths.size(), 2u);
  for (const auto& p : c.paths) EXPECT_GT(p.stream_bytes_up, 40'000'000u) << p.name;
  // 200 Mbit/s of paths: close to all of it.
  EXPECT_GT(w.goodput_mbps, 150.0) << format_summary_text(r);
}

TEST(SimTransfer, KilledAtHalfResumesAndSendsUnderFivePercentExtra) {
  namespace fs = std::filesystem;
  std::string t = (fs::temp_directory_path() / "braid-resume-XXXXXX").string();
  fs::path dir = ::mkdtemp(t.data());
  constexpr uint64_t kBytes = 200'000'000;
  auto body = [&](const char* extra) {
    return fmt::format("kind = \"transfer\"\nbytes = {}\ndir = \"{}\"\ntransfer_id = 77\n{}\n", kBytes, dir.string(), extra);
  };
  Scenario killed = parse(two_paths(body("kill_at = 0.5")));   // a Simulation keeps its scenario by reference
  Simulation first(killed);
  auto r1 = first.run();
  const auto& w1 = r1.clients[0].workloads[0];
  EXPECT_TRUE(w1.transfer_killed) << format_summary_text(r1);
  EXPECT_FALSE(fs::exists(dir / "transfer-77.bin"));   // nothing that looks complete
  Scenario resumed = parse(two_paths(body("")));
  Simulation second(resumed);
  auto r2 = second.run();
  const auto& w2 = r2.clients[0].workloads[0];
  ASSERT_TRUE(w2.completed) << w2.transfer_error << "\n" << format_summary_text(r2);
  EXPECT_GE(w2.transfer_resumed_bytes, kBytes / 2);
  EXPECT_EQ(w2.transfer_bytes_sent, kBytes - w2.transfer_resumed_bytes);
  EXPECT_LT(w1.transfer_bytes_sent + w2.transfer_bytes_sent, kBytes * 105 / 100)
      << "first run " << w1.transfer_bytes_sent << ", second " << w2.transfer_bytes_sent;
  EXPECT_EQ(fs::file_size(dir / "transfer-77.bin"), kBytes);
  fs::remove_all(dir);
}

TEST(SimTransfer, ModeFollowsThePathsFromDatacenterToInternetWithinTwoSeconds) {
  // 5 ms RTT at 1.5 Gbit/s on both paths (3 Gbit/s in all: datacenter by the reference's
  // rule, which needs more than 1 Gbit/s; 10 Gbit/s paths behave the same but cost the
  // simulator minutes), then at 0.6 s 80 ms RTT at 200 Mbit/s each.
  std::string path = R"(
[[clients.paths]]
link = { rate_mbps = 1500, delay_ms = 2.5, queue_bytes = 500_000, events = [
  { kind = "rate", at_s = 0.6, rate_mbps = 200 }, { kind = "delay", at_s = 0.6, delay_ms = 40 } ] }
)";
  std::string toml = R"(
name = "mode switch"
time_limit_s = 2.2
[[clients]]
name = "c"
[clients.workload]
kind = "transfer"
bytes = 4_000_000_000
check_interval_s = 0.1
)" + path + path;
  Scenario scenario = parse(toml);
  Simulation sim(scenario);
  auto r = sim.run();
  const auto& w = r.clients[0].workloads[0];
  ASSERT_GE(w.transfer_modes.size(), 3u) << format_summary_json(r);
  // hybrid at the start, datacenter once the 10 Gbit/s paths are measured, internet after.
  EXPECT_EQ(w.transfer_modes[0].mode, "hybrid");
  const WorkloadResult::ModeChange* dc = nullptr;
  const WorkloadResult::ModeChange* inet = nullptr;
  for (const auto& m : w.transfer_modes) {
    if (m.mode == "datacenter" && !dc && m.at_s < 0.6) dc = &m;
    if (m.mode == "internet" && m.at_s > 0.6 && !inet) inet = &m;
  }
  ASSERT_NE(dc, nullptr) << format_summary_json(r);
  ASSERT_NE(inet, nullptr) << format_summary_json(r);
  EXPECT_LT(inet->at_s - 0.6, 2.0);
  EXPECT_EQ(dc->congestion_controller, "cubic");
  EXPECT_GE(dc->streams, 32u);
  EXPECT_EQ(inet->congestion_controller, "bbr");
  EXPECT_LE(inet->streams, 16u);
  EXPECT_EQ(w.corrupt_bytes, 0u);
}

}  // namespace
}  // namespace braid::sim

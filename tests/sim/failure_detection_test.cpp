// Failure detection in the simulator, beyond the four scenarios' [expect] blocks: which path
// fails and how soon, the stall it costs, recovery after the outage, no false failures on a
// lossy path over several seeds, a dead backup found by idle probing before it is needed;
// and the loader's trigger, periodic outage and failure-detector keys.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "sim/expectations.h"
#include "sim/scenario_loader.h"
#include "sim/simulation.h"

namespace braid::sim {
namespace {

Scenario load(const std::string& name) {
  auto s = load_scenario(std::string(BRAID_SCENARIOS_DIR) + "/" + name + ".toml", {BRAID_TRACES_DIR});
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  return s ? *s : Scenario{};
}

SimulationResult run(const Scenario& s, std::optional<uint64_t> seed = {}) {
  SimulationOptions o;
  o.seed = seed;
  return Simulation(s, o).run();
}

std::string error_of(std::string_view toml) {
  auto s = parse_scenario_toml(toml, "t.toml", {BRAID_TRACES_DIR});
  return s ? "" : s.error().message;
}

// The first record of `what` on scenario path `path` (either endpoint unless `server` says).
const HealthRecord* first(const ClientResult& c, size_t path, std::string_view what,
                          std::optional<bool> server = {}, double after_s = -1) {
  for (const auto& h : c.health) {
    if (h.path == path && h.what == what && (!server || h.server == *server) && h.at_s > after_s) return &h;
  }
  return nullptr;
}

size_t count(const ClientResult& c, std::string_view what) {
  size_t n = 0;
  for (const auto& h : c.health) n += h.what == what;
  return n;
}

std::string health_text(const ClientResult& c) {
  std::string s;
  for (const auto& h : c.health) {
    s += fmt::format("[{:.3f} {} path {} {}] ", h.at_s, h.server ? "server" : "client",
                     h.path ? std::to_string(*h.path) : "?", h.what);
  }
  return s;
}

std::string failures_of(const Scenario& s, const SimulationResult& r) {
  std::string out;
  for (const auto& f : check_expectations(s.expect, r)) out += f + "\n";
  return out;
}

// The busiest path is cut at 3 s for good: the server suspects it within 100 ms, fails it,
// and the application never waits more than 100 ms.
TEST(FailureDetection, BusiestPathBlackholedIsDetectedWithin100ms) {
  Scenario s = load("failover_blackhole_busiest");
  SimulationResult r = run(s);
  ASSERT_EQ(r.clients.size(), 1u);
  const ClientResult& c = r.clients[0];
  EXPECT_EQ(failures_of(s, r), "");
  ASSERT_TRUE(c.completed) << c.failure;
  ASSERT_EQ(c.outages.size(), 1u);
  const OutageWindow& w = c.outages[0];
  EXPECT_DOUBLE_EQ(w.from_s, 3.0);
  EXPECT_TRUE(std::isinf(w.until_s));
  const HealthRecord* suspect = first(c, w.path, "suspect");
  const HealthRecord* failed = first(c, w.path, "failed", true);
  const HealthRecord* state_failed = first(c, w.path, "state failed", true);
  ASSERT_TRUE(suspect && failed && state_failed) << health_text(c);
  std::printf("path %zu cut at %.3f s: suspect +%.1f ms (%s), server failed +%.1f ms; longest stall %.1f ms at %.3f s\n",
              w.path, w.from_s, (suspect->at_s - w.from_s) * 1e3, suspect->server ? "server" : "client",
              (failed->at_s - w.from_s) * 1e3, c.longest_stall_s * 1e3, c.longest_stall_end_s);
  EXPECT_GT(suspect->at_s, w.from_s);
  EXPECT_LE(suspect->at_s - w.from_s, 0.100);
  EXPECT_GE(failed->at_s, suspect->at_s);
  EXPECT_LE(failed->at_s - w.from_s, 0.5);
  EXPECT_DOUBLE_EQ(state_failed->at_s, failed->at_s);
  EXPECT_LE(c.longest_stall_s, 0.100);
  EXPECT_TRUE(c.degraded);
  EXPECT_GE(count(c, "bonding degraded"), 1u) << health_text(c);
  // Nothing happened to the other path, and the cut one never came back.
  size_t other = 1 - w.path;
  EXPECT_EQ(first(c, other, "suspect"), nullptr) << health_text(c);
  EXPECT_EQ(first(c, other, "failed"), nullptr) << health_text(c);
  EXPECT_EQ(count(c, "healthy"), 0u) << health_text(c);
  EXPECT_EQ(count(c, "carries data"), 0u);
  EXPECT_EQ(c.paths[w.path].state, "failed");
  EXPECT_EQ(c.paths[other].state, "active");
}

// A 2 s outage of the busiest path: FAILED, then once the link is back its probes are
// answered, ACTIVE again, and it carries data within 1 s of the outage's end.
TEST(FailureDetection, BusiestPathRecoversAfterTheOutage) {
  Scenario s = load("failover_blackhole_recovers");
  SimulationResult r = run(s);
  const ClientResult& c = r.clients[0];
  EXPECT_EQ(failures_of(s, r), "");
  ASSERT_TRUE(c.completed) << c.failure;
  ASSERT_EQ(c.outages.size(), 1u);
  const OutageWindow& w = c.outages[0];
  EXPECT_DOUBLE_EQ(w.from_s, 3.0);
  EXPECT_DOUBLE_EQ(w.until_s, 5.0);
  const HealthRecord* suspect = first(c, w.path, "suspect");
  const HealthRecord* failed = first(c, w.path, "state failed", true);
  const HealthRecord* active = first(c, w.path, "state active", true, w.until_s);
  const HealthRecord* healthy = first(c, w.path, "healthy", true, w.until_s);
  const HealthRecord* data = first(c, w.path, "carries data", {}, w.until_s);
  ASSERT_TRUE(suspect && failed && active && healthy && data) << health_text(c);
  std::printf("suspect +%.1f ms, failed +%.1f ms; after the outage: healthy +%.1f ms, state active +%.1f ms, "
              "carries data +%.1f ms; longest stall %.1f ms\n",
              (suspect->at_s - w.from_s) * 1e3, (failed->at_s - w.from_s) * 1e3, (healthy->at_s - w.until_s) * 1e3,
              (active->at_s - w.until_s) * 1e3, (data->at_s - w.until_s) * 1e3, c.longest_stall_s * 1e3);
  EXPECT_LE(suspect->at_s - w.from_s, 0.100);
  EXPECT_LT(failed->at_s, w.until_s);
  EXPECT_DOUBLE_EQ(active->at_s, healthy->at_s);
  EXPECT_LE(active->at_s - w.until_s, 1.0);
  EXPECT_GE(data->at_s, active->at_s);
  EXPECT_LE(data->at_s - w.until_s, 1.0);
  EXPECT_LE(c.longest_stall_s, 0.100);
  // No failure recorded before the outage, and the recovered path does not fail again.
  for (const auto& h : c.health) {
    if (h.what == "suspect" || h.what == "failed") {
      EXPECT_GE(h.at_s, w.from_s) << health_text(c);
      EXPECT_LT(h.at_s, w.until_s) << health_text(c);
    }
  }
  EXPECT_EQ(c.paths[w.path].state, "active");
}

// 10% random loss is not failure: over three seeds no suspect or failed record at all, and
// both paths carry at least 1 MB.
TEST(FailureDetection, LossyPathIsNeverSuspectedOverThreeSeeds) {
  Scenario s = load("lossy_path_no_false_failure");
  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(fmt::format("seed {}", seed));
    SimulationResult r = run(s, seed);
    const ClientResult& c = r.clients[0];
    EXPECT_EQ(failures_of(s, r), "");
    EXPECT_TRUE(c.completed) << c.failure;
    EXPECT_EQ(count(c, "suspect"), 0u) << health_text(c);
    EXPECT_EQ(count(c, "failed"), 0u) << health_text(c);
    EXPECT_TRUE(c.health.empty()) << health_text(c);
    EXPECT_FALSE(c.degraded);
    ASSERT_EQ(c.paths.size(), 2u);
    uint64_t lost = 0;
    for (const auto& p : c.paths) {
      EXPECT_GE(p.stream_bytes_up + p.stream_bytes_down, 1'000'000u) << p.name;
      EXPECT_EQ(p.state, "active") << p.name;
      lost += p.packets_lost;
    }
    EXPECT_GT(c.paths[0].packets_lost, 500u);   // the loss was real
    std::printf("seed %llu: lossy path %llu stream bytes, clean %llu, %llu packets lost\n",
                static_cast<unsigned long long>(seed),
                static_cast<unsigned long long>(c.paths[0].stream_bytes_down + c.paths[0].stream_bytes_up),
                static_cast<unsigned long long>(c.paths[1].stream_bytes_down + c.paths[1].stream_bytes_up),
                static_cast<unsigned long long>(lost));
  }
}

// The first backup dies at 2 s while idle: idle probing finds it FAILED within three probe
// intervals, before the primary goes at 8 s; then the transfer moves to the good backup
// with a stall of at most 150 ms.
TEST(FailureDetection, DeadBackupIsFoundByProbingBeforeItIsNeeded) {
  Scenario s = load("backup_dead_detected_by_probing");
  SimulationResult r = run(s);
  const ClientResult& c = r.clients[0];
  EXPECT_EQ(failures_of(s, r), "");
  ASSERT_TRUE(c.completed) << c.failure;
  ASSERT_EQ(c.paths.size(), 3u);
  ASSERT_EQ(c.outages.size(), 2u);
  EXPECT_EQ(c.outages[0].path, 0u);
  EXPECT_DOUBLE_EQ(c.outages[0].from_s, 8.0);
  EXPECT_EQ(c.outages[1].path, 1u);
  EXPECT_DOUBLE_EQ(c.outages[1].from_s, 2.0);
  const HealthRecord* dead = first(c, 1, "failed");
  const HealthRecord* primary = first(c, 0, "failed");
  ASSERT_TRUE(dead && primary) << health_text(c);
  std::printf("backup_dead failed at %.3f s (%s), primary failed at %.3f s (+%.1f ms); longest stall %.1f ms "
              "ending at %.3f s\n",
              dead->at_s, dead->server ? "server" : "client", primary->at_s, (primary->at_s - 8.0) * 1e3,
              c.longest_stall_s * 1e3, c.longest_stall_end_s);
  EXPECT_GT(dead->at_s, 2.0);
  EXPECT_LT(dead->at_s, 5.0);
  // Both endpoints find it (each probes its idle backup), both before 5 s.
  for (bool server : {false, true}) {
    const HealthRecord* f = first(c, 1, "state failed", server);
    ASSERT_NE(f, nullptr) << health_text(c);
    EXPECT_GT(f->at_s, 2.0);
    EXPECT_LT(f->at_s, 5.0);
  }
  EXPECT_LT(dead->at_s, 8.0);
  EXPECT_LT(dead->at_s, primary->at_s);
  EXPECT_GT(primary->at_s, 8.0);
  EXPECT_LE(primary->at_s - 8.0, 0.5);
  EXPECT_LE(c.longest_stall_s, 0.150);
  // The good backup never failed and took over the transfer.
  EXPECT_EQ(first(c, 2, "suspect"), nullptr) << health_text(c);
  EXPECT_EQ(first(c, 2, "failed"), nullptr) << health_text(c);
  EXPECT_GT(c.paths[2].stream_bytes_down, 10'000'000u);
  EXPECT_LT(c.paths[1].stream_bytes_down, 100'000u);   // the dead backup carried (almost) nothing
}

// --- Loader -------------------------------------------------------------------------------

constexpr std::string_view kTwoPaths = R"(
name = "t"
{}
[[clients]]
name = "c"
[[clients.paths]]
name = "a"
link = {{ rate_mbps = 20, delay_ms = 10, queue_bytes = 100_000{} }}
[[clients.paths]]
name = "b"
link = {{ rate_mbps = 20, delay_ms = 20, queue_bytes = 100_000 }}
[clients.workload]
kind = "bulk_download"
bytes = {}
{}
)";

std::string two_paths(std::string_view top, std::string_view events = "", uint64_t bytes = 1'000'000,
                      std::string_view tail = "") {
  return fmt::format(kTwoPaths, top, events, bytes, tail);
}

TEST(FailureDetection, PeriodicOutageExpandsToItsWindows) {
  auto s = parse_scenario_toml(
      two_paths("", ", events = [ { kind = \"periodic_outage\", at_s = 1.0, every_s = 2.0, down_s = 0.5, "
                    "until_s = 7.2 } ]"),
      "t.toml", {BRAID_TRACES_DIR});
  ASSERT_TRUE(s.has_value()) << s.error().message;
  const auto& ev = s->clients[0].paths[0].up.config.events;
  ASSERT_EQ(ev.size(), 4u);   // 1, 3, 5, 7
  for (size_t i = 0; i < ev.size(); ++i) {
    EXPECT_EQ(ev[i].kind, LinkEvent::Kind::kOutage);
    EXPECT_EQ(ev[i].at, std::chrono::milliseconds(1000 + 2000 * static_cast<int64_t>(i)));
  }
  EXPECT_EQ(ev[0].until, std::chrono::milliseconds(1500));
  EXPECT_EQ(ev[3].until, std::chrono::milliseconds(7200));   // cut short by until_s
  EXPECT_EQ(s->clients[0].paths[0].down.config.events.size(), 4u);
  EXPECT_TRUE(s->clients[0].paths[1].up.config.events.empty());

  // The run reports one outage window per period (both directions counted once).
  Scenario sc = *s;
  SimulationResult r = run(sc);
  const auto& w = r.clients[0].outages;
  ASSERT_EQ(w.size(), 4u);
  for (size_t i = 0; i < w.size(); ++i) {
    EXPECT_EQ(w[i].path, 0u);
    EXPECT_DOUBLE_EQ(w[i].from_s, 1.0 + 2.0 * static_cast<double>(i));
  }
  EXPECT_DOUBLE_EQ(w[3].until_s, 7.2);

  EXPECT_NE(error_of(two_paths("", ", events = [ { kind = \"periodic_outage\", at_s = 1.0, every_s = 0.5, "
                                   "down_s = 0.5, until_s = 5.0 } ]"))
                .find("clients[0].paths[0].link.events[0]: need 0 < down_s < every_s"),
            std::string::npos);
  EXPECT_NE(error_of(two_paths("", ", events = [ { kind = \"periodic_outage\", at_s = 1.0, every_s = 0.5, "
                                   "down_s = 0.7, until_s = 5.0 } ]"))
                .find("need 0 < down_s < every_s"),
            std::string::npos);
  EXPECT_NE(error_of(two_paths("", ", events = [ { kind = \"periodic_outage\", at_s = 1.0, every_s = 1.0, "
                                   "down_s = 0.5 } ]"))
                .find("until_s: missing"),
            std::string::npos);
  EXPECT_NE(error_of(two_paths("", ", events = [ { kind = \"periodic_outage\", at_s = 5.0, every_s = 1.0, "
                                   "down_s = 0.5, until_s = 5.0 } ]"))
                .find("until_s: must be after at_s"),
            std::string::npos);
}

TEST(FailureDetection, OutageBusiestTriggerParsesAndIsChecked) {
  auto s = parse_scenario_toml(two_paths("", "", 1000, "[[triggers]]\nkind = \"outage_busiest\"\nat_s = 3.0\n"
                                                       "until_s = 5.5\n"),
                               "t.toml", {BRAID_TRACES_DIR});
  ASSERT_TRUE(s.has_value()) << s.error().message;
  ASSERT_EQ(s->triggers.size(), 1u);
  EXPECT_EQ(s->triggers[0].kind, Trigger::Kind::kOutageBusiest);
  EXPECT_EQ(s->triggers[0].at, std::chrono::seconds(3));
  ASSERT_TRUE(s->triggers[0].until.has_value());
  EXPECT_EQ(*s->triggers[0].until, std::chrono::milliseconds(5500));
  auto forever = parse_scenario_toml(two_paths("", "", 1000, "[[triggers]]\nkind = \"outage_busiest\"\nat_s = 3.0\n"),
                                     "t.toml", {BRAID_TRACES_DIR});
  ASSERT_TRUE(forever.has_value()) << forever.error().message;
  EXPECT_FALSE(forever->triggers[0].until.has_value());

  EXPECT_EQ(error_of(two_paths("", "", 1000, "[[triggers]]\nkind = \"outage_busiest\"\nat_s = 3.0\nuntil_s = 3.0\n")),
            "t.toml: triggers[0].until_s: must be after at_s");
  EXPECT_NE(error_of(two_paths("", "", 1000, "[[triggers]]\nkind = \"outage_busiest\"\nat_s = 3.0\nuntil_s = 2.0\n"))
                .find("triggers[0].until_s: must be after at_s"),
            std::string::npos);
  EXPECT_NE(error_of(two_paths("", "", 1000, "[[triggers]]\nkind = \"outage_busiest\"\n")).find("triggers[0].at_s"),
            std::string::npos);
  std::string unknown = error_of(two_paths("", "", 1000, "[[triggers]]\nkind = \"outage_random\"\nat_s = 3.0\n"));
  EXPECT_NE(unknown.find("triggers[0].kind: unknown trigger 'outage_random' (outage_busiest)"), std::string::npos)
      << unknown;
}

TEST(FailureDetection, UnknownDetectorIsAnErrorNamingTheKnownOnes) {
  std::string e = error_of(two_paths("[transport]\nfailure_detector = \"nope\""));
  EXPECT_NE(e.find("transport.failure_detector: unknown failure detector 'nope' (known: fast, pf, phi"),
            std::string::npos)
      << e;
  std::string p = error_of(two_paths("[transport]\nfailure_detector = \"phi:suspekt=3\""));
  EXPECT_NE(p.find("transport.failure_detector: phi: unknown parameter suspekt"), std::string::npos) << p;
  std::string f = error_of(two_paths("[transport]\non_failure = \"explode\""));
  EXPECT_NE(f.find("transport.on_failure: unknown failure policy 'explode' (known: fail, standby)"),
            std::string::npos)
      << f;
  auto ok = parse_scenario_toml(two_paths("[transport]\nfailure_detector = \"phi:suspect=8\"\non_failure = \"standby\"\n"
                                          "path_probe_interval_s = 0.5\nabandon_failed_after_s = 2"),
                                "t.toml", {BRAID_TRACES_DIR});
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_EQ(ok->transport.failure_detector, "phi:suspect=8");
  EXPECT_EQ(ok->transport.on_failure, "standby");
  EXPECT_EQ(ok->transport.path_probe_interval, std::chrono::milliseconds(500));
  EXPECT_EQ(ok->transport.abandon_failed_after, std::chrono::seconds(2));
}

// failure_detector = "off": the same blackhole leaves no health record at all (with the
// default detector it does), and the transfer still completes.
TEST(FailureDetection, DetectorOffRecordsNothingInABlackhole) {
  constexpr std::string_view kTrigger = "[[triggers]]\nkind = \"outage_busiest\"\nat_s = 1.0\n";
  auto on = parse_scenario_toml(two_paths("", "", 8'000'000, kTrigger), "t.toml", {BRAID_TRACES_DIR});
  auto off = parse_scenario_toml(two_paths("[transport]\nfailure_detector = \"off\"", "", 8'000'000, kTrigger),
                                 "t.toml", {BRAID_TRACES_DIR});
  ASSERT_TRUE(on.has_value()) << on.error().message;
  ASSERT_TRUE(off.has_value()) << off.error().message;
  EXPECT_EQ(off->transport.failure_detector, "off");
  SimulationResult ron = run(*on);
  SimulationResult roff = run(*off);
  const ClientResult& con = ron.clients[0];
  const ClientResult& coff = roff.clients[0];
  ASSERT_EQ(coff.outages.size(), 1u);
  EXPECT_DOUBLE_EQ(coff.outages[0].from_s, 1.0);
  EXPECT_TRUE(con.completed) << con.failure;
  EXPECT_TRUE(coff.completed) << coff.failure;
  EXPECT_GE(count(con, "failed"), 1u) << health_text(con);
  EXPECT_TRUE(coff.health.empty()) << health_text(coff);
  EXPECT_FALSE(coff.degraded);
  std::printf("longest stall with detection %.1f ms, without %.1f ms\n", con.longest_stall_s * 1e3,
              coff.longest_stall_s * 1e3);
  // Without detection the failover waits for PTOs: the stall is longer.
  EXPECT_LT(con.longest_stall_s, coff.longest_stall_s);
}

}  // namespace
}  // namespace braid::sim

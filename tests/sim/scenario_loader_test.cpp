// Scenario validation: errors name the offending key; JSON and TOML describe the same thing.
#include <gtest/gtest.h>

#include "sim/scenario_loader.h"

namespace braid::sim {
namespace {

std::string error_of(std::string_view toml) {
  auto s = parse_scenario_toml(toml, "t.toml", {"/nonexistent"});
  return s ? "" : s.error().message;
}

constexpr std::string_view kMinimal = R"(
name = "m"
[[clients]]
[[clients.paths]]
link = { rate_mbps = 10 }
[clients.workload]
kind = "bulk_download"
bytes = 1000
)";

TEST(ScenarioLoader, MinimalScenarioLoadsWithDefaults) {
  auto s = parse_scenario_toml(kMinimal, "t.toml", {});
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->clients.size(), 1u);
  EXPECT_EQ(s->clients[0].paths[0].up.config.rate_bps, 10'000'000u);
  EXPECT_EQ(s->clients[0].paths[0].down.config.queue_bytes, 1u << 20);
  EXPECT_EQ(s->transport.congestion_controller, "cubic");
}

TEST(ScenarioLoader, ErrorsNameTheKey) {
  EXPECT_NE(error_of("name = 'x'\n[[clients]]\n[[clients.paths]]\nlink = { rate_mbps = 'fast' }\n"
                     "[clients.workload]\nkind='bulk_download'\nbytes=1\n")
                .find("clients[0].paths[0].link.rate_mbps: expected a number"),
            std::string::npos);
  EXPECT_NE(error_of("name = 'x'\n[[clients]]\n[[clients.paths]]\nlink = { rat_mbps = 1 }\n"
                     "[clients.workload]\nkind='bulk_download'\nbytes=1\n")
                .find("clients[0].paths[0].link.rat_mbps: unknown key"),
            std::string::npos);
  EXPECT_NE(error_of("name = 'x'\n[[clients]]\n[[clients.paths]]\nlink = { loss = 2 }\n"
                     "[clients.workload]\nkind='bulk_download'\nbytes=1\n")
                .find("loss: 2 is out of range"),
            std::string::npos);
  EXPECT_NE(error_of("name = 'x'\n[[clients]]\n[[clients.paths]]\ndown = 'nope'\n"
                     "[clients.workload]\nkind='bulk_download'\nbytes=1\n")
                .find("clients[0].paths[0].down: no link named 'nope'"),
            std::string::npos);
  EXPECT_NE(error_of("name = 'x'\n[transport]\ncongestion_controller = 'bbr9'\n[[clients]]\n[[clients.paths]]\n"
                     "[clients.workload]\nkind='bulk_download'\nbytes=1\n")
                .find("transport.congestion_controller: unknown controller 'bbr9'"),
            std::string::npos);
  EXPECT_NE(error_of("name = 'x'\n[[clients]]\n[[clients.paths]]\n[clients.workload]\nkind='bulk_download'\n")
                .find("clients[0].workload.bytes: missing"),
            std::string::npos);
  EXPECT_NE(error_of("name = [").find("t.toml:1"), std::string::npos);
}

TEST(ScenarioLoader, MissingTraceIsFlagged) {
  auto s = parse_scenario_toml("name = 'x'\n[[clients]]\n[[clients.paths]]\nlink = { trace = 'none.down' }\n"
                               "[clients.workload]\nkind='bulk_download'\nbytes=1\n",
                               "t.toml", {"/nonexistent"});
  ASSERT_FALSE(s.has_value());
  EXPECT_TRUE(s.error().missing_trace);
}

TEST(ScenarioLoader, JsonMatchesToml) {
  auto j = parse_scenario_json(R"({"name":"m","clients":[{"paths":[{"link":{"rate_mbps":10}}],
      "workload":{"kind":"bulk_download","bytes":1000}}],"expect":{"must_complete":true}})",
                               "t.json", {});
  ASSERT_TRUE(j.has_value()) << j.error().message;
  EXPECT_EQ(j->clients[0].paths[0].down.config.rate_bps, 10'000'000u);
  EXPECT_TRUE(j->expect.must_complete);
}

TEST(ScenarioLoader, SharedLinksAndEvents) {
  auto s = parse_scenario_toml(R"(
name = "s"
[links.bottleneck]
rate_mbps = 40
[[clients]]
count = 3
[[clients.paths]]
up = { rate_mbps = 5, events = [ { kind = "outage", at_s = 1, until_s = 2 }, { kind = "rate", at_s = 3, rate_mbps = 1 } ] }
down = "bottleneck"
[clients.workload]
kind = "bulk_download"
bytes = 1
)",
                               "t.toml", {});
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->clients[0].count, 3u);
  EXPECT_EQ(s->clients[0].paths[0].down.shared_name, "bottleneck");
  EXPECT_EQ(s->clients[0].paths[0].up.config.events.size(), 2u);
}

TEST(ScenarioLoader, MultipathOptionsAndPathActions) {
  constexpr std::string_view kBase =
      "name = 'x'\n[transport]\nmultipath = false\nscheduler = 'minrtt'\n[[clients]]\ncount = 2\n"
      "[[clients.paths]]\n[[clients.paths]]\nbackup = true\n[clients.workload]\nkind='bulk_download'\nbytes=1\n";
  auto s = parse_scenario_toml(std::string(kBase) +
                                   "[[actions]]\nat_s = 2\nclient = 1\nkind = 'backup'\npath = 1\n"
                                   "[[actions]]\nat_s = 1\nkind = 'close_path'\npath = 0\n",
                               "t", {});
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_FALSE(s->transport.multipath);
  EXPECT_FALSE(s->clients[0].paths[0].backup);
  EXPECT_TRUE(s->clients[0].paths[1].backup);
  ASSERT_EQ(s->actions.size(), 2u);  // sorted by time
  EXPECT_EQ(s->actions[0].kind, PathActionKind::kClosePath);
  EXPECT_EQ(s->actions[1].client, 1u);
  auto err = [&](std::string extra) {
    auto r = parse_scenario_toml(std::string(kBase) + extra, "t", {});
    return r ? std::string() : r.error().message;
  };
  EXPECT_NE(err("[[actions]]\nat_s = 1\nclient = 2\nkind = 'backup'\npath = 0\n").find("actions[0].client: 2 is out of range"),
            std::string::npos);
  EXPECT_NE(err("[[actions]]\nat_s = 1\nkind = 'backup'\npath = 2\n").find("actions[0].path"), std::string::npos);
  EXPECT_NE(err("[[actions]]\nat_s = 1\nkind = 'jump'\npath = 1\n").find("unknown action 'jump'"), std::string::npos);
  EXPECT_NE(err("[[actions]]\nat_s = 1\nkind = 'open_path'\npath = 0\n").find("path 0"), std::string::npos);
  auto bad = parse_scenario_toml("name = 'x'\n[transport]\nscheduler = 'roundrobin'\n[[clients]]\n[[clients.paths]]\n"
                                 "[clients.workload]\nkind='bulk_download'\nbytes=1\n",
                                 "t", {});
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("transport.scheduler: unknown path scheduler 'roundrobin' (known: minrtt"),
            std::string::npos)
      << bad.error().message;
}

}  // namespace
}  // namespace braid::sim

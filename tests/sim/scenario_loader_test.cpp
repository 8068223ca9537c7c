// Scenario validation: errors name the offending key; JSON and TOML describe the same thing.
#include <gtest/gtest.h>

#include <fmt/format.h>

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
  EXPECT_NE(bad.error().message.find("transport.scheduler: unknown path scheduler 'roundrobin' (known: backup, blest, ecf, lowlat, minrtt"),
            std::string::npos)
      << bad.error().message;
}


// Several workloads on one connection: [clients.workload] first, then [[clients.workloads]].
TEST(ScenarioLoader, SeveralWorkloadsAndTheMessagesKind) {
  auto s = parse_scenario_toml(R"(
name = "w"
[[clients]]
[[clients.paths]]
[clients.workload]
kind = "bulk_download"
bytes = 1000
[[clients.workloads]]
kind = "messages"
count = 10
rate_per_s = 20
start_s = 2
[[clients.workloads]]
kind = "messages"
count = 5
rate_per_s = 1.5
message_bytes = 1200
direction = "upstream"
transport = "datagram"
drain_s = 0.5
)",
                               "t.toml", {});
  ASSERT_TRUE(s.has_value()) << s.error().message;
  const auto& w = s->clients[0].workloads;
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].kind, WorkloadKind::kBulkDownload);
  EXPECT_EQ(w[1].kind, WorkloadKind::kMessages);
  EXPECT_EQ(w[1].count, 10u);
  EXPECT_EQ(w[1].message_bytes, 1000u);  // default
  EXPECT_TRUE(w[1].downstream);          // default
  EXPECT_EQ(w[1].transport, MessageTransport::kStream);
  EXPECT_EQ(w[1].start, std::chrono::seconds(2));
  EXPECT_EQ(w[2].message_bytes, 1200u);
  EXPECT_FALSE(w[2].downstream);
  EXPECT_TRUE(w[2].upstream());
  EXPECT_EQ(w[2].transport, MessageTransport::kDatagram);
  EXPECT_EQ(w[2].drain, std::chrono::milliseconds(500));
  EXPECT_EQ(s->clients[0].start(), Duration::zero());  // the earliest workload start

  // Only [[clients.workloads]] (no single table) is fine too.
  auto only = parse_scenario_toml("name = 'x'\n[[clients]]\n[[clients.paths]]\n[[clients.workloads]]\n"
                                  "kind = 'messages'\ncount = 1\nrate_per_s = 1\nstart_s = 3\n",
                                  "t.toml", {});
  ASSERT_TRUE(only.has_value()) << only.error().message;
  EXPECT_EQ(only->clients[0].workloads.size(), 1u);
  EXPECT_EQ(only->clients[0].start(), std::chrono::seconds(3));
}

TEST(ScenarioLoader, WorkloadErrorsNameTheKey) {
  auto err = [](std::string workloads, std::string client_keys = "") {
    return error_of("name = 'x'\n[[clients]]\n" + client_keys + "[[clients.paths]]\n" + workloads);
  };
  EXPECT_NE(err("[[clients.workloads]]\nkind = 'bulk_download'\nbytes = 1\n[[clients.workloads]]\nkind = 'firehose'\n")
                .find("clients[0].workloads[1].kind: unknown workload 'firehose' (bulk_download, bulk_upload, "
                      "request_response, datagram_flow, messages, transfer)"),
            std::string::npos);
  EXPECT_NE(err("[[clients.workloads]]\nkind = 'transfer'\nbytes = 10\nmode = 'lan'\n").find("mode: 'lan' is not auto"),
            std::string::npos);
  EXPECT_NE(err("[[clients.workloads]]\nkind = 'transfer'\nbytes = 10\ncheck_interval_s = 0.01\n").find("at least 0.1"),
            std::string::npos);
  EXPECT_NE(err("[[clients.workloads]]\nkind = 'messages'\ncount = 1\nrate_per_s = 1\ntransport = 'pigeon'\n")
                .find("clients[0].workloads[0].transport: 'pigeon' is not 'stream' or 'datagram'"),
            std::string::npos);
  EXPECT_NE(err("[[clients.workloads]]\nkind = 'messages'\ncount = 1\nrate_per_s = 1\ndirection = 'sideways'\n")
                .find("clients[0].workloads[0].direction: 'sideways' is not 'downstream' or 'upstream'"),
            std::string::npos);
  EXPECT_NE(err("[[clients.workloads]]\nkind = 'messages'\nrate_per_s = 1\n")
                .find("clients[0].workloads[0].count: missing (required)"),
            std::string::npos);
  EXPECT_NE(err("[[clients.workloads]]\nkind = 'messages'\ncount = 1\nrate_per_s = 1\nmessage_bytes = 8\n")
                .find("clients[0].workloads[0].message_bytes: 8 is out of range [16,"),
            std::string::npos);
  EXPECT_NE(err("[[clients.workloads]]\nkind = 'messages'\ncount = 1\nrate_per_s = 1\ntransport = 'datagram'\n"
                "message_bytes = 5000\n")
                .find("clients[0].workloads[0].message_bytes: 5000 does not fit one datagram"),
            std::string::npos);
  EXPECT_NE(err("[[clients.workloads]]\nkind = 'messages'\ncount = 1\nrate_per_s = 1\nbytes = 5\n")
                .find("clients[0].workloads[0].bytes: unknown key"),
            std::string::npos);
  EXPECT_NE(err("").find("clients[0]: a [clients.workload] table or at least one [[clients.workloads]] is required"),
            std::string::npos);
  EXPECT_NE(err("", "workloads = 3\n").find("clients[0].workloads: expected an array"), std::string::npos);
}

TEST(ScenarioLoader, SchedulerIsASpecWithParameters) {
  auto with = [](std::string_view sched) {
    return parse_scenario_toml(fmt::format("name = 'x'\n[transport]\nscheduler = '{}'\n[[clients]]\n[[clients.paths]]\n"
                                           "[clients.workload]\nkind='bulk_download'\nbytes=1\n",
                                           sched),
                               "t", {});
  };
  auto ok = with("minrtt");
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_EQ(ok->transport.scheduler, PluginSpec("minrtt"));
  EXPECT_EQ(ok->transport.scheduler.to_string(), "minrtt");
  // minrtt takes no parameters: the scheduler's own message, under the key.
  auto param = with("minrtt:quota=4");
  ASSERT_FALSE(param.has_value());
  EXPECT_NE(param.error().message.find("transport.scheduler: minrtt: unknown parameter quota"), std::string::npos)
      << param.error().message;
  auto syntax = with("minrtt:quota");
  ASSERT_FALSE(syntax.has_value());
  EXPECT_NE(syntax.error().message.find("transport.scheduler: 'minrtt:quota': parameter 'quota' is not key=value"),
            std::string::npos)
      << syntax.error().message;
  auto rr = with("rr:quota=4");
  ASSERT_TRUE(rr.has_value()) << rr.error().message;
  EXPECT_EQ(rr->transport.scheduler.to_string(), "rr:quota=4");
  auto unknown = with("roundrobin:quota=4");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message.find("transport.scheduler: unknown path scheduler 'roundrobin' (known: "),
            std::string::npos)
      << unknown.error().message;
  // The same checks for command-line overrides.
  EXPECT_TRUE(parse_scheduler_spec("minrtt").has_value());
  EXPECT_FALSE(parse_scheduler_spec("").has_value());
  EXPECT_NE(parse_scheduler_spec("nosuch").error().find("known: "), std::string::npos);
  EXPECT_TRUE(check_congestion_controller("cubic").has_value());
  EXPECT_NE(check_congestion_controller("bbr9").error().find("unknown controller 'bbr9' (known: "), std::string::npos);
}

}  // namespace
}  // namespace braid::sim

// min-RTT scheduler: lowest RTT among paths that can send, waiting rather than spilling to
// backup paths, affinity, and the registry.
#include <gtest/gtest.h>

#include "braid/connection.h"
#include "braid/path_scheduler.h"
#include "braid/random.h"

namespace braid {
namespace {

using namespace std::chrono_literals;

PathSnapshot path(PathId id, Duration srtt, bool can_send, bool backup = false) {
  PathSnapshot s;
  s.path_id = id;
  s.state = backup ? PathState::kStandby : PathState::kActive;
  s.validated = true;
  s.has_rtt_sample = true;
  s.smoothed_rtt = srtt;
  s.can_send_now = can_send;
  s.backup = backup;
  return s;
}

std::unique_ptr<PathScheduler> make(std::string_view spec) {
  auto cfg = parse_plugin_spec(spec);
  EXPECT_TRUE(cfg.has_value());
  auto s = make_path_scheduler(*cfg);
  EXPECT_TRUE(s.has_value()) << s.error();
  return s ? std::move(*s) : nullptr;
}
std::optional<PathId> pick(PathScheduler& s, std::span<const PathSnapshot> p, const SendIntent& intent = {}) {
  auto c = s.select(p, intent, TimePoint{});
  if (c.empty()) return std::nullopt;
  EXPECT_EQ(c.size(), 1u);
  return c.primary();
}

TEST(MinRtt, PicksLowestRttThatCanSend) {
  auto s = make("minrtt");
  ASSERT_TRUE(s);
  std::vector<PathSnapshot> p = {path(0, 30ms, true), path(1, 10ms, true), path(2, 20ms, true)};
  EXPECT_EQ(pick(*s, p), 1u);
  p[1].can_send_now = false;
  EXPECT_EQ(pick(*s, p), 2u);
}

TEST(MinRtt, BackupOnlyWhenNoActivePathIsUsable) {
  auto s = make("minrtt");
  std::vector<PathSnapshot> p = {path(0, 30ms, false), path(1, 5ms, true, true)};
  // The available path is merely full: wait instead of using the backup.
  EXPECT_EQ(pick(*s, p), std::nullopt);
  p[0].potentially_failed = true;
  EXPECT_EQ(pick(*s, p), 1u);
}

TEST(MinRtt, SkipsUnvalidatedAndAbandoned) {
  auto s = make("minrtt");
  std::vector<PathSnapshot> p = {path(0, 30ms, true), path(1, 5ms, true), path(2, 1ms, true)};
  p[1].validated = false;
  p[1].state = PathState::kValidating;
  p[2].abandoned = true;
  EXPECT_EQ(pick(*s, p), 0u);
}

TEST(MinRtt, AffinityWins) {
  auto s = make("minrtt");
  std::vector<PathSnapshot> p = {path(0, 30ms, true), path(1, 5ms, true)};
  SendIntent pinned;
  pinned.affinity = 0;
  EXPECT_EQ(pick(*s, p, pinned), 0u);
  p[0].can_send_now = false;
  EXPECT_EQ(pick(*s, p, pinned), std::nullopt);
}

TEST(SchedulerRegistry, UnknownNameAndCustomPolicy) {
  auto unknown = make_path_scheduler(SchedulerConfig{"no-such"});
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().find("known: "), std::string::npos) << unknown.error();
  EXPECT_NE(unknown.error().find("minrtt"), std::string::npos) << unknown.error();
  auto bad_param = make_path_scheduler(SchedulerConfig{"minrtt", {{"quota", "3"}}});
  ASSERT_FALSE(bad_param.has_value());
  EXPECT_NE(bad_param.error().find("unknown parameter quota"), std::string::npos) << bad_param.error();
  struct Last final : PathScheduler {
    PathChoice select(std::span<const PathSnapshot> p, const SendIntent&, TimePoint) override {
      return p.empty() ? PathChoice{} : PathChoice::one(p.back().path_id);
    }
    std::string_view name() const override { return "last"; }
  };
  register_path_scheduler("last", [] { return std::make_unique<Last>(); });
  auto s = make("last");
  ASSERT_TRUE(s);
  std::vector<PathSnapshot> p = {path(0, 1ms, true), path(7, 9ms, true)};
  EXPECT_EQ(pick(*s, p), 7u);
  auto names = path_scheduler_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "minrtt"), names.end());
}

}  // namespace
}  // namespace braid

namespace braid {
namespace {

TEST(PluginSpec, ParsesNameAndParameters) {
  auto a = parse_plugin_spec("rr");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->name, "rr");
  EXPECT_TRUE(a->params.empty());
  auto b = parse_plugin_spec(" rr:quota=4, bytes=16000 ");
  ASSERT_TRUE(b) << b.error();
  EXPECT_EQ(b->params.at("quota"), "4");
  EXPECT_EQ(b->params.at("bytes"), "16000");
  EXPECT_EQ(b->to_string(), "rr:bytes=16000,quota=4");
  for (const char* bad : {"", ":x=1", "rr:", "rr:quota", "rr:=3", "rr:a=1,a=2", "r r", "rr:quota="}) {
    EXPECT_FALSE(parse_plugin_spec(bad).has_value()) << bad;
  }
}

TEST(ParamReader, TypedValuesRangesAndUnknownKeys) {
  PluginParams p{{"n", "2.5"}, {"k", "7"}, {"d", "40ms"}, {"f", "yes"}, {"typo", "1"}};
  ParamReader r("x", p);
  EXPECT_DOUBLE_EQ(r.number("n", 0, 0, 10), 2.5);
  EXPECT_EQ(r.count("k", 0, 0, 10), 7u);
  EXPECT_EQ(r.duration("d", Duration{}), std::chrono::milliseconds(40));
  EXPECT_TRUE(r.flag("f", false));
  EXPECT_EQ(r.count("absent", 9, 0, 10), 9u);
  auto done = r.finish();
  ASSERT_FALSE(done);
  EXPECT_NE(done.error().find("unknown parameter typo"), std::string::npos) << done.error();

  PluginParams q{{"k", "11"}, {"n", "abc"}, {"d", "5 parsecs"}};
  ParamReader s("y", q);
  EXPECT_EQ(s.count("k", 1, 0, 10), 1u);
  EXPECT_EQ(s.number("n", 1, 0, 10), 1);
  s.duration("d", Duration{});
  auto e = s.finish();
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().find("k=11 is outside"), std::string::npos) << e.error();
  EXPECT_NE(e.error().find("n=abc is not a number"), std::string::npos) << e.error();
  EXPECT_NE(e.error().find("not a duration"), std::string::npos) << e.error();
}

}  // namespace
}  // namespace braid

namespace braid {
namespace {

// A connection never starts with a scheduler or congestion controller it cannot create:
// the error names the culprit and lists what is known, nothing falls back silently.
TEST(SchedulerConfig, UnknownNamesFailTheConnectionStart) {
  SeededRandom rng(1);
  PathTuple tuple{SocketAddress::v4(10, 0, 0, 1, 5000), SocketAddress::v4(10, 0, 0, 2, 443)};
  ConnectionConfig cc;
  cc.tls.insecure = true;
  cc.scheduler = "no-such";
  auto c = Connection::connect(TimePoint{}, cc, tuple, rng);
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().reason.find("unknown path scheduler 'no-such' (known: "), std::string::npos) << c.error().reason;
  cc.scheduler = SchedulerConfig{"minrtt", {{"bogus", "1"}}};
  c = Connection::connect(TimePoint{}, cc, tuple, rng);
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().reason.find("bogus"), std::string::npos) << c.error().reason;
  cc.scheduler = "minrtt";
  cc.congestion_controller = "vegas-ish";
  c = Connection::connect(TimePoint{}, cc, tuple, rng);
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().reason.find("unknown congestion controller 'vegas-ish' (known: "), std::string::npos);
  cc.congestion_controller = "cubic";
  EXPECT_TRUE(Connection::connect(TimePoint{}, cc, tuple, rng).has_value());
}

}  // namespace
}  // namespace braid

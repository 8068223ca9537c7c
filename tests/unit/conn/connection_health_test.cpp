// Path failure detection end to end in virtual time (F-DETECT, connection_health.cpp): a
// blackholed path goes SUSPECT then FAILED exactly once, bonding DEGRADED, and comes back
// when the link does; detection off, the standby policy, abandon-after (never the last
// path), idle probing, config refusal, and RTT priors for a new path's first RTT.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "braid/failure_detector.h"
#include "braid/rtt_prior.h"
#include "tests/support/multipath_pair.h"
#include "tests/support/transfer.h"

namespace braid {
namespace {

using namespace std::chrono_literals;
using test::LinkParams;
using test::PairHarness;
using test::pattern_bytes;

using test::mp::kLocal0;
using test::mp::kLocal1;
using test::mp::kServer;
using test::mp::open_and_wait;
using test::mp::path_stats;
using test::mp::two_paths_and_a_stream;

std::optional<PathSnapshot> snapshot(Connection& c, TimePoint now, PathId id) {
  for (auto& s : c.path_snapshots(now)) {
    if (s.path_id == id) return s;
  }
  return std::nullopt;
}

double ms(Duration d) { return static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(d).count()) / 1000.0; }


// What one connection reported: health changes, path states and bonding states, each with
// its virtual time. The harness never reads events, so draining them here steals nothing.
struct EventLog {
  struct Entry {
    TimePoint at;
    PathId path;
    std::string detail;
  };
  std::vector<Entry> health, states, bonding;

  void clear() {
    health.clear();
    states.clear();
    bonding.clear();
  }
  void drain(Connection& c, TimePoint now) {
    while (auto e = c.poll_event()) {
      if (e->type == ConnectionEventType::kPathHealthChanged) health.push_back({now, e->path_id, e->detail});
      if (e->type == ConnectionEventType::kPathEvent) states.push_back({now, e->path_id, e->detail});
      if (e->type == ConnectionEventType::kBondingChanged) bonding.push_back({now, 0, e->detail});
    }
  }
  // Both sides' logs from here on: what the setup produced is drained and forgotten.
  static void start(PairHarness& h, EventLog& server, EventLog& client) {
    server.drain(*h.server_conn(), h.now());
    client.drain(h.client(), h.now());
    server.clear();
    client.clear();
  }
  static size_t count(const std::vector<Entry>& v, PathId path, std::string_view detail) {
    size_t n = 0;
    for (auto& e : v) n += e.path == path && e.detail == detail;
    return n;
  }
  static std::optional<TimePoint> first(const std::vector<Entry>& v, PathId path, std::string_view detail) {
    for (auto& e : v) {
      if (e.path == path && e.detail == detail) return e.at;
    }
    return std::nullopt;
  }
  std::string health_text() const {
    std::string s;
    for (auto& e : health) s += fmt::format("[{:.1f} ms path {} {}] ", ms(e.at.time_since_epoch()), e.path, e.detail);
    return s;
  }
};

// Keeps `sender` writing on `sid` (and `receiver` reading) for `d` of virtual time,
// calling `each_step` every iteration. Returns the stream bytes read.
uint64_t keep_sending(PairHarness& h, Connection& sender, Connection& receiver, StreamId sid, Duration d,
                      const std::function<void()>& each_step = {}) {
  static const auto chunk = pattern_bytes(64 * 1024, 99);
  std::vector<uint8_t> buf(65536);
  uint64_t got = 0;
  TimePoint end = h.now() + d;
  h.run_until([&] {
    if (each_step) each_step();
    (void)sender.stream_write(sid, chunk, false);
    bool fin = false;
    for (;;) {
      auto n = receiver.stream_read(sid, buf, fin);
      if (!n || *n == 0) break;
      got += *n;
    }
    return h.now() >= end;
  }, d);
  return got;
}

// ---------------------------------------------------------------------------------------
// Blackholing the path that carries the data: the server suspects it within 150 ms, fails
// it, each exactly once; path state FAILED, bonding DEGRADED; every byte arrives.
TEST(Health, BlackholedBusyPathIsSuspectedThenFailedOnce) {
  PairHarness h(PairHarness::default_options());
  StreamId sid = 0;
  ASSERT_NO_FATAL_FAILURE(two_paths_and_a_stream(h, sid));
  EXPECT_EQ(h.server_conn()->stats().bonding, BondingState::kBonded);
  EventLog srv;
  srv.drain(*h.server_conn(), h.now());
  srv.clear();   // the setup's events
  auto data = pattern_bytes(3 << 20, 21);
  std::vector<uint8_t> got;
  TimePoint cut = h.now() + 300ms;
  std::optional<TimePoint> suspect_at, failed_at;
  uint64_t path0_bytes_at_cut = 0, path1_bytes_at_cut = 0;
  ASSERT_TRUE(test::send_on_stream(h, *h.server_conn(), h.client(), sid, data, got, [&] {
    srv.drain(*h.server_conn(), h.now());
    if (h.now() >= cut && !h.blackholed.count(kLocal0)) {
      h.blackholed.insert(kLocal0);
      path0_bytes_at_cut = path_stats(*h.server_conn(), 0)->stream_bytes_sent;
      path1_bytes_at_cut = path_stats(*h.server_conn(), 1)->stream_bytes_sent;
    }
    auto s = path_stats(*h.server_conn(), 0);
    if (!suspect_at && s->health == PathHealth::kSuspect) suspect_at = h.now();
    if (!failed_at && s->health == PathHealth::kFailed) failed_at = h.now();
  }));
  EXPECT_EQ(got, data);
  // The scheduler put the data on the faster path: it was the busy one when cut.
  EXPECT_GT(path0_bytes_at_cut, path1_bytes_at_cut);
  ASSERT_TRUE(suspect_at.has_value());
  ASSERT_TRUE(failed_at.has_value());
  std::printf("suspect %.1f ms after the cut, failed %.1f ms after\n", ms(*suspect_at - cut), ms(*failed_at - cut));
  EXPECT_GT(*suspect_at, cut);
  EXPECT_LE(*suspect_at - cut, 150ms);
  EXPECT_GT(*failed_at, *suspect_at);
  EXPECT_LE(*failed_at - cut, 500ms);
  h.run_for(500ms);
  srv.drain(*h.server_conn(), h.now());
  // Exactly once each, at the times the stats showed them; nothing on the healthy path.
  EXPECT_EQ(EventLog::count(srv.health, 0, "suspect"), 1u) << srv.health_text();
  EXPECT_EQ(EventLog::count(srv.health, 0, "failed"), 1u) << srv.health_text();
  EXPECT_EQ(EventLog::count(srv.health, 0, "probing"), 0u) << srv.health_text();
  EXPECT_EQ(EventLog::count(srv.health, 0, "healthy"), 0u) << srv.health_text();
  EXPECT_EQ(EventLog::first(srv.health, 0, "suspect"), suspect_at);
  EXPECT_EQ(EventLog::first(srv.health, 0, "failed"), failed_at);
  for (auto& e : srv.health) EXPECT_EQ(e.path, 0u) << srv.health_text();
  EXPECT_EQ(EventLog::count(srv.states, 0, "failed"), 1u);
  EXPECT_EQ(EventLog::first(srv.states, 0, "failed"), failed_at);
  EXPECT_EQ(EventLog::count(srv.bonding, 0, "degraded"), 1u);
  auto s0 = path_stats(*h.server_conn(), 0);
  EXPECT_EQ(s0->state, PathState::kFailed);
  EXPECT_EQ(s0->health, PathHealth::kFailed);
  EXPECT_EQ(s0->failure_detector, "fast");
  EXPECT_EQ(s0->suspicions, 1u);
  EXPECT_EQ(s0->failures, 1u);
  EXPECT_EQ(s0->recoveries, 0u);
  EXPECT_GT(s0->probes_sent, 0u);   // a failed path is probed
  auto s1 = path_stats(*h.server_conn(), 1);
  EXPECT_EQ(s1->state, PathState::kActive);
  EXPECT_EQ(s1->health, PathHealth::kHealthy);
  EXPECT_EQ(s1->suspicions, 0u);
  EXPECT_EQ(h.server_conn()->stats().bonding, BondingState::kDegraded);
  EXPECT_FALSE(h.client().is_draining());
}

// The link comes back: the failed path's probes are answered, it goes PROBING then HEALTHY,
// its state ACTIVE again and bonding BONDED, with one recovery counted.
TEST(Health, RestoredPathRecovers) {
  PairHarness h(PairHarness::default_options());
  StreamId sid = 0;
  ASSERT_NO_FATAL_FAILURE(two_paths_and_a_stream(h, sid));
  EventLog srv;
  srv.drain(*h.server_conn(), h.now());
  srv.clear();   // the setup's events
  auto data = pattern_bytes(4 << 20, 22);
  std::vector<uint8_t> got;
  TimePoint cut = h.now() + 300ms, restore = cut + 1s;
  ASSERT_TRUE(test::send_on_stream(h, *h.server_conn(), h.client(), sid, data, got, [&] {
    srv.drain(*h.server_conn(), h.now());
    if (h.now() >= cut && h.now() < restore) h.blackholed.insert(kLocal0);
    else h.blackholed.erase(kLocal0);
  }));
  EXPECT_EQ(got, data);
  ASSERT_TRUE(h.now() > restore) << "the transfer ended before the link came back";
  ASSERT_TRUE(h.run_until([&] {
    srv.drain(*h.server_conn(), h.now());
    return path_stats(*h.server_conn(), 0)->health == PathHealth::kHealthy;
  }, 3s));
  h.run_for(100ms);
  srv.drain(*h.server_conn(), h.now());
  auto healthy_at = EventLog::first(srv.health, 0, "healthy");
  auto failed_at = EventLog::first(srv.health, 0, "failed");
  ASSERT_TRUE(healthy_at && failed_at);
  std::printf("failed %.1f ms after the cut, healthy %.1f ms after the restore\n", ms(*failed_at - cut),
              ms(*healthy_at - restore));
  EXPECT_GT(*healthy_at, restore);
  EXPECT_LE(*healthy_at - restore, 1s);
  // suspect, failed, probing, healthy: once each, in that order.
  std::vector<std::string> seq;
  for (auto& e : srv.health) {
    if (e.path == 0) seq.push_back(e.detail);
  }
  EXPECT_EQ(seq, (std::vector<std::string>{"suspect", "failed", "probing", "healthy"})) << srv.health_text();
  EXPECT_EQ(EventLog::count(srv.states, 0, "failed"), 1u);
  EXPECT_EQ(EventLog::count(srv.states, 0, "active"), 1u);
  EXPECT_EQ(EventLog::first(srv.states, 0, "active"), healthy_at);
  EXPECT_EQ(EventLog::count(srv.bonding, 0, "degraded"), 1u);
  EXPECT_EQ(EventLog::count(srv.bonding, 0, "bonded"), 1u);
  auto s0 = path_stats(*h.server_conn(), 0);
  EXPECT_EQ(s0->health, PathHealth::kHealthy);
  EXPECT_EQ(s0->state, PathState::kActive);
  EXPECT_EQ(s0->suspicions, 1u);
  EXPECT_EQ(s0->failures, 1u);
  EXPECT_EQ(s0->recoveries, 1u);
  EXPECT_EQ(h.server_conn()->stats().bonding, BondingState::kBonded);
  // And it carries data again.
  uint64_t before = s0->stream_bytes_sent;
  auto more = pattern_bytes(2 << 20, 23);
  auto r = test::run_transfer(h, false, {more});
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_GT(path_stats(*h.server_conn(), 0)->stream_bytes_sent, before + 500'000);
}

// Detection off: the same blackhole changes no health and no path state; PTO and
// reinjection still move the data to the other path.
TEST(Health, DetectionOffFailsOverByPtoOnly) {
  auto o = PairHarness::default_options();
  ASSERT_TRUE(set_failure_detector(o.server.failure_detection, "off").has_value());
  ASSERT_TRUE(set_failure_detector(o.client.failure_detection, "off").has_value());
  EXPECT_FALSE(o.server.failure_detection.enabled);
  PairHarness h(o);
  StreamId sid = 0;
  ASSERT_NO_FATAL_FAILURE(two_paths_and_a_stream(h, sid));
  EventLog srv, cli;
  EventLog::start(h, srv, cli);
  auto data = pattern_bytes(3 << 20, 24);
  std::vector<uint8_t> got;
  TimePoint cut = h.now() + 300ms;
  std::set<PathState> states_while_cut;
  uint64_t path1_at_cut = 0;
  ASSERT_TRUE(test::send_on_stream(h, *h.server_conn(), h.client(), sid, data, got, [&] {
    srv.drain(*h.server_conn(), h.now());
    cli.drain(h.client(), h.now());
    if (h.now() >= cut) {
      if (!h.blackholed.count(kLocal0)) path1_at_cut = path_stats(*h.server_conn(), 1)->stream_bytes_sent;
      h.blackholed.insert(kLocal0);
      states_while_cut.insert(path_stats(*h.server_conn(), 0)->state);
    }
  }));
  EXPECT_EQ(got, data);
  h.run_for(1s);
  srv.drain(*h.server_conn(), h.now());
  cli.drain(h.client(), h.now());
  EXPECT_TRUE(srv.health.empty()) << srv.health_text();
  EXPECT_TRUE(cli.health.empty()) << cli.health_text();
  EXPECT_EQ(states_while_cut, (std::set<PathState>{PathState::kActive}));
  EXPECT_TRUE(srv.states.empty());
  auto s0 = path_stats(*h.server_conn(), 0);
  EXPECT_EQ(s0->state, PathState::kActive);
  EXPECT_EQ(s0->health, PathHealth::kHealthy);
  EXPECT_EQ(s0->failure_detector, "");
  EXPECT_EQ(s0->suspicions + s0->failures + s0->probes_sent, 0u);
  EXPECT_NE(h.server_conn()->stats().bonding, BondingState::kDegraded);
  // Path 1 carried the rest of the transfer.
  EXPECT_GE(path_stats(*h.server_conn(), 1)->stream_bytes_sent - path1_at_cut, 1'500'000u);
}

// on_failure = standby: the failed path becomes a local backup (state STANDBY), not FAILED.
TEST(Health, StandbyPolicyKeepsTheFailedPathAsBackup) {
  auto o = PairHarness::default_options();
  o.server.failure_detection.on_failure = FailureDetectionConfig::OnFailure::kStandby;
  PairHarness h(o);
  StreamId sid = 0;
  ASSERT_NO_FATAL_FAILURE(two_paths_and_a_stream(h, sid));
  EventLog srv;
  srv.drain(*h.server_conn(), h.now());
  srv.clear();   // the setup's events
  auto data = pattern_bytes(3 << 20, 25);
  std::vector<uint8_t> got;
  TimePoint cut = h.now() + 300ms;
  ASSERT_TRUE(test::send_on_stream(h, *h.server_conn(), h.client(), sid, data, got, [&] {
    srv.drain(*h.server_conn(), h.now());
    if (h.now() >= cut) h.blackholed.insert(kLocal0);
  }));
  EXPECT_EQ(got, data);
  h.run_for(500ms);
  srv.drain(*h.server_conn(), h.now());
  auto s0 = path_stats(*h.server_conn(), 0);
  EXPECT_EQ(s0->health, PathHealth::kFailed);
  EXPECT_EQ(s0->state, PathState::kStandby);
  EXPECT_TRUE(s0->backup);
  EXPECT_EQ(s0->failures, 1u);
  EXPECT_EQ(EventLog::count(srv.health, 0, "failed"), 1u) << srv.health_text();
  EXPECT_EQ(EventLog::count(srv.states, 0, "failed"), 0u);
  EXPECT_EQ(EventLog::count(srv.states, 0, "standby"), 1u);
  EXPECT_EQ(EventLog::first(srv.states, 0, "standby"), EventLog::first(srv.health, 0, "failed"));
  EXPECT_EQ(path_stats(*h.server_conn(), 1)->state, PathState::kActive);
}

// abandon_after = 1 s: a path failed that long is abandoned with PATH_UNSTABLE_OR_POOR;
// the peer hears of it over the other path, and both forget the path soon after.
TEST(Health, FailedPathIsAbandonedAfterTheConfiguredTime) {
  auto o = PairHarness::default_options();
  o.server.failure_detection.abandon_after = 1s;
  PairHarness h(o);
  std::vector<std::string> client_qlog;
  h.client().set_qlog_sink([&](std::string_view rec) { client_qlog.emplace_back(rec); }, h.now());
  StreamId sid = 0;
  ASSERT_NO_FATAL_FAILURE(two_paths_and_a_stream(h, sid));
  EventLog srv, cli;
  EventLog::start(h, srv, cli);
  auto data = pattern_bytes(3 << 20, 26);
  std::vector<uint8_t> got;
  TimePoint cut = h.now() + 300ms;
  std::optional<TimePoint> abandoned_at, client_abandoned_at;
  auto watch = [&] {
    srv.drain(*h.server_conn(), h.now());
    cli.drain(h.client(), h.now());
    auto sn = snapshot(*h.server_conn(), h.now(), 0);
    if (!abandoned_at && sn && sn->abandoned) abandoned_at = h.now();
    auto cn = snapshot(h.client(), h.now(), 0);
    if (!client_abandoned_at && cn && cn->abandoned) client_abandoned_at = h.now();
  };
  ASSERT_TRUE(test::send_on_stream(h, *h.server_conn(), h.client(), sid, data, got, [&] {
    watch();
    if (h.now() >= cut) h.blackholed.insert(kLocal0);
  }));
  EXPECT_EQ(got, data);
  ASSERT_TRUE(h.run_until([&] {
    watch();
    return abandoned_at && client_abandoned_at;
  }, 3s));
  auto failed_at = EventLog::first(srv.health, 0, "failed");
  ASSERT_TRUE(failed_at.has_value());
  std::printf("failed %.1f ms after the cut, abandoned %.1f ms after failing, the client knew %.1f ms later\n",
              ms(*failed_at - cut), ms(*abandoned_at - *failed_at), ms(*client_abandoned_at - *abandoned_at));
  EXPECT_GE(*abandoned_at - *failed_at, 1s);
  EXPECT_LE(*abandoned_at - *failed_at, 1s + 5ms);
  // PATH_ABANDON travelled on path 1 (20 ms one way) with PATH_UNSTABLE_OR_POOR (0x3e76).
  EXPECT_LE(*client_abandoned_at - *abandoned_at, 60ms);
  bool frame_seen = false;
  for (auto& r : client_qlog) {
    frame_seen |= r.find("\"frame_type\":\"path_abandon\",\"path_id\":0,\"error_code\":15990") != std::string::npos;
  }
  EXPECT_TRUE(frame_seen);
  // Both forget the path (3 PTO later); the connection lives on over path 1.
  ASSERT_TRUE(h.run_until([&] {
    watch();
    return !path_stats(*h.server_conn(), 0) && !path_stats(h.client(), 0);
  }, 3s));
  EXPECT_FALSE(h.client().is_draining());
  EXPECT_FALSE(h.server_conn()->is_draining());
  EXPECT_EQ(path_stats(*h.server_conn(), 1)->state, PathState::kActive);
  EXPECT_EQ(EventLog::count(srv.health, 1, "suspect"), 0u) << srv.health_text();
  // Data still flows on what is left.
  auto r = test::run_transfer(h, false, {pattern_bytes(500'000, 27)});
  EXPECT_TRUE(r.ok) << r.failure;
}

// The last path is never abandoned: with both paths blackholed, both fail and stay (probed),
// the connection is not closed by the policy, and when the links return both recover and
// the transfer finishes intact.
TEST(Health, LastPathIsNeverAbandoned) {
  auto o = PairHarness::default_options();
  o.server.failure_detection.abandon_after = 1s;
  PairHarness h(o);
  StreamId sid = 0;
  ASSERT_NO_FATAL_FAILURE(two_paths_and_a_stream(h, sid));
  EventLog srv;
  srv.drain(*h.server_conn(), h.now());
  srv.clear();
  auto data = pattern_bytes(4 << 20, 28);
  std::vector<uint8_t> got;
  TimePoint cut = h.now() + 400ms, restore = cut + 3500ms;
  bool any_abandoned = false, checked = false;
  ASSERT_TRUE(test::send_on_stream(h, *h.server_conn(), h.client(), sid, data, got, [&] {
    srv.drain(*h.server_conn(), h.now());
    for (auto& sn : h.server_conn()->path_snapshots(h.now())) any_abandoned |= sn.abandoned;
    if (h.now() >= cut && h.now() < restore) {
      h.blackholed.insert(kLocal0);
      h.blackholed.insert(kLocal1);
    } else if (h.now() >= restore && !checked) {
      checked = true;
      h.blackholed.clear();
      // The state just before the links came back.
      auto f0 = EventLog::first(srv.health, 0, "failed");
      auto f1 = EventLog::first(srv.health, 1, "failed");
      ASSERT_TRUE(f0 && f1) << srv.health_text();
      std::printf("path 0 failed %.1f ms after the cut, path 1 %.1f ms\n", ms(*f0 - cut), ms(*f1 - cut));
      EXPECT_LT(std::max(*f0, *f1) - std::min(*f0, *f1), 1s);   // neither had another usable path
      EXPECT_GE(h.now() - std::max(*f0, *f1), 2s);                // well past abandon_after
      EXPECT_FALSE(any_abandoned);
      EXPECT_FALSE(h.server_conn()->is_draining());
      EXPECT_FALSE(h.client().is_draining());
      for (PathId id : {PathId{0}, PathId{1}}) {
        auto s = path_stats(*h.server_conn(), id);
        ASSERT_TRUE(s.has_value());
        EXPECT_EQ(s->state, PathState::kFailed);
        EXPECT_EQ(s->failures, 1u);
        EXPECT_GT(s->probes_sent, 3u);
      }
      EXPECT_EQ(h.server_conn()->stats().bonding, BondingState::kDegraded);
    }
  }, 15s));
  EXPECT_TRUE(checked);
  EXPECT_EQ(got, data);
  EXPECT_FALSE(any_abandoned) << srv.health_text() << " | " << [&] {
    std::string s;
    for (auto& e : srv.states) s += fmt::format("[{:.1f} ms path {} {}] ", ms(e.at.time_since_epoch()), e.path, e.detail);
    return s;
  }();
  ASSERT_TRUE(h.run_until([&] {
    return path_stats(*h.server_conn(), 0)->state == PathState::kActive && path_stats(*h.server_conn(), 1)->state == PathState::kActive;
  }, 3s));
  EXPECT_EQ(EventLog::count(srv.states, 0, "closing") + EventLog::count(srv.states, 1, "closing"), 0u);
}

// Probe counts over `window` while the server's path 0 carries a pinned stream: the
// server's busy path 0 and idle path 1, and the client's path 1.
struct ProbeCounts {
  uint64_t busy = 0, idle = 0, client_idle = 0;
  uint32_t idle_suspicions = 0;
};
ProbeCounts idle_probes(Duration probe_interval, Duration window) {
  auto o = PairHarness::default_options();
  o.server.failure_detection.probe_interval = probe_interval;
  o.client.failure_detection.probe_interval = probe_interval;
  PairHarness h(o);
  StreamId sid = 0;
  two_paths_and_a_stream(h, sid);
  if (!h.server_conn()) return {};
  EXPECT_TRUE(h.server_conn()->set_stream_path(sid, 0).has_value());
  keep_sending(h, *h.server_conn(), h.client(), sid, 500ms);
  auto s0 = path_stats(*h.server_conn(), 0)->probes_sent;
  auto s1 = path_stats(*h.server_conn(), 1)->probes_sent;
  auto c1 = path_stats(h.client(), 1)->probes_sent;
  uint64_t bytes = keep_sending(h, *h.server_conn(), h.client(), sid, window);
  EXPECT_GT(bytes, 1'000'000u);
  auto idle = path_stats(*h.server_conn(), 1);
  EXPECT_EQ(idle->state, PathState::kActive);
  EXPECT_EQ(idle->health, PathHealth::kHealthy);
  std::printf("probe_interval %lld ms over %lld ms: server probes: busy path %llu, idle path %llu; client idle path %llu\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(probe_interval).count()),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(window).count()),
              static_cast<unsigned long long>(path_stats(*h.server_conn(), 0)->probes_sent - s0),
              static_cast<unsigned long long>(idle->probes_sent - s1),
              static_cast<unsigned long long>(path_stats(h.client(), 1)->probes_sent - c1));
  return {path_stats(*h.server_conn(), 0)->probes_sent - s0, idle->probes_sent - s1,
          path_stats(h.client(), 1)->probes_sent - c1, idle->suspicions + path_stats(h.client(), 1)->suspicions};
}

// An idle path next to a busy one is probed (and answers, so it stays healthy); the busy
// path, which owes enough to be judged, gets none.
TEST(Health, IdlePathNextToABusyOneIsProbed) {
  ProbeCounts on = idle_probes(1s, 3s);
  EXPECT_GE(on.idle, 2u);
  EXPECT_EQ(on.busy, 0u);
  EXPECT_EQ(on.idle_suspicions, 0u);
}

// The idle path gets about one PING per probe_interval, and none with probe_interval = 0
// (the receive-quiet rule once fired on every path the peer had nothing to send on, about
// every 280 ms whatever the interval).
TEST(Health, IdlePathIsProbedOncePerProbeInterval) {
  ProbeCounts on = idle_probes(1s, 3s);
  EXPECT_GE(on.idle, 2u);
  EXPECT_LE(on.idle, 4u);
  EXPECT_LE(on.client_idle, 4u);
  ProbeCounts fast = idle_probes(250ms, 3s);
  EXPECT_GE(fast.idle, 10u);
  EXPECT_LE(fast.idle, 13u);
  ProbeCounts off = idle_probes(0s, 3s);
  EXPECT_EQ(off.idle, 0u);
  EXPECT_EQ(off.client_idle, 0u);
}

// Two paths, no traffic at all, idle_timeout 2 s: how many probes each side sent in the
// first 1.9 s of quiet, and whether both sides closed by idle timeout within `limit`.
struct IdleRun {
  uint64_t probes = 0;
  bool closed = false;
  Duration closed_after{};
};
IdleRun idle_run(Duration probe_interval, Duration limit) {
  auto o = PairHarness::default_options();
  o.client.idle_timeout = 2s;
  o.server.idle_timeout = 2s;
  o.client.failure_detection.probe_interval = probe_interval;
  o.server.failure_detection.probe_interval = probe_interval;
  PairHarness h(o);
  IdleRun out;
  EXPECT_TRUE(h.handshake());
  EXPECT_TRUE(open_and_wait(h, kLocal1).has_value());
  if (!h.server_conn()) return out;
  TimePoint quiet = h.now();
  h.run_for(1900ms);
  for (Connection* c : {&h.client(), h.server_conn()}) {
    for (auto& p : c->stats().paths) out.probes += p.probes_sent;
  }
  out.closed = h.run_until([&] { return h.client().is_draining() && h.server_conn()->is_draining(); }, limit - 1900ms);
  out.closed_after = h.now() - quiet;
  return out;
}

// With idle probing off, a two-path connection with no traffic sends no probes and closes
// by idle timeout on time.
TEST(Health, IdleConnectionWithoutIdleProbingTimesOut) {
  IdleRun r = idle_run(0s, 3s);
  std::printf("probe_interval 0: %llu probes, closed %d after %.1f ms\n", static_cast<unsigned long long>(r.probes),
              r.closed, ms(r.closed_after));
  EXPECT_EQ(r.probes, 0u);
  EXPECT_TRUE(r.closed);
  EXPECT_GE(r.closed_after, 2s);
  EXPECT_LE(r.closed_after, 2100ms);
}

// With the default probe_interval (1 s) a two-path connection with no traffic sends no
// probes and times out: "busy" means data sent recently on another path, not probes (two
// idle paths' PINGs once kept each other, and the connection, alive forever).
TEST(Health, IdleConnectionSendsNoProbesAndTimesOut) {
  IdleRun r = idle_run(1s, 3s);
  EXPECT_EQ(r.probes, 0u);
  EXPECT_TRUE(r.closed);
  EXPECT_LE(r.closed_after, 2100ms);
}

// Unknown detector names and bad parameters are refused before anything starts, naming the
// known detectors.
TEST(Health, BadDetectorConfigIsRefused) {
  FailureDetectionConfig fd;
  auto bad = set_failure_detector(fd, "nope");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().find("unknown failure detector 'nope' (known: fast, pf, phi"), std::string::npos) << bad.error();
  EXPECT_TRUE(fd.enabled);
  EXPECT_EQ(fd.detector.name, "fast");
  ASSERT_TRUE(set_failure_detector(fd, "phi:suspect=8").has_value());
  EXPECT_EQ(fd.detector.name, "phi");

  auto connect_error = [](PluginSpec spec) -> std::string {
    auto o = PairHarness::default_options();
    o.client.failure_detection.detector = std::move(spec);
    SeededRandom rng(1);
    PathTuple t{kLocal0, kServer};
    auto c = Connection::connect(time_from_us(1'000'000), o.client, t, rng);
    return c ? std::string() : c.error().reason;
  };
  std::string e1 = connect_error("nope");
  EXPECT_NE(e1.find("unknown failure detector 'nope' (known: fast, pf, phi"), std::string::npos) << e1;
  std::string e2 = connect_error(*parse_plugin_spec("phi:suspekt=8"));
  EXPECT_NE(e2.find("phi: unknown parameter suspekt"), std::string::npos) << e2;
  std::string e3 = connect_error(*parse_plugin_spec("phi:suspect=1000"));
  EXPECT_NE(e3.find("suspect"), std::string::npos) << e3;
  EXPECT_FALSE(e3.empty());
  auto o = PairHarness::default_options();
  o.client.failure_detection.probe_burst = 0;
  auto burst = check_connection_config(o.client);
  ASSERT_FALSE(burst.has_value());
  EXPECT_EQ(burst.error(), "failure detection: probe burst must be 1..16");

  // A server with a bad detector accepts nothing: no connection, no handshake.
  auto so = PairHarness::default_options();
  so.server.failure_detection.detector = "nope";
  auto why = check_connection_config(so.server);
  ASSERT_FALSE(why.has_value());
  EXPECT_NE(why.error().find("(known: fast, pf, phi"), std::string::npos) << why.error();
  PairHarness h(so);
  EXPECT_FALSE(h.run_until([&] { return h.client().is_handshake_complete(); }, 1s));
  EXPECT_EQ(h.server_conn(), nullptr);

  // A good one reaches the paths.
  auto go = PairHarness::default_options();
  ASSERT_TRUE(set_failure_detector(go.server.failure_detection, "phi:suspect=8").has_value());
  PairHarness g(go);
  ASSERT_TRUE(g.handshake());
  ASSERT_TRUE(open_and_wait(g, kLocal1).has_value());
  EXPECT_EQ(path_stats(*g.server_conn(), 1)->failure_detector, "phi");
  EXPECT_EQ(path_stats(g.client(), 1)->failure_detector, "fast");
}

// RTT priors: path 0 runs long enough for the client's store to hold 3 samples; path 1,
// from another local address to the same server, starts from the store's peer tier (about
// path 0's 20 ms) instead of 333 ms, and so retransmits a lost PATH_CHALLENGE after a PTO
// of that RTT rather than of 333 ms.
struct PriorRun {
  Duration srtt_at_open{};
  std::optional<RttPrior> prior;
  Duration second_challenge_after{};   // from open_path to the second datagram from kLocal1
  Duration active_after{};             // from open_path to path 1 ACTIVE at the client
};
PriorRun prior_run(bool with_store) {
  PriorRun out;
  auto o = PairHarness::default_options();
  // The PTO below counts the peer's max_ack_delay transport parameter (25 ms); an ack
  // frequency request would replace it (AckFrequency.* tests that).
  o.client.ack_frequency = o.server.ack_frequency = false;
  std::shared_ptr<RttPriorStore> store;
  if (with_store) {
    store = std::make_shared<RttPriorStore>();
    o.client.rtt_priors = store;
  }
  PairHarness h(o);
  EXPECT_TRUE(h.handshake());
  auto sid = h.client().open_stream(false);
  EXPECT_TRUE(sid.has_value());
  if (!sid) return out;
  // A message every 100 ms (run_until jumps over quiet time, so step it explicitly).
  auto msg = pattern_bytes(1000, 30);
  std::vector<uint8_t> buf(4096);
  for (int i = 0; i < 32; ++i) {
    EXPECT_TRUE(h.client().stream_write(*sid, msg, false).has_value());
    h.run_for(100ms);
    bool fin = false;
    while (auto n = h.server_conn()->stream_read(*sid, buf, fin)) {
      if (*n == 0) break;
    }
  }
  if (store) {
    out.prior = store->lookup(kServer, kLocal1);
    EXPECT_EQ(store->lookup(kServer, kLocal0).tier, RttPriorTier::kPeerAndLocal);
  }
  // The first datagram of path 1 (its PATH_CHALLENGE) is lost.
  std::vector<TimePoint> sends;
  h.tap = [&](bool from_client, const PathTuple& sender, std::span<const uint8_t>) {
    if (!from_client || sender.local != kLocal1) return true;
    sends.push_back(h.now());
    return sends.size() > 1;
  };
  TimePoint open = h.now();
  auto p1 = h.client().open_path(open, kLocal1, kServer);
  EXPECT_TRUE(p1.has_value());
  if (!p1) return out;
  out.srtt_at_open = path_stats(h.client(), *p1)->smoothed_rtt;
  EXPECT_TRUE(h.run_until([&] { return path_stats(h.client(), *p1)->state == PathState::kActive; }, 5s));
  out.active_after = h.now() - open;
  EXPECT_GE(sends.size(), 2u);
  if (sends.size() >= 2) out.second_challenge_after = sends[1] - open;
  return out;
}

TEST(Health, RttPriorSetsANewPathsFirstRtt) {
  PriorRun with = prior_run(true);
  PriorRun without = prior_run(false);
  ASSERT_TRUE(with.prior.has_value());
  std::printf("prior %.2f ms (%s, %u samples); path 1 srtt at open %.2f ms with the store, %.2f without; "
              "second challenge after %.1f / %.1f ms; active after %.1f / %.1f ms\n",
              ms(with.prior->smoothed_rtt), std::string(rtt_prior_tier_name(with.prior->tier)).c_str(),
              with.prior->samples, ms(with.srtt_at_open), ms(without.srtt_at_open), ms(with.second_challenge_after),
              ms(without.second_challenge_after), ms(with.active_after), ms(without.active_after));
  EXPECT_EQ(with.prior->tier, RttPriorTier::kPeer);
  EXPECT_GE(with.prior->samples, 3u);
  EXPECT_GE(with.prior->smoothed_rtt, 19ms);
  EXPECT_LE(with.prior->smoothed_rtt, 25ms);
  EXPECT_EQ(with.srtt_at_open, with.prior->smoothed_rtt);
  EXPECT_EQ(without.srtt_at_open, 333ms);
  // The lost challenge goes again after the new path's PTO (or the connection's largest).
  // PTO = srtt + 4 * (srtt / 2) + max_ack_delay: 3 * 20 + 25 = 85 ms, against 3 * 333 + 25.
  EXPECT_NEAR(ms(with.second_challenge_after), ms(3 * with.prior->smoothed_rtt + 25ms), 1.0);
  EXPECT_NEAR(ms(without.second_challenge_after), ms(3 * 333ms + 25ms), 1.0);
  EXPECT_LE(with.active_after, with.second_challenge_after + 30ms);
  EXPECT_GE(without.active_after, without.second_challenge_after + 20ms);
}

}  // namespace
}  // namespace braid

// Multipath end to end in virtual time (draft-ietf-quic-multipath-21): negotiation and
// single-path fallback, path open/validate/abandon, status, NAT rebinding per path, failure
// of validation, blackholes, and aggregation of two unequal paths.
#include <gtest/gtest.h>

#include "braid/path_scheduler.h"
#include "tests/support/multipath_pair.h"
#include "tests/support/transfer.h"

namespace braid {
namespace {

using test::LinkParams;
using test::PairHarness;
using test::pattern_bytes;
using test::run_transfer;

using test::mp::kLocal0;
using test::mp::kLocal1;
using test::mp::kLocal2;
using test::mp::kServer;
using test::mp::open_and_wait;
using test::mp::path_stats;
using test::mp::two_paths_and_a_stream;

TEST(Multipath, NegotiatedByDefault) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  EXPECT_TRUE(h.client().is_multipath());
  EXPECT_TRUE(h.server_conn()->is_multipath());
  EXPECT_EQ(h.client().bonding_state(), BondingState::kSinglePath);
}

TEST(Multipath, FallbackWhenClientDoesNotOffer) {
  auto o = PairHarness::default_options();
  o.client.initial_max_path_id = 0;
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  EXPECT_FALSE(h.client().is_multipath());
  EXPECT_FALSE(h.server_conn()->is_multipath());
  auto r = run_transfer(h, false, {pattern_bytes(1 << 20, 1)});
  EXPECT_TRUE(r.ok) << r.failure;
  h.run_for(std::chrono::milliseconds(50));
  auto p = h.client().open_path(h.now(), kLocal1, kServer);
  ASSERT_FALSE(p.has_value());
  EXPECT_NE(p.error().reason.find("multipath"), std::string::npos);
}

TEST(Multipath, FallbackWhenServerDoesNotOffer) {
  auto o = PairHarness::default_options();
  o.server.initial_max_path_id = 0;
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  EXPECT_FALSE(h.client().is_multipath());
  EXPECT_FALSE(h.server_conn()->is_multipath());
  auto r = run_transfer(h, true, {pattern_bytes(1 << 20, 2)});
  EXPECT_TRUE(r.ok) << r.failure;
}

TEST(Multipath, TwoPathDownloadWithKeyUpdate) {
  auto o = PairHarness::default_options();
  o.server.key_update_interval_packets = 500;
  PairHarness h(o);
  h.set_path_link(kLocal0, LinkParams{std::chrono::milliseconds(10), 0, 0, {}, 20'000'000, false, 0, 64});
  h.set_path_link(kLocal1, LinkParams{std::chrono::milliseconds(30), 0, 0, {}, 10'000'000, false, 0, 64});
  ASSERT_TRUE(h.handshake());
  auto p1 = open_and_wait(h, kLocal1);
  ASSERT_TRUE(p1.has_value());
  EXPECT_EQ(h.client().bonding_state(), BondingState::kBonded);
  auto r = run_transfer(h, false, {pattern_bytes(6 << 20, 3)});
  ASSERT_TRUE(r.ok) << r.failure;
  auto s0 = path_stats(*h.server_conn(), 0);
  auto s1 = path_stats(*h.server_conn(), *p1);
  ASSERT_TRUE(s0 && s1);
  EXPECT_GT(s0->stream_bytes_sent, 1u << 20);
  EXPECT_GT(s1->stream_bytes_sent, 512u << 10);
  EXPECT_GE(h.server_conn()->stats().key_updates, 1u);
  EXPECT_GE(h.client().stats().key_updates, 1u);
}

TEST(Multipath, AbandonOneOpenAnotherAbandonTheFirst) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  auto p1 = open_and_wait(h, kLocal1);
  ASSERT_TRUE(p1.has_value());
  ASSERT_TRUE(h.client().close_path(h.now(), *p1).has_value());
  ASSERT_TRUE(h.run_until([&] {
    auto s = path_stats(*h.server_conn(), *p1);
    return !s || s->state == PathState::kClosing || s->state == PathState::kClosed;
  }));
  auto r1 = run_transfer(h, false, {pattern_bytes(500'000, 4)});
  ASSERT_TRUE(r1.ok) << r1.failure;
  auto p2 = open_and_wait(h, kLocal2);
  ASSERT_TRUE(p2.has_value());
  EXPECT_GT(*p2, *p1);   // path IDs are never reused
  ASSERT_TRUE(h.client().close_path(h.now(), 0).has_value());
  auto r2 = run_transfer(h, false, {pattern_bytes(1 << 20, 5)});
  ASSERT_TRUE(r2.ok) << r2.failure;
  // Everything after the abandon went over path 2.
  auto s2 = path_stats(*h.server_conn(), *p2);
  ASSERT_TRUE(s2.has_value());
  EXPECT_GE(s2->stream_bytes_sent, 1u << 20);
  EXPECT_FALSE(h.client().is_draining());
  // Abandoned paths are forgotten after 3 PTO.
  h.run_for(std::chrono::seconds(2));
  EXPECT_FALSE(path_stats(h.client(), 0).has_value());
  EXPECT_FALSE(path_stats(h.client(), *p1).has_value());
}

TEST(Multipath, AbandoningTheLastPathClosesTheConnection) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  ASSERT_TRUE(h.client().close_path(h.now(), 0).has_value());
  ASSERT_TRUE(h.run_until([&] { return h.client().is_draining() && h.server_conn()->is_draining(); }));
}

TEST(Multipath, NatRebindingOnSecondPath) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  auto p1 = open_and_wait(h, kLocal1);
  ASSERT_TRUE(p1.has_value());
  auto rebound = *SocketAddress::parse("10.0.1.1:7001");
  h.nat[kLocal1] = rebound;
  // Pin the stream to path 1 so the rebinding is exercised by data.
  auto sid = h.server_conn()->open_stream(false);
  ASSERT_TRUE(sid.has_value());
  ASSERT_TRUE(h.server_conn()->set_stream_path(*sid, *p1).has_value());
  auto data = pattern_bytes(300'000, 6);
  std::vector<uint8_t> got;
  ASSERT_TRUE(test::send_on_stream(h, *h.server_conn(), h.client(), *sid, data, got));
  EXPECT_EQ(got, data);
  auto s1 = path_stats(*h.server_conn(), *p1);
  ASSERT_TRUE(s1.has_value());
  EXPECT_EQ(s1->tuple.remote, rebound);
  EXPECT_EQ(path_stats(*h.server_conn(), 0)->tuple.remote, kLocal0);   // path 0 untouched
}

TEST(Multipath, BackupCarriesNoDataUntilAvailable) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  auto p1 = open_and_wait(h, kLocal1);
  ASSERT_TRUE(p1.has_value());
  ASSERT_TRUE(h.client().set_path_status(h.now(), *p1, true).has_value());
  ASSERT_TRUE(h.run_until([&] { return path_stats(*h.server_conn(), *p1)->state == PathState::kStandby; }));
  uint64_t before = path_stats(*h.server_conn(), *p1)->stream_bytes_sent;
  auto r = run_transfer(h, false, {pattern_bytes(2 << 20, 7)});
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(path_stats(*h.server_conn(), *p1)->stream_bytes_sent, before);
  // PATH_STATUS_AVAILABLE restores it.
  ASSERT_TRUE(h.client().set_path_status(h.now(), *p1, false).has_value());
  ASSERT_TRUE(h.run_until([&] { return path_stats(*h.server_conn(), *p1)->state == PathState::kActive; }));
  auto r2 = run_transfer(h, false, {pattern_bytes(4 << 20, 8)});
  ASSERT_TRUE(r2.ok) << r2.failure;
  EXPECT_GT(path_stats(*h.server_conn(), *p1)->stream_bytes_sent, before + 30'000);
}

// Several streams pinned to two paths at once, with a free stream between them: every byte
// of a pinned stream leaves on its own path (per-path stream bytes add up exactly, no loss
// so nothing is resent), and the free stream may use either.
TEST(Multipath, PinnedStreamsNeverLeak) {
  PairHarness h(PairHarness::default_options());
  h.set_path_link(kLocal0, LinkParams{std::chrono::milliseconds(10), 0, 0, {}, 20'000'000, false, 0, 256});
  h.set_path_link(kLocal1, LinkParams{std::chrono::milliseconds(30), 0, 0, {}, 20'000'000, false, 0, 256});
  ASSERT_TRUE(h.handshake());
  auto p1 = open_and_wait(h, kLocal1);
  ASSERT_TRUE(p1.has_value());
  uint64_t before0 = path_stats(*h.server_conn(), 0)->stream_bytes_sent;
  uint64_t before1 = path_stats(*h.server_conn(), *p1)->stream_bytes_sent;
  std::vector<std::vector<uint8_t>> payloads = {pattern_bytes(600'000, 1), pattern_bytes(400'000, 2),
                                                pattern_bytes(500'000, 3), pattern_bytes(300'000, 4)};
  auto r = run_transfer(h, false, payloads, std::chrono::seconds(60), [&](const std::vector<StreamId>& ids) {
    ASSERT_TRUE(h.server_conn()->set_stream_path(ids[0], 0).has_value());     // the fast path
    ASSERT_TRUE(h.server_conn()->set_stream_path(ids[1], *p1).has_value());   // the slow path
    ASSERT_TRUE(h.server_conn()->set_stream_path(ids[2], *p1).has_value());
    // ids[3] is free
  });
  ASSERT_TRUE(r.ok) << r.failure;
  uint64_t on0 = path_stats(*h.server_conn(), 0)->stream_bytes_sent - before0;
  uint64_t on1 = path_stats(*h.server_conn(), *p1)->stream_bytes_sent - before1;
  // A loss or PTO may resend some bytes (on the stream's own path); a leak would move
  // hundreds of kilobytes of the slow path's streams onto the fast one.
  constexpr uint64_t kResendSlack = 18'000;
  EXPECT_GE(on0, 600'000u);
  EXPECT_GE(on1, 900'000u);
  EXPECT_LE(on0 + on1, 1'800'000u + kResendSlack);
  EXPECT_LE(on0, 600'000u + 300'000u + kResendSlack);
  EXPECT_LE(on1, 900'000u + 300'000u + kResendSlack);
}

// Only pinned streams: each path carries exactly its streams' bytes (give or take a resend).
TEST(Multipath, PinnedStreamsStayOnTheirPaths) {
  PairHarness h(PairHarness::default_options());
  h.set_path_link(kLocal0, LinkParams{std::chrono::milliseconds(10), 0, 0, {}, 20'000'000, false, 0, 256});
  h.set_path_link(kLocal1, LinkParams{std::chrono::milliseconds(30), 0, 0, {}, 20'000'000, false, 0, 256});
  ASSERT_TRUE(h.handshake());
  auto p1 = open_and_wait(h, kLocal1);
  ASSERT_TRUE(p1.has_value());
  uint64_t before0 = path_stats(*h.server_conn(), 0)->stream_bytes_sent;
  uint64_t before1 = path_stats(*h.server_conn(), *p1)->stream_bytes_sent;
  std::vector<std::vector<uint8_t>> payloads = {pattern_bytes(200'000, 1), pattern_bytes(700'000, 2),
                                                pattern_bytes(500'000, 3)};
  auto r = run_transfer(h, false, payloads, std::chrono::seconds(60), [&](const std::vector<StreamId>& ids) {
    ASSERT_TRUE(h.server_conn()->set_stream_path(ids[0], 0).has_value());
    ASSERT_TRUE(h.server_conn()->set_stream_path(ids[1], *p1).has_value());
    ASSERT_TRUE(h.server_conn()->set_stream_path(ids[2], *p1).has_value());
  });
  ASSERT_TRUE(r.ok) << r.failure;
  uint64_t on0 = path_stats(*h.server_conn(), 0)->stream_bytes_sent - before0;
  uint64_t on1 = path_stats(*h.server_conn(), *p1)->stream_bytes_sent - before1;
  EXPECT_GE(on0, 200'000u);
  EXPECT_LE(on0, 200'000u + 18'000u);
  EXPECT_GE(on1, 1'200'000u);
  EXPECT_LE(on1, 1'200'000u + 18'000u);
}

// set_stream_duplicate: every byte also goes on the other path (from the stored bytes); the
// receiver delivers the stream intact once and counts the copies it already had.
TEST(Multipath, DuplicatedStreamArrivesOnce) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  auto p1 = open_and_wait(h, kLocal1);
  ASSERT_TRUE(p1.has_value());
  auto data = pattern_bytes(400'000, 9);
  auto r = run_transfer(h, false, {data}, std::chrono::seconds(60), [&](const std::vector<StreamId>& ids) {
    ASSERT_TRUE(h.server_conn()->set_stream_duplicate(ids[0], true).has_value());
  });
  ASSERT_TRUE(r.ok) << r.failure;
  uint64_t dup_sent = 0, dup_received = 0;
  for (auto& p : h.server_conn()->stats().paths) dup_sent += p.duplicate_bytes_sent;
  for (auto& p : h.client().stats().paths) dup_received += p.duplicate_bytes_received;
  EXPECT_GT(dup_sent, 100'000u);
  EXPECT_GT(dup_received, 50'000u);
  EXPECT_EQ(h.client().stats().duplicate_bytes_received, dup_received);
  EXPECT_FALSE(h.server_conn()->set_stream_duplicate(999, true).has_value());
}

// An application's own scheduler, registered by name and used by a connection: it sends
// everything on the highest validated path ID, waiting while that path cannot send.
TEST(Multipath, RegisteredSchedulerCarriesATransfer) {
  struct HighestId final : PathScheduler {
    PathChoice select(std::span<const PathSnapshot> paths, const SendIntent&, TimePoint) override {
      for (auto it = paths.rbegin(); it != paths.rend(); ++it) {
        if (it->validated && !it->abandoned) return it->can_send_now ? PathChoice::one(it->path_id) : PathChoice{};
      }
      return {};
    }
    std::string_view name() const override { return "test-highest"; }
  };
  register_path_scheduler("test-highest", [] { return std::make_unique<HighestId>(); });
  auto opts = PairHarness::default_options();
  opts.server.scheduler = "test-highest";
  PairHarness h(opts);
  ASSERT_TRUE(h.handshake());
  auto p1 = open_and_wait(h, kLocal1);
  ASSERT_TRUE(p1.has_value());
  uint64_t before0 = path_stats(*h.server_conn(), 0)->stream_bytes_sent;
  auto r = run_transfer(h, false, {pattern_bytes(1'000'000, 5)});
  ASSERT_TRUE(r.ok) << r.failure;
  uint64_t on0 = path_stats(*h.server_conn(), 0)->stream_bytes_sent - before0;
  uint64_t on1 = path_stats(*h.server_conn(), *p1)->stream_bytes_sent;
  EXPECT_GT(on1, 900'000u);
  EXPECT_LT(on0, 100'000u);
}

TEST(Multipath, StalePathStatusIgnored) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  auto p1 = open_and_wait(h, kLocal1);
  ASSERT_TRUE(p1.has_value());
  // Two updates; the first (backup, seq 1) arrives after the second (available, seq 2).
  bool held = false;
  std::vector<uint8_t> delayed;
  h.client_to_server_filter = [&](std::vector<uint8_t>& d) {
    if (!held) {
      held = true;
      delayed = d;
      return false;
    }
    return true;
  };
  ASSERT_TRUE(h.client().set_path_status(h.now(), *p1, true).has_value());
  h.flush();
  h.client_to_server_filter = nullptr;
  ASSERT_TRUE(h.client().set_path_status(h.now(), *p1, false).has_value());
  h.run_for(std::chrono::milliseconds(200));
  // Replay the held (older) status packet: it must not flip the path back to standby.
  PathTuple t{kServer, kLocal0};
  h.endpoint().handle_datagram(h.now(), t, delayed, 0);
  h.run_for(std::chrono::milliseconds(100));
  EXPECT_EQ(path_stats(*h.server_conn(), *p1)->state, PathState::kActive);
}

TEST(Multipath, ValidationFailureConsumesThePathId) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  h.blackholed.insert(kLocal1);
  h.run_for(std::chrono::milliseconds(50));
  auto p1 = h.client().open_path(h.now(), kLocal1, kServer);
  ASSERT_TRUE(p1.has_value());
  std::vector<std::string> states;
  ASSERT_TRUE(h.run_until([&] {
    while (auto e = h.client().poll_event()) {
      if (e->type == ConnectionEventType::kPathEvent && e->path_id == *p1) states.push_back(e->detail);
    }
    return !states.empty() && states.back() == "failed";
  }, std::chrono::seconds(10)));
  EXPECT_FALSE(h.client().is_draining());
  auto r = run_transfer(h, false, {pattern_bytes(200'000, 9)});
  EXPECT_TRUE(r.ok) << r.failure;
  h.blackholed.clear();
  auto p2 = open_and_wait(h, kLocal2);
  ASSERT_TRUE(p2.has_value());
  EXPECT_GT(*p2, *p1);
}

TEST(Multipath, BlackholeMidTransferCompletesOnSurvivingPath) {
  PairHarness h(PairHarness::default_options());
  StreamId sid = 0;
  ASSERT_NO_FATAL_FAILURE(two_paths_and_a_stream(h, sid));
  auto data = pattern_bytes(4 << 20, 10);
  std::vector<uint8_t> got;
  TimePoint start = h.now();
  ASSERT_TRUE(test::send_on_stream(h, *h.server_conn(), h.client(), sid, data, got, [&] {
    if (h.now() > start + std::chrono::milliseconds(400)) h.blackholed.insert(kLocal0);
  }));
  EXPECT_EQ(got, data);
  EXPECT_FALSE(h.client().is_draining());
}

TEST(Multipath, AggregatesTwoUnequalPaths) {
  PairHarness h(PairHarness::default_options());
  h.set_path_link(kLocal0, LinkParams{std::chrono::milliseconds(10), 0, 0, {}, 20'000'000, false, 0, 100});
  h.set_path_link(kLocal1, LinkParams{std::chrono::milliseconds(30), 0, 0, {}, 10'000'000, false, 0, 100});
  ASSERT_TRUE(h.handshake());
  auto p1 = open_and_wait(h, kLocal1);
  ASSERT_TRUE(p1.has_value());
  size_t bytes = 50u << 20;
  auto r = run_transfer(h, false, {pattern_bytes(bytes, 11)}, std::chrono::seconds(60));
  ASSERT_TRUE(r.ok) << r.failure;
  double mbps = static_cast<double>(bytes) * 8 / std::chrono::duration<double>(r.elapsed).count() / 1e6;
  RecordProperty("goodput_mbps", std::to_string(mbps));
  std::printf("aggregate goodput over 20+10 Mbit/s: %.2f Mbit/s\n", mbps);
  EXPECT_GT(mbps, 27.0);
}

}  // namespace
}  // namespace braid

namespace braid {
namespace {

TEST(Multipath, ServerPreferredAddressThenSecondPath) {
  auto o = PairHarness::default_options();
  auto preferred = *SocketAddress::parse("10.0.0.3:4443");
  o.server.preferred_address = preferred;
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  ASSERT_TRUE(h.run_until([&] {
    auto s = path_stats(*h.server_conn(), 0);
    auto c = path_stats(h.client(), 0);
    return s && c && s->tuple.local == preferred && c->tuple.remote == preferred;
  }));
  auto r = run_transfer(h, false, {pattern_bytes(1 << 20, 12)});
  ASSERT_TRUE(r.ok) << r.failure;
  // A second path to the preferred address works alongside.
  h.run_for(std::chrono::milliseconds(50));
  auto p1 = h.client().open_path(h.now(), kLocal1, preferred);
  ASSERT_TRUE(p1.has_value()) << p1.error().reason;
  ASSERT_TRUE(h.run_until([&] {
    auto s = path_stats(*h.server_conn(), *p1);
    return s && s->state == PathState::kActive;
  }));
  auto r2 = run_transfer(h, false, {pattern_bytes(4 << 20, 13)});
  ASSERT_TRUE(r2.ok) << r2.failure;
  EXPECT_GT(path_stats(*h.server_conn(), *p1)->stream_bytes_sent, 0u);
}

TEST(Multipath, PreferredAddressUnreachableFallsBack) {
  auto o = PairHarness::default_options();
  auto preferred = *SocketAddress::parse("10.0.0.3:4443");
  o.server.preferred_address = preferred;
  PairHarness h(o);
  h.client_to_server_filter = nullptr;
  ASSERT_TRUE(h.handshake());
  // Drop everything the client sends to the preferred address.
  h.drop_to_server_address = preferred;
  h.run_for(std::chrono::seconds(5));
  auto c = path_stats(h.client(), 0);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->tuple.remote, kServer);
  auto r = run_transfer(h, false, {pattern_bytes(300'000, 14)});
  EXPECT_TRUE(r.ok) << r.failure;
}

}  // namespace
}  // namespace braid

namespace braid {
namespace {

TEST(Multipath, BackupStatusArrivingBeforeThePathIsHonoured) {
  PairHarness h(PairHarness::default_options());
  // Path 1 is much slower, so PATH_STATUS_BACKUP sent on path 0 arrives before path 1's
  // first packet reaches the server.
  h.set_path_link(kLocal1, LinkParams{std::chrono::milliseconds(80), 0, 0, {}, 0, false, 0, 0});
  ASSERT_TRUE(h.handshake());
  h.run_for(std::chrono::milliseconds(50));
  auto p1 = h.client().open_path(h.now(), kLocal1, kServer);
  ASSERT_TRUE(p1.has_value());
  ASSERT_TRUE(h.client().set_path_status(h.now(), *p1, true).has_value());
  ASSERT_TRUE(h.run_until([&] {
    auto s = path_stats(*h.server_conn(), *p1);
    return s && s->state == PathState::kStandby;
  }));
  auto r = run_transfer(h, false, {pattern_bytes(1 << 20, 15)});
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(path_stats(*h.server_conn(), *p1)->stream_bytes_sent, 0u);
}

}  // namespace
}  // namespace braid

namespace braid {
namespace {

TEST(Multipath, RestoredPathCarriesDataAgainWithinASecond) {
  PairHarness h(PairHarness::default_options());
  StreamId sid = 0;
  ASSERT_NO_FATAL_FAILURE(two_paths_and_a_stream(h, sid));
  auto data = pattern_bytes(20 << 20, 16);
  std::vector<uint8_t> got;
  TimePoint start = h.now();
  TimePoint restore = start + std::chrono::milliseconds(2500);
  uint64_t at_restore = 0;
  std::optional<Duration> back_after;
  ASSERT_TRUE(test::send_on_stream(h, *h.server_conn(), h.client(), sid, data, got, [&] {
    bool cut = h.now() > start + std::chrono::milliseconds(500) && h.now() < restore;
    if (cut) h.blackholed.insert(kLocal0); else h.blackholed.erase(kLocal0);
    if (h.now() >= restore) {
      uint64_t b = path_stats(*h.server_conn(), 0)->stream_bytes_sent;
      if (at_restore == 0) at_restore = b;
      if (!back_after && b > at_restore + 200'000) back_after = h.now() - restore;
    }
  }, std::chrono::seconds(60)));
  EXPECT_EQ(got, data);
  ASSERT_TRUE(back_after.has_value());
  EXPECT_LT(*back_after, std::chrono::milliseconds(1500));
}

}  // namespace
}  // namespace braid

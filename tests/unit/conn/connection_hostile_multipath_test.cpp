// Hostile multipath peers (draft-ietf-quic-multipath-21 §7, Security Considerations): a
// client that abuses path IDs, path status, path CIDs, PATH_ACK and path validation. Each
// case ends in the draft's error, or is ignored safely, never a crash, and with the server's
// state bounded.
#include <gtest/gtest.h>

#include "core/conn/connection_impl.h"
#include "tests/support/transfer.h"

namespace braid {
namespace {

using test::LinkParams;
using test::PairHarness;
using test::pattern_bytes;
using test::run_transfer;
using namespace std::chrono_literals;
using E = TransportErrorCode;

const SocketAddress kServer = *SocketAddress::parse("10.0.0.2:443");
const SocketAddress kLocal1 = *SocketAddress::parse("10.0.1.1:5001");

conn::ConnectionImpl* as_impl(Connection& c) { return static_cast<conn::ConnectionImpl*>(&c); }

std::vector<uint8_t> encode(const wire::Frame& f) {
  std::vector<uint8_t> out(2048);
  wire::Writer w(out);
  EXPECT_TRUE(wire::encode_frame(w, f));
  out.resize(w.size());
  return out;
}

void inject(PairHarness& h, const wire::Frame& f) {
  as_impl(h.client())->inject_raw_frame_for_testing(EncryptionLevel::kApplication, encode(f));
}

std::optional<PathStats> path_stats(Connection& c, PathId id) {
  for (auto& p : c.stats().paths)
    if (p.path_id == id) return p;
  return std::nullopt;
}

struct Fixture {
  PairHarness h{PairHarness::default_options()};
  Fixture() {
    EXPECT_TRUE(h.handshake());
    h.run_for(100ms);
  }
  Connection& server() { return *h.server_conn(); }
  // Opens path 1 and waits until both sides call it active.
  void open_path1() {
    auto id = h.client().open_path(h.now(), kLocal1, kServer);
    ASSERT_TRUE(id.has_value());
    ASSERT_TRUE(h.run_until([&] {
      auto s = path_stats(server(), 1);
      return s && s->state == PathState::kActive;
    }, 5s));
  }
  void expect_closed_with(E code) {
    ASSERT_TRUE(h.run_until([&] { return server().is_draining(); }, 5s)) << "the server did not close";
    ASSERT_TRUE(server().close_reason().has_value());
    EXPECT_EQ(server().close_reason()->code, static_cast<uint64_t>(code)) << server().close_reason()->reason;
  }
  void expect_alive_and_serving() {
    EXPECT_FALSE(server().is_draining()) << (server().close_reason() ? server().close_reason()->reason : "");
    auto r = run_transfer(h, false, {pattern_bytes(256 << 10, 71)});
    EXPECT_TRUE(r.ok) << r.failure;
  }
};

// Replayed and reordered PATH_STATUS frames: only a higher sequence number changes the
// status, including the largest sequence number there is.
TEST(HostileMultipath, PathStatusReplaysAndHugeSequenceNumbers) {
  Fixture f;
  f.open_path1();
  inject(f.h, wire::PathStatusFrame{1, 5, false});   // backup, seq 5
  f.h.run_for(50ms);
  EXPECT_TRUE(path_stats(f.server(), 1)->backup);
  for (int i = 0; i < 50; ++i) inject(f.h, wire::PathStatusFrame{1, 4, true});   // stale replays
  f.h.run_for(50ms);
  EXPECT_TRUE(path_stats(f.server(), 1)->backup) << "a stale PATH_STATUS changed the status";
  inject(f.h, wire::PathStatusFrame{1, (uint64_t{1} << 62) - 1, true});   // the largest varint
  f.h.run_for(50ms);
  EXPECT_FALSE(path_stats(f.server(), 1)->backup);
  inject(f.h, wire::PathStatusFrame{1, 0, false});   // no wrap-around: 0 is older
  f.h.run_for(50ms);
  EXPECT_FALSE(path_stats(f.server(), 1)->backup);
  f.expect_alive_and_serving();
}

// PATH_ABANDON for a path ID never opened (allowed: consumed and echoed), for one already
// abandoned (ignored), and repeated many times: no state per frame.
TEST(HostileMultipath, PathAbandonForUnknownAndAbandonedPaths) {
  Fixture f;
  for (int i = 0; i < 100; ++i) inject(f.h, wire::PathAbandonFrame{2, 0});
  f.h.run_for(50ms);
  f.open_path1();
  ASSERT_TRUE(f.h.client().close_path(f.h.now(), 1, 0).has_value());
  f.h.run_for(100ms);
  for (int i = 0; i < 100; ++i) inject(f.h, wire::PathAbandonFrame{1, 0});
  f.h.run_for(50ms);
  f.expect_alive_and_serving();
  EXPECT_LE(f.server().stats().paths.size(), 2u);
}

TEST(HostileMultipath, PathAbandonBeyondMaxPathIdIsAProtocolViolation) {
  Fixture f;
  inject(f.h, wire::PathAbandonFrame{1000, 0});
  f.expect_closed_with(E::kProtocolViolation);
}

// Opening and abandoning paths over and over: each abandon lets the peer open one more path
// ID, up to the lifetime cap, after which MAX_PATH_ID stops growing; the server's
// per-path state stays at the paths alive now.
TEST(HostileMultipath, PathChurnIsBoundedByTheLifetimePathIdCap) {
  auto o = PairHarness::default_options();
  o.server.max_path_ids_per_connection = 12;
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  h.run_for(100ms);
  int opened = 0;
  for (int round = 0; round < 40; ++round) {
    auto local = SocketAddress::v4(10, 0, 3, static_cast<uint8_t>(round + 1), 6000);
    // open_path queues the request until the server's MAX_PATH_ID allows it: beyond the
    // cap it never starts.
    auto id = h.client().open_path(h.now(), local, kServer);
    ASSERT_TRUE(id.has_value()) << id.error().reason;
    bool active = h.run_until([&] {
      auto s = path_stats(*h.server_conn(), *id);
      return s && s->state == PathState::kActive;
    }, 2s);
    (void)h.client().close_path(h.now(), *id, 0);
    if (!active) break;
    opened++;
    h.run_for(300ms);
    ASSERT_FALSE(h.server_conn()->is_draining());
    EXPECT_LE(h.server_conn()->stats().paths.size(), 3u);
  }
  EXPECT_LE(opened, 12) << "path IDs beyond the lifetime cap were granted";
  EXPECT_GE(opened, 8);
  auto r = run_transfer(h, false, {pattern_bytes(256 << 10, 72)});
  EXPECT_TRUE(r.ok) << r.failure;
}

// PATH_NEW_CONNECTION_ID beyond active_connection_id_limit on one path ID.
TEST(HostileMultipath, PathConnectionIdsBeyondTheLimit) {
  Fixture f;
  for (uint64_t seq = 10; seq < 22; ++seq) {   // the client itself issued 0 and 1
    ConnectionId cid(std::vector<uint8_t>{0xaa, 2, 0, 0, 0, 0, 0, static_cast<uint8_t>(seq)});
    inject(f.h, wire::NewConnectionIdFrame{PathId{2}, seq, 0, cid, StatelessResetToken{}});
  }
  f.expect_closed_with(E::kConnectionIdLimitError);
}

// retire_prior_to raised by one on every frame: the server retires what it must and never
// holds more of the client's CIDs for that path than its limit. (The genuine client then
// closes: it is told to retire CIDs it never issued, which is the client's own check.)
TEST(HostileMultipath, RetirePriorToAbuseStaysBounded) {
  Fixture f;
  size_t most = 0;
  for (uint64_t seq = 10; seq < 400 && !f.server().is_draining(); ++seq) {
    ConnectionId cid(std::vector<uint8_t>{0xbb, 3, static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq), 0, 0, 0, 1});
    inject(f.h, wire::NewConnectionIdFrame{PathId{3}, seq, seq - 1, cid, StatelessResetToken{}});
    f.h.run_for(2ms);
    most = std::max(most, as_impl(f.server())->peer_cids_for_testing(3).size());
  }
  EXPECT_LE(most, PairHarness::default_options().server.active_connection_id_limit);
  if (f.server().is_draining()) {
    EXPECT_EQ(f.server().close_reason()->code, static_cast<uint64_t>(E::kProtocolViolation));
  }
}

TEST(HostileMultipath, PathAckForPacketsNeverSentIsAProtocolViolation) {
  Fixture f;
  f.open_path1();
  wire::AckFrame ack;
  ack.path_id = 1;
  ack.ranges = {{1'000'000, 1'000'010}};
  inject(f.h, ack);
  f.expect_closed_with(E::kProtocolViolation);
}

// PATH_ACK for a path ID that does not exist (within the limit) is ignored; one with a
// huge ACK delay does not wreck RTT estimates.
TEST(HostileMultipath, PathAckForUnknownPathsAndHugeDelays) {
  Fixture f;
  wire::AckFrame unknown;
  unknown.path_id = 2;
  unknown.ranges = {{0, 3}};
  for (int i = 0; i < 20; ++i) inject(f.h, unknown);
  f.h.run_for(50ms);
  EXPECT_FALSE(f.server().is_draining());
  auto r = run_transfer(f.h, false, {pattern_bytes(64 << 10, 73)});
  ASSERT_TRUE(r.ok);
  wire::AckFrame slow;
  slow.path_id = 0;
  slow.ack_delay = (uint64_t{1} << 40);
  slow.ranges = {{0, 0}};   // the server's first 1-RTT packet, acknowledged absurdly late
  inject(f.h, slow);
  f.h.run_for(50ms);
  auto p0 = path_stats(f.server(), 0);
  ASSERT_TRUE(p0.has_value());
  EXPECT_LT(p0->smoothed_rtt, 1s) << "an absurd ACK delay moved the RTT estimate";
  f.expect_alive_and_serving();
}

// A path-validation storm: thousands of PATH_CHALLENGE frames get at most a few answers
// queued per path, and unsolicited PATH_RESPONSEs are ignored.
TEST(HostileMultipath, PathValidationStorm) {
  Fixture f;
  f.open_path1();
  for (int batch = 0; batch < 20; ++batch) {
    for (int i = 0; i < 50; ++i) {
      std::array<uint8_t, 8> d{};
      d[0] = static_cast<uint8_t>(i);
      inject(f.h, wire::PathChallengeFrame{d});
      inject(f.h, wire::PathResponseFrame{d});
    }
    f.h.run_for(5ms);
  }
  f.expect_alive_and_serving();
}

// A client that sends from an address it does not own (it never hears the answers) on a
// new path: before the path validates the server sends at most 3x what it received there.
TEST(HostileMultipath, SpoofedNewPathIsAmplificationLimited) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  h.run_for(100ms);
  uint64_t to_victim = 0, from_victim = 0;
  h.tap = [&](bool from_client, const PathTuple& t, std::span<const uint8_t> b) {
    if (from_client && t.local == kLocal1) from_victim += b.size();
    if (!from_client && t.remote == kLocal1) {
      to_victim += b.size();
      return false;   // the victim never answers
    }
    return true;
  };
  auto id = h.client().open_path(h.now(), kLocal1, kServer);
  ASSERT_TRUE(id.has_value());
  // Make the server want to send: data owed on a stream the client reads on path 0.
  auto r = run_transfer(h, false, {pattern_bytes(2 << 20, 74)});
  ASSERT_TRUE(r.ok) << r.failure;
  h.run_for(5s);
  ASSERT_GT(from_victim, 0u);
  EXPECT_LE(to_victim, 3 * from_victim) << "amplification beyond 3x towards an unvalidated address";
}

// A client that never acknowledges anything on path 1 while it opened it: what the server
// holds for that path is bounded by its congestion window and the send pool.
TEST(HostileMultipath, PeerThatNeverAcknowledgesOnePath) {
  PairHarness h(PairHarness::default_options());
  h.set_path_link(kLocal1, LinkParams{10ms, 0, 0, {}, 50'000'000, false, 0, 0});
  ASSERT_TRUE(h.handshake());
  h.run_for(100ms);
  auto id = h.client().open_path(h.now(), kLocal1, kServer);
  ASSERT_TRUE(id.has_value());
  ASSERT_TRUE(h.run_until([&] {
    auto s = path_stats(*h.server_conn(), *id);
    return s && s->state == PathState::kActive;
  }, 5s));
  // From now on, everything the client sends on path 1 is dropped: no PATH_ACK for it.
  h.client_to_server_filter = nullptr;
  h.tap = [&](bool from_client, const PathTuple& t, std::span<const uint8_t>) {
    return !(from_client && t.local == kLocal1);
  };
  auto r = run_transfer(h, false, {pattern_bytes(8 << 20, 75)}, 60s);
  EXPECT_TRUE(r.ok) << r.failure;
  auto st = h.server_conn()->stats();
  EXPECT_LE(st.send_buffered_bytes, PairHarness::default_options().server.max_send_buffer_per_connection);
  for (auto& p : st.paths) EXPECT_LE(p.bytes_in_flight, 16u << 20);
}

// Stream data beyond the receive window, sent on two paths at once.
TEST(HostileMultipath, StreamDataBeyondTheWindowOnSeveralPaths) {
  Fixture f;
  f.open_path1();
  auto sid = f.h.client().open_stream(false);
  ASSERT_TRUE(sid.has_value());
  static const uint8_t byte = 'x';
  for (int i = 0; i < 4; ++i) {
    inject(f.h, wire::StreamFrame{*sid, (uint64_t{64} << 20) + static_cast<uint64_t>(i) * (1 << 20),
                                  std::span<const uint8_t>(&byte, 1), false});
  }
  f.expect_closed_with(E::kFlowControlError);
}

// Key updates while packets of the old phase are still in flight on a slower path, with
// packet numbers on that path far above the fast path's: packet numbers are per path, so
// the receiver decides by the phase bit and the keys it holds, and drops nothing
// (draft-21 §4.7). The sender updates every 300 packets, as fast as the draft allows.
TEST(HostileMultipath, KeyUpdatesWithTheOldPhaseLateOnAnotherPath) {
  auto o = PairHarness::default_options();
  o.server.key_update_interval_packets = 300;
  PairHarness h(o);
  const SocketAddress local0 = h.client_tuple().local;
  h.set_path_link(local0, LinkParams{40ms, 0, 0, {}, 40'000'000, false, 0, 0});
  h.set_path_link(kLocal1, LinkParams{3ms, 0, 0, {}, 40'000'000, false, 0, 0});
  ASSERT_TRUE(h.handshake());
  // Path 0 alone first: its packet numbers run ahead of the new path's.
  auto warm = run_transfer(h, false, {pattern_bytes(2 << 20, 81)});
  ASSERT_TRUE(warm.ok) << warm.failure;
  auto id = h.client().open_path(h.now(), kLocal1, kServer);
  ASSERT_TRUE(id.has_value());
  ASSERT_TRUE(h.run_until([&] {
    auto s = path_stats(*h.server_conn(), *id);
    return s && s->state == PathState::kActive;
  }, 5s));
  uint64_t dropped_before = h.client().stats().packets_dropped;
  uint64_t updates_before = h.client().stats().key_updates;
  auto r = run_transfer(h, false, {pattern_bytes(16 << 20, 82)});  // long enough for several updates 3 PTOs apart
  ASSERT_TRUE(r.ok) << r.failure;
  auto s0 = path_stats(*h.server_conn(), 0);
  auto s1 = path_stats(*h.server_conn(), *id);
  ASSERT_TRUE(s0 && s1);
  EXPECT_GT(s0->stream_bytes_sent, 1u << 20);
  EXPECT_GT(s1->stream_bytes_sent, 1u << 20);
  EXPECT_GE(h.client().stats().key_updates - updates_before, 2u);
  EXPECT_EQ(h.client().stats().packets_dropped - dropped_before, 0u) << "old-phase packets dropped";
  EXPECT_EQ(s0->packets_lost, 0u);
  EXPECT_FALSE(h.client().is_draining());
}

}  // namespace
}  // namespace braid

// Rules a peer relies on, checked on the wire with a decrypting observer. Each case is a
// bug picoquic exposed: probing a new path before the peer holds our CIDs for it, Initial
// datagrams under 1200 bytes and anti-amplification counted per packet, and switching a
// path to the server's preferred address (or a new local address) before it is validated.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/conn/connection_impl.h"
#include "tests/support/packet_observer.h"
#include "tests/support/transfer.h"

namespace braid {
namespace {

using test::ObservedDatagram;
using test::PacketObserver;
using test::PairHarness;
using test::pattern_bytes;
using test::run_transfer;
using namespace std::chrono_literals;

const SocketAddress kServer = *SocketAddress::parse("10.0.0.2:443");
const SocketAddress kClient = *SocketAddress::parse("10.0.0.1:5000");
const SocketAddress kLocal1 = *SocketAddress::parse("10.0.1.1:5001");
const SocketAddress kPreferred = *SocketAddress::parse("10.0.0.3:4443");

conn::ConnectionImpl* as_impl(Connection& c) { return static_cast<conn::ConnectionImpl*>(&c); }

std::optional<PathStats> path_stats(Connection& c, PathId id) {
  for (auto& p : c.stats().paths)
    if (p.path_id == id) return p;
  return std::nullopt;
}

const ObservedDatagram* first_where(const PacketObserver& obs, const std::function<bool(const ObservedDatagram&)>& f) {
  for (auto& d : obs.seen)
    if (f(d)) return &d;
  return nullptr;
}

// ---------------------------------------------------------------- new paths and our CIDs

// The client opens path 1 as early as the core lets it. Its first packet on the path must
// wait until the server acknowledged the PATH_NEW_CONNECTION_ID frames for path 1, so the
// server can answer at once; picoquic's server crashed on a challenge it could not answer.
TEST(PeerRules, NewPathIsNotProbedBeforeThePeerAcknowledgedItsCids) {
  auto o = PairHarness::default_options();
  PacketObserver obs;
  obs.attach_keylog(o);
  PairHarness h(o);
  obs.attach(h);
  ASSERT_TRUE(h.handshake());
  std::optional<PathId> id;
  ASSERT_TRUE(h.run_until([&] {
    if (!id) {
      if (auto r = h.client().open_path(h.now(), kLocal1, kServer)) id = *r;
    }
    return id.has_value();
  }, 2s));
  ASSERT_TRUE(h.run_until([&] {
    auto c = path_stats(h.client(), *id);
    auto s = h.server_conn() ? path_stats(*h.server_conn(), *id) : std::nullopt;
    return c && s && c->state == PathState::kActive && s->state == PathState::kActive;
  }, 5s));

  auto* cids = first_where(obs, [&](const ObservedDatagram& d) {
    if (!d.from_client) return false;
    for (auto& p : d.packets)
      for (auto& f : p.frames)
        if (auto* n = std::get_if<wire::NewConnectionIdFrame>(&f); n && n->path_id == *id) return true;
    return false;
  });
  auto* first_on_path = first_where(obs, [&](const ObservedDatagram& d) { return d.from_client && d.sender.local == kLocal1; });
  ASSERT_NE(cids, nullptr) << "the client never sent PATH_NEW_CONNECTION_ID for path " << *id;
  ASSERT_NE(first_on_path, nullptr);
  // One round trip (2 x 10 ms) at least: sent, then acknowledged.
  EXPECT_GE(first_on_path->at - cids->at, 20ms) << "path " << *id << " was probed before its CIDs reached the server";
  EXPECT_TRUE(first_on_path->has<wire::PathChallengeFrame>());
  auto* answer = first_where(obs, [&](const ObservedDatagram& d) { return !d.from_client && d.sender.remote == kLocal1; });
  ASSERT_NE(answer, nullptr);
  EXPECT_TRUE(answer->has<wire::PathResponseFrame>()) << "the server's first packet on the path is its answer";
}

// ---------------------------------------------------------------- Initial datagrams

struct InitialCase {
  const char* name;
  bool client_pads_outside;   // picoquic style: a short Initial followed by zeros
  double loss;
  uint64_t seed;
};

class InitialDatagrams : public ::testing::TestWithParam<InitialCase> {};

// RFC 9000 §14.1: every datagram carrying an ack-eliciting Initial packet is at least 1200
// bytes, from either side, PTO probes and retransmissions included.
TEST_P(InitialDatagrams, AckElicitingInitialsAreFullSizeInBothRoles) {
  const auto& c = GetParam();
  auto o = PairHarness::default_options();
  o.link.loss = c.loss;
  o.seed = c.seed;
  PacketObserver obs;
  obs.attach_keylog(o);
  PairHarness h(o);
  obs.attach(h);
  if (c.client_pads_outside) as_impl(h.client())->pad_initial_outside_packets_for_testing();
  ASSERT_TRUE(h.handshake());
  size_t server_initials = 0;
  for (auto& d : obs.seen) {
    if (!d.has_ack_eliciting_initial()) continue;
    if (!d.from_client) server_initials++;
    EXPECT_GE(d.size, 1200u) << (d.from_client ? "client" : "server") << " sent an ack-eliciting Initial in "
                             << d.size << " bytes at " << to_us(d.at - time_from_us(1'000'000)) << " us";
  }
  EXPECT_GT(server_initials, 0u);
}

INSTANTIATE_TEST_SUITE_P(Cases, InitialDatagrams,
                         ::testing::Values(InitialCase{"padded_inside", false, 0, 1},
                                           InitialCase{"padded_outside", true, 0, 1},
                                           InitialCase{"padded_outside_lossy_a", true, 0.3, 3},
                                           InitialCase{"padded_outside_lossy_b", true, 0.3, 4},
                                           InitialCase{"padded_inside_lossy", false, 0.3, 5}),
                         [](const auto& i) { return std::string(i.param.name); });

// A client Initial of ~300 bytes padded with zeros to 1252 earns the server 3 x 1252 bytes
// (RFC 9000 §8.1 counts datagrams): the server's whole first flight goes out at once and
// the handshake takes one round trip, not a PTO.
TEST(PeerRules, AmplificationLimitCountsWholeDatagrams) {
  auto o = PairHarness::default_options();
  o.client.initial_mtu = 1252;   // picoquic's client datagram size
  // A certificate with many names makes the server's first flight ~3 KB: more than three
  // times the Initial packet, less than three times the datagram.
  std::vector<std::string> names{"localhost"};
  for (int i = 0; i < 40; ++i) names.push_back(fmt::format("host-{:02}.a-rather-long-name.braid.example", i));
  auto cert = crypto::generate_self_signed(names, 7, 1700000000, 365);
  ASSERT_TRUE(cert.has_value());
  o.server.tls.cert_pem = cert->cert_pem;
  o.server.tls.key_pem = cert->key_pem;
  PacketObserver obs;
  obs.attach_keylog(o);
  PairHarness h(o);
  obs.attach(h);
  as_impl(h.client())->pad_initial_outside_packets_for_testing();
  TimePoint start = h.now();
  ASSERT_TRUE(h.run_until([&] { return h.client().is_handshake_complete(); }, 5s));
  EXPECT_LE(h.now() - start, 25ms) << "client handshake took more than one round trip (20 ms)";
  ASSERT_FALSE(obs.seen.empty());
  const auto& first = obs.seen.front();
  ASSERT_TRUE(first.from_client);
  EXPECT_EQ(first.size, 1252u);
  ASSERT_FALSE(first.packets.empty());
  EXPECT_LT(first.packets.front().size, 700u) << "the hook should leave the Initial packet itself short";
  EXPECT_EQ(h.server_conn()->stats().packets_dropped, 0u) << "trailing padding is not a dropped packet";
}

// ---------------------------------------------------------------- preferred address

// While the client validates the preferred address, path 0 keeps its original tuple: data
// the server still sends from the handshake address is accepted (picoquic saw 23 packets
// dropped as unknown_address and a one-second stall). Here the first two probes are lost.
TEST(PeerRules, OriginalAddressAcceptedWhilePreferredAddressValidates) {
  auto o = PairHarness::default_options();
  o.server.preferred_address = kPreferred;
  PacketObserver obs;
  obs.attach_keylog(o);
  PairHarness h(o);
  int dropped_probes = 0;
  obs.attach(h, [&](const ObservedDatagram& d) {
    return d.from_client && d.sender.remote == kPreferred && d.has<wire::PathChallengeFrame>() && dropped_probes++ < 2;
  });
  ASSERT_TRUE(h.handshake());
  auto r = run_transfer(h, false, {pattern_bytes(3 << 20, 21)});
  ASSERT_TRUE(r.ok) << r.failure;
  ASSERT_TRUE(h.run_until([&] { return path_stats(h.client(), 0)->tuple.remote == kPreferred; }, 5s));
  EXPECT_EQ(dropped_probes, 3) << "two probes dropped, the third let through";
  EXPECT_EQ(h.client().stats().packets_dropped, 0u) << "packets from the original address were dropped";

  auto* probe = first_where(obs, [&](const ObservedDatagram& d) { return d.from_client && d.sender.remote == kPreferred; });
  ASSERT_NE(probe, nullptr);
  EXPECT_TRUE(probe->has<wire::PathChallengeFrame>());
  EXPECT_FALSE(probe->has<wire::StreamFrame>()) << "data went to the preferred address before it was validated";
  size_t from_original_during_probe = 0;
  for (auto& d : obs.seen) {
    if (!d.from_client && d.sender.local == kServer && d.at > probe->at && d.has<wire::StreamFrame>()) {
      from_original_during_probe++;
    }
  }
  EXPECT_GT(from_original_during_probe, 0u) << "the test should have the server send from the original address meanwhile";
}

// The client's NEW_CONNECTION_ID frames must reach the server before the preferred address
// is probed: the server answers from a new local address and needs a fresh client CID.
TEST(PeerRules, PreferredAddressProbedOnlyAfterTheServerHoldsASpareCid) {
  auto o = PairHarness::default_options();
  o.server.preferred_address = kPreferred;
  PacketObserver obs;
  obs.attach_keylog(o);
  PairHarness h(o);
  obs.attach(h);
  ASSERT_TRUE(h.handshake());
  ASSERT_TRUE(h.run_until([&] { return path_stats(h.client(), 0)->tuple.remote == kPreferred; }, 5s));
  auto* cids = first_where(obs, [](const ObservedDatagram& d) { return d.from_client && d.has<wire::NewConnectionIdFrame>(); });
  auto* probe = first_where(obs, [&](const ObservedDatagram& d) { return d.from_client && d.sender.remote == kPreferred; });
  ASSERT_NE(cids, nullptr);
  ASSERT_NE(probe, nullptr);
  EXPECT_GE(probe->at - cids->at, 20ms);
  // The server answers from the preferred address with a CID it never used towards the
  // handshake address (RFC 9000 §9.5).
  auto* answer = first_where(obs, [&](const ObservedDatagram& d) { return !d.from_client && d.sender.local == kPreferred; });
  ASSERT_NE(answer, nullptr);
  ASSERT_FALSE(answer->packets.empty());
  for (auto& d : obs.seen) {
    if (d.from_client || !(d.sender.local == kServer)) continue;
    for (auto& p : d.packets) {
      if (p.type == wire::PacketType::kOneRtt) {
        EXPECT_FALSE(p.dcid == answer->packets.front().dcid);
      }
    }
  }
}

// ---------------------------------------------------------------- client migration

// migrate() probes the new local address first; if it never answers, the path stays where
// it is and the transfer goes on.
TEST(PeerRules, MigrationToAnAddressThatNeverAnswersKeepsThePath) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  h.run_for(100ms);
  auto dead = *SocketAddress::parse("10.0.0.9:6000");
  h.blackholed.insert(dead);
  ASSERT_TRUE(h.client().migrate(h.now(), dead).has_value());
  auto r = run_transfer(h, false, {pattern_bytes(2 << 20, 31)});
  ASSERT_TRUE(r.ok) << r.failure;
  h.run_for(3s);   // the probe's validation deadline passes
  bool server_moved = h.server_conn()->stats().paths.front().tuple.remote == dead;
  EXPECT_FALSE(server_moved);
  EXPECT_EQ(h.client().stats().paths.front().tuple.local, kClient);
  bool failed = false;
  while (auto ev = h.client().poll_event()) {
    if (ev->type == ConnectionEventType::kPathEvent && ev->detail == "probe_failed") failed = true;
  }
  EXPECT_TRUE(failed);
  auto r2 = run_transfer(h, false, {pattern_bytes(1 << 20, 32)});
  EXPECT_TRUE(r2.ok) << r2.failure;
}

// A probing-only packet from a new address is answered there, with a fresh CID, without
// moving the server's path (RFC 9000 §9.3); the client's first non-probing packet from the
// new address then moves it.
TEST(PeerRules, ServerAnswersAProbeWithoutMovingThePath) {
  auto o = PairHarness::default_options();
  PacketObserver obs;
  obs.attach_keylog(o);
  PairHarness h(o);
  obs.attach(h);
  ASSERT_TRUE(h.handshake());
  h.run_for(100ms);
  auto new_local = *SocketAddress::parse("10.0.0.9:6000");
  ASSERT_TRUE(h.client().migrate(h.now(), new_local).has_value());
  auto r = run_transfer(h, false, {pattern_bytes(1 << 20, 33)});
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(h.server_conn()->stats().paths.front().tuple.remote, new_local);
  auto* answer = first_where(obs, [&](const ObservedDatagram& d) { return !d.from_client && d.sender.remote == new_local; });
  ASSERT_NE(answer, nullptr);
  EXPECT_TRUE(answer->has<wire::PathResponseFrame>());
  EXPECT_FALSE(answer->has<wire::StreamFrame>()) << "the server moved its data on a probing-only packet";
  EXPECT_GE(answer->size, 1200u);
  auto* before = first_where(obs, [&](const ObservedDatagram& d) { return !d.from_client && d.sender.remote == kClient && d.has<wire::StreamFrame>(); });
  ASSERT_NE(before, nullptr);
  EXPECT_FALSE(before->packets.front().dcid == answer->packets.front().dcid) << "one CID used towards two addresses";
}

// The answer to a probe travels another network path than the data: the peer may read
// hundreds of the data path's later packets before it. Its packet number must still decode
// (it used to be cut to one byte and fail to decrypt, so the migration never finished).
TEST(PeerRules, AnswerToAProbeDecodesBehindManyLaterPackets) {
  PairHarness h(PairHarness::default_options());
  auto new_local = *SocketAddress::parse("10.0.0.9:6000");
  // A short, fast old path (few packets in flight, so short packet numbers) and a new one
  // 20 ms away: ~400 data packets overtake the answer to the probe.
  h.set_path_link(kClient, test::LinkParams{100us, 0, 0, {}, 200'000'000, false, 0, 16});
  h.set_path_link(new_local, test::LinkParams{20ms, 0, 0, {}, 200'000'000, false, 0, 0});
  int to_new = 0, from_new = 0;
  h.tap = [&](bool from_client, const PathTuple& t, std::span<const uint8_t>) {
    if (from_client && t.local == new_local) from_new++;
    if (!from_client && t.remote == new_local) to_new++;
    return true;
  };
  ASSERT_TRUE(h.handshake());
  // Packets the client could not read: late ones for the address it left are fine (ACKs the
  // server delayed, as asked, until after the move); any other drop is a decoding failure.
  std::string drops, cdrops;
  h.client().set_qlog_sink([&](std::string_view r) {
    if (r.find("packet_dropped") != std::string_view::npos && r.find("unknown_address") == std::string_view::npos &&
        cdrops.size() < 2000) {
      cdrops += std::string(r);
    }
  }, h.now());
  h.server_conn()->set_qlog_sink([&](std::string_view r) {
    if (r.find("packet_dropped") != std::string_view::npos && drops.size() < 600) drops += std::string(r);
  }, h.now());
  h.run_for(100ms);
  auto sid = h.server_conn()->open_stream(false);
  ASSERT_TRUE(sid.has_value());
  auto data = pattern_bytes(30 << 20, 34);
  size_t written = 0, got = 0;
  bool fin = false, migrate_called = false;
  std::vector<uint8_t> buf(1 << 16);
  ASSERT_TRUE(h.run_until([&] {
    if (written < data.size()) {
      auto w = h.server_conn()->stream_write(*sid, std::span(data).subspan(written), true);
      if (w) written += *w;
    }
    while (!fin) {
      auto n = h.client().stream_read(*sid, buf, fin);
      if (!n || *n == 0) break;
      EXPECT_TRUE(std::equal(buf.begin(), buf.begin() + *n, data.begin() + got));
      got += *n;
    }
    if (!migrate_called && got > (2u << 20)) {
      migrate_called = true;
      EXPECT_TRUE(h.client().migrate(h.now(), new_local).has_value());
    }
    return fin && got == data.size();
  }, 30s)) << "received " << got << " of " << data.size() << ", written " << written;
  std::string events;
  while (auto ev = h.client().poll_event()) {
    if (ev->type == ConnectionEventType::kPathEvent) events += ev->detail + " ";
  }
  EXPECT_EQ(h.client().stats().paths.front().tuple.local, new_local) << "the migration never completed: " << events << " datagrams from the new address " << from_new << ", to it " << to_new << "; server dropped "
      << h.server_conn()->stats().packets_dropped << " " << drops;
  EXPECT_EQ(cdrops, "") << "a packet failed to decrypt";
}

}  // namespace
}  // namespace braid

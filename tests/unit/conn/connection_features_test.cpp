// Connection features end to end in virtual time: datagrams, key update, migration, Retry,
// version negotiation, stateless reset, idle timeout, application close.
#include <gtest/gtest.h>

#include "core/wire/packet_header.h"
#include "tests/support/transfer.h"

namespace braid {
namespace {

using test::PairHarness;
using test::pattern_bytes;
using test::run_transfer;

TEST(ConnectionFeatures, DatagramsBothWays) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  ASSERT_GT(h.client().max_datagram_payload(), 1000u);
  std::vector<uint8_t> d1 = pattern_bytes(1000, 1), d2 = pattern_bytes(10, 2);
  ASSERT_TRUE(h.client().send_datagram(d1).has_value());
  ASSERT_TRUE(h.server_conn()->send_datagram(d2).has_value());
  std::optional<std::vector<uint8_t>> at_server, at_client;
  ASSERT_TRUE(h.run_until([&] {
    if (!at_server) at_server = h.server_conn()->recv_datagram();
    if (!at_client) at_client = h.client().recv_datagram();
    return at_server && at_client;
  }));
  EXPECT_EQ(*at_server, d1);
  EXPECT_EQ(*at_client, d2);
  // Too big for a packet: refused locally with a clear error.
  std::vector<uint8_t> big(5000);
  EXPECT_FALSE(h.client().send_datagram(big).has_value());
}

TEST(ConnectionFeatures, DatagramsRefusedWhenPeerDidNotOffer) {
  auto o = PairHarness::default_options();
  o.server.max_datagram_frame_size = 0;
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  std::vector<uint8_t> d(10);
  EXPECT_FALSE(h.client().send_datagram(d).has_value());
}

TEST(ConnectionFeatures, KeyUpdateMidTransfer) {
  auto o = PairHarness::default_options();
  o.server.key_update_interval_packets = 300;  // server rotates keys every 300 packets
  o.link.rate_bps = 50'000'000;                 // long enough for several spaced updates
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  // The client also initiates one explicitly once the handshake is confirmed.
  ASSERT_TRUE(h.run_until([&] { return h.client().initiate_key_update(h.now()).has_value(); }));
  auto r = run_transfer(h, false, {pattern_bytes(8 << 20, 10)});
  EXPECT_TRUE(r.ok) << r.failure;
  // Updates are spaced by three of the largest PTO after the previous one was acknowledged.
  EXPECT_GE(h.server_conn()->stats().key_updates, 3u);
  EXPECT_GE(h.client().stats().key_updates, 3u);
}

TEST(ConnectionFeatures, KeyUpdateRefusedBeforeConfirmation) {
  PairHarness h(PairHarness::default_options());
  EXPECT_FALSE(h.client().initiate_key_update(h.now()).has_value());
}

TEST(ConnectionFeatures, ClientMigratesToNewAddress) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  h.run_for(std::chrono::milliseconds(100));  // NEW_CONNECTION_ID frames arrive
  auto new_local = *SocketAddress::parse("10.0.0.9:6000");
  ASSERT_TRUE(h.client().migrate(h.now(), new_local).has_value());
  auto r = run_transfer(h, false, {pattern_bytes(1 << 20, 11)});
  EXPECT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(h.server_conn()->stats().paths.front().tuple.remote, new_local);
  EXPECT_EQ(h.server_conn()->stats().paths.front().state, PathState::kActive);
}

TEST(ConnectionFeatures, NatRebindingFollowedByServer) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  auto rebound = *SocketAddress::parse("10.0.0.1:7777");
  // The NAT changes the client's port without the client knowing.
  h.client_to_server_filter = nullptr;
  auto r1 = run_transfer(h, false, {pattern_bytes(200'000, 12)});
  ASSERT_TRUE(r1.ok);
  h.rewrite_client_source = rebound;
  auto r2 = run_transfer(h, false, {pattern_bytes(500'000, 13)});
  EXPECT_TRUE(r2.ok) << r2.failure;
  EXPECT_EQ(h.server_conn()->stats().paths.front().tuple.remote, rebound);
}

TEST(ConnectionFeatures, RetryThenTransfer) {
  auto o = PairHarness::default_options();
  o.require_retry = true;
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  EXPECT_EQ(h.endpoint().retries_sent(), 1u);
  auto r = run_transfer(h, true, {pattern_bytes(100'000, 14)});
  EXPECT_TRUE(r.ok) << r.failure;
}

TEST(ConnectionFeatures, RetryWithForgedIntegrityTagIgnored) {
  auto o = PairHarness::default_options();
  o.require_retry = true;
  PairHarness h(o);
  int corrupted = 0;
  h.server_to_client_filter = [&](std::vector<uint8_t>& d) {
    if ((d[0] & 0xf0) == 0xf0 && corrupted == 0) {  // long header, type Retry
      d.back() ^= 0x01;
      corrupted++;
    }
    return true;
  };
  // The client ignores the bad Retry and keeps retransmitting its Initial; the next Retry
  // (answering a retransmission) is intact and the handshake completes.
  EXPECT_TRUE(h.handshake());
  EXPECT_EQ(corrupted, 1);
  EXPECT_GE(h.endpoint().retries_sent(), 2u);
}

TEST(ConnectionFeatures, ServerAnswersUnknownVersionWithVersionNegotiation) {
  SeededRandom rng(5);
  EndpointConfig ec;
  ec.connection.tls.cert_pem = test::test_certificate().cert_pem;
  ec.connection.tls.key_pem = test::test_certificate().key_pem;
  Endpoint ep(ec, rng);
  std::vector<uint8_t> pkt(1200, 0);
  wire::Writer w(pkt);
  ConnectionId dcid(std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8});
  ConnectionId scid(std::vector<uint8_t>{9, 9, 9, 9});
  w.write_u8(0xc0);
  w.write_u32(0x0a0a0a0a);
  w.write_u8(8);
  w.write_bytes(dcid.span());
  w.write_u8(4);
  w.write_bytes(scid.span());
  PathTuple t{*SocketAddress::parse("10.0.0.2:443"), *SocketAddress::parse("10.0.0.1:5000")};
  EXPECT_EQ(ep.handle_datagram(time_from_us(0), t, pkt, 0), nullptr);
  std::vector<uint8_t> out(2000);
  auto vn = ep.poll_stateless(out);
  ASSERT_TRUE(vn.has_value());
  auto hdr = wire::parse_header({out.data(), vn->length}, 8);
  ASSERT_TRUE(hdr.has_value());
  EXPECT_EQ(hdr->type, wire::PacketType::kVersionNegotiation);
  EXPECT_EQ(hdr->dcid, scid);
  EXPECT_EQ(hdr->scid, dcid);
  EXPECT_NE(std::find(hdr->supported_versions.begin(), hdr->supported_versions.end(), kQuicVersion1),
            hdr->supported_versions.end());
}

TEST(ConnectionFeatures, ClientAbandonsOnVersionNegotiationWithoutV1) {
  PairHarness h(PairHarness::default_options());
  // Replace the server's reply with a VN packet that lists only other versions.
  h.server_to_client_filter = [&](std::vector<uint8_t>& d) {
    auto hdr = wire::parse_header(d, 8);
    if (!hdr || hdr->type != wire::PacketType::kInitial) return true;
    const uint32_t versions[] = {0x6b3343cf};
    d = wire::build_version_negotiation(hdr->dcid, hdr->scid, versions, 0x11);
    return true;
  };
  ASSERT_TRUE(h.run_until([&] { return h.client().is_closed(); }, std::chrono::seconds(5)));
  ASSERT_TRUE(h.client().close_reason().has_value());
  EXPECT_EQ(h.client().close_reason()->code, static_cast<uint64_t>(TransportErrorCode::kConnectionRefused));
}

TEST(ConnectionFeatures, StatelessResetEndsClient) {
  auto o = PairHarness::default_options();
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  h.run_for(std::chrono::milliseconds(100));
  // The server loses all state (crash/restart); it answers with stateless resets.
  h.forget_server_connections();
  auto sid = h.client().open_stream(true);
  ASSERT_TRUE(sid.has_value());
  uint8_t b[100] = {};
  ASSERT_TRUE(h.client().stream_write(*sid, b, false).has_value());
  ASSERT_TRUE(h.run_until([&] { return h.client().is_draining(); }, std::chrono::seconds(5)));
  EXPECT_GE(h.endpoint().stateless_resets_sent(), 1u);
  ASSERT_TRUE(h.client().close_reason().has_value());
  EXPECT_EQ(h.client().close_reason()->reason, "stateless reset");
}

TEST(ConnectionFeatures, IdleTimeoutClosesBothSides) {
  auto o = PairHarness::default_options();
  o.client.idle_timeout = std::chrono::seconds(2);
  o.server.idle_timeout = std::chrono::seconds(5);
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  TimePoint start = h.now();
  ASSERT_TRUE(h.run_until([&] { return h.client().is_closed() && h.server_conn()->is_closed(); },
                          std::chrono::seconds(10)));
  auto elapsed = h.now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(1900));   // the smaller timeout wins
  EXPECT_LE(elapsed, std::chrono::milliseconds(3000));
  EXPECT_EQ(h.client().close_reason()->reason, "idle timeout");
}

TEST(ConnectionFeatures, ApplicationCloseReachesPeer) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  h.server_conn()->close(h.now(), 0x1234, "bye");
  ASSERT_TRUE(h.run_until([&] { return h.client().is_draining(); }, std::chrono::seconds(5)));
  auto reason = h.client().close_reason();
  ASSERT_TRUE(reason.has_value());
  EXPECT_TRUE(reason->application);
  EXPECT_EQ(reason->code, 0x1234u);
  EXPECT_EQ(reason->reason, "bye");
  ASSERT_TRUE(h.run_until([&] { return h.client().is_closed() && h.server_conn()->is_closed(); }));
}

TEST(ConnectionFeatures, StreamResetAndStopSending) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  auto sid = h.client().open_stream(true);
  ASSERT_TRUE(sid.has_value());
  auto data = pattern_bytes(50'000, 3);
  ASSERT_TRUE(h.client().stream_write(*sid, data, false).has_value());
  h.run_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(h.client().stream_reset(*sid, 77).has_value());
  std::optional<ConnectionEvent> reset_ev;
  ASSERT_TRUE(h.run_until([&] {
    while (auto e = h.server_conn()->poll_event()) {
      if (e->type == ConnectionEventType::kStreamReset) reset_ev = e;
    }
    return reset_ev.has_value();
  }));
  EXPECT_EQ(reset_ev->stream_id, *sid);
  EXPECT_EQ(reset_ev->error_code, 77u);
  // STOP_SENDING from the server on its own reply stream direction.
  auto sid2 = h.client().open_stream(true);
  ASSERT_TRUE(h.client().stream_write(*sid2, data, false).has_value());
  h.run_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(h.server_conn()->stream_stop_sending(*sid2, 88).has_value());
  std::optional<ConnectionEvent> stop_ev;
  ASSERT_TRUE(h.run_until([&] {
    while (auto e = h.client().poll_event()) {
      if (e->type == ConnectionEventType::kStreamStopSending) stop_ev = e;
    }
    return stop_ev.has_value();
  }));
  EXPECT_EQ(stop_ev->error_code, 88u);
  EXPECT_FALSE(h.client().stream_write(*sid2, data, false).has_value());
}

TEST(ConnectionFeatures, StreamLimitEnforcedLocally) {
  auto o = PairHarness::default_options();
  o.server.initial_max_streams_bidi = 3;
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(h.client().open_stream(true).has_value());
  auto r = h.client().open_stream(true);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ApiErrorCode::kLimit);
}

}  // namespace
}  // namespace braid

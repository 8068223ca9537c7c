// Attacks on the connection state machine from a peer that follows the wire format: each
// case reproduces one, checks it ends in the RFC error or is safely absorbed, and bounds
// what it costs the server.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/conn/connection_impl.h"
#include "tests/support/initial_builder.h"
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

conn::ConnectionImpl* as_impl(Connection& c) { return static_cast<conn::ConnectionImpl*>(&c); }

std::vector<uint8_t> retire_frame(uint64_t seq) {
  std::vector<uint8_t> out(9);
  wire::Writer w(out);
  w.write_varint(0x19);
  w.write_varint(seq);
  out.resize(w.size());
  return out;
}

// Hole 1: a client retires every connection ID the server gives it, as soon as it arrives,
// thousands of times. Retired IDs are freed (and their routes removed) at once, so the
// server's state and its per-packet work stay bounded, and it keeps serving.
TEST(Hostile, ConnectionIdChurnKeepsServerStateBounded) {
  auto o = PairHarness::default_options();
  // The attacking client keeps (rather than retires) its copies of the IDs it makes the
  // server retire behind its back; a high limit lets it hold them all.
  o.client.active_connection_id_limit = 1'000'000;
  PacketObserver obs;
  obs.attach_keylog(o);
  PairHarness h(o);
  obs.attach(h);
  ASSERT_TRUE(h.handshake());
  h.run_for(100ms);
  std::set<uint64_t> sent, retired;
  size_t scanned = 0;
  const size_t kRetirements = 3000;
  size_t most_routes = 0, most_ids = 0;
  while (retired.size() < kRetirements) {
    for (; scanned < obs.seen.size(); ++scanned) {
      const auto& d = obs.seen[scanned];
      if (d.from_client) continue;
      for (auto& p : d.packets) {
        for (auto& f : p.frames) {
          if (auto* n = std::get_if<wire::NewConnectionIdFrame>(&f); n && !n->path_id) sent.insert(n->sequence);
        }
      }
    }
    size_t batch = 0;
    for (uint64_t seq : sent) {
      if (seq == 0 || retired.count(seq) || batch == 40) continue;   // the client sends with seq 0
      as_impl(h.client())->inject_raw_frame_for_testing(EncryptionLevel::kApplication, retire_frame(seq));
      retired.insert(seq);
      batch++;
    }
    h.run_for(30ms);
    ASSERT_FALSE(h.server_conn()->is_draining()) << h.server_conn()->close_reason()->reason;
    most_routes = std::max(most_routes, h.endpoint().route_count());
    most_ids = std::max(most_ids, h.server_conn()->local_connection_ids().size());
    ASSERT_LT(h.now() - time_from_us(1'000'000), 600s) << "the server stopped issuing replacements";
  }
  // 4 active on path 0, 2 on each other path ID, at most 16 recently retired, and the
  // client's first DCID.
  EXPECT_LE(most_ids, 4u + 3 * 2 + conn::LocalCidTable::kMaxRecentlyRetired);
  EXPECT_LE(most_routes, most_ids + 1);
  auto r = run_transfer(h, false, {pattern_bytes(2 << 20, 51)});
  EXPECT_TRUE(r.ok) << r.failure;
}

// RFC 9000 §19.16: retiring a sequence number never sent is a PROTOCOL_VIOLATION, also when
// it is just the next one the server will issue.
TEST(Hostile, RetireOfTheNextUnsentSequenceIsAProtocolViolation) {
  auto o = PairHarness::default_options();
  o.server.initial_max_path_id = 0;   // path 0 only: sequences 0..3 are all there is
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  h.run_for(100ms);
  as_impl(h.client())->inject_raw_frame_for_testing(EncryptionLevel::kApplication, retire_frame(4));
  ASSERT_TRUE(h.run_until([&] { return h.server_conn()->is_draining(); }, 5s));
  EXPECT_EQ(h.server_conn()->close_reason()->code, static_cast<uint64_t>(TransportErrorCode::kProtocolViolation));
}

// Hole 3: a client opens 100 streams, gives each a 1 KiB window and never reads. The server
// application writes as much as the connection takes: what it can buffer stops at the
// per-connection cap (and 1 MiB ahead of each stream's credit), not 100 x 8 MiB.
TEST(Hostile, SlowReaderCannotGrowSendBuffers) {
  auto o = PairHarness::default_options();
  o.client.initial_max_stream_data = 1024;
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  auto& srv = *h.server_conn();
  std::vector<StreamId> ids;
  for (int i = 0; i < 100; ++i) {
    auto id = srv.open_stream(false);
    ASSERT_TRUE(id.has_value());
    ids.push_back(*id);
  }
  auto chunk = pattern_bytes(256 << 10, 61);
  std::map<StreamId, uint64_t> written;
  for (int round = 0; round < 50; ++round) {
    for (auto id : ids) {
      for (;;) {
        auto w = srv.stream_write(id, chunk, false);
        ASSERT_TRUE(w.has_value());
        written[id] += *w;
        if (*w < chunk.size()) break;   // would block
      }
    }
    h.run_for(20ms);
  }
  auto st = srv.stats();
  EXPECT_LE(st.send_buffered_bytes, o.server.max_send_buffer_per_connection);
  uint64_t total = 0;
  for (auto& [id, n] : written) {
    EXPECT_LE(n, 1024u + o.server.max_send_ahead_of_credit);
    total += n;
  }
  EXPECT_LE(total, o.server.max_send_buffer_per_connection + 100 * 1024u);
  // The reader wakes up: every byte written arrives, and writable events let the server
  // carry on where stream_write stopped.
  bool writable_seen = false;
  uint64_t read_total = 0;
  std::vector<uint8_t> buf(1 << 16);
  ASSERT_TRUE(h.run_until([&] {
    while (auto ev = srv.poll_event()) writable_seen |= ev->type == ConnectionEventType::kStreamWritable;
    for (auto id : ids) {
      bool fin = false;
      for (;;) {
        auto n = h.client().stream_read(id, buf, fin);
        if (!n || *n == 0) break;
        read_total += *n;
      }
    }
    return read_total == total;
  }, 120s)) << read_total << " of " << total;
  EXPECT_TRUE(writable_seen);
}

// stream_writable tells the application how much a write would take, so it can size its
// reads; at 0 it owes a kStreamWritable event like a short write does.
TEST(Hostile, StreamWritableMatchesWhatAWriteAccepts) {
  auto o = PairHarness::default_options();
  o.client.initial_max_stream_data = 1024;
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  auto& srv = *h.server_conn();
  auto id = srv.open_stream(false);
  ASSERT_TRUE(id.has_value());
  auto room = srv.stream_writable(*id);
  ASSERT_TRUE(room.has_value());
  EXPECT_EQ(*room, 1024u + o.server.max_send_ahead_of_credit);
  auto chunk = pattern_bytes(*room + 5000, 62);
  auto w = srv.stream_write(*id, std::span(chunk).first(*room), false);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(*w, *room);
  room = srv.stream_writable(*id);
  ASSERT_TRUE(room.has_value());
  EXPECT_EQ(*room, 0u);
  while (srv.poll_event()) {}
  bool writable_seen = false;
  std::vector<uint8_t> buf(1 << 16);
  uint64_t got = 0;
  ASSERT_TRUE(h.run_until([&] {
    bool fin = false;
    while (auto n = h.client().stream_read(*id, buf, fin)) {
      if (*n == 0) break;
      got += *n;
    }
    while (auto ev = srv.poll_event()) writable_seen |= ev->type == ConnectionEventType::kStreamWritable && ev->stream_id == *id;
    return writable_seen;
  }, 10s));
  room = srv.stream_writable(*id);
  ASSERT_TRUE(room.has_value());
  EXPECT_GT(*room, 0u);
  EXPECT_FALSE(srv.stream_writable(12345).has_value());   // never opened
}

// Hole 4: 1-byte STREAM fragments with 1-byte gaps. The server holds at most its piece limit
// and then closes with PROTOCOL_VIOLATION, having spent ~100 bytes per piece, not more.
TEST(Hostile, StreamFragmentFloodIsCutOff) {
  auto o = PairHarness::default_options();
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  auto sid = h.client().open_stream(true);
  ASSERT_TRUE(sid.has_value());
  size_t sent = 0, most_pieces_bytes = 0;
  for (uint64_t i = 1; i < 12000 && !h.server_conn()->is_draining(); ++i) {
    std::vector<uint8_t> f(16);
    wire::Writer w(f);
    w.write_varint(0x0e);          // STREAM with offset and length
    w.write_varint(*sid);
    w.write_varint(2 * i);
    w.write_varint(1);
    w.write_u8(0x55);
    f.resize(w.size());
    as_impl(h.client())->inject_raw_frame_for_testing(EncryptionLevel::kApplication, f);
    if (++sent % 100 == 0) {
      h.run_for(5ms);
      most_pieces_bytes = std::max<size_t>(most_pieces_bytes, h.server_conn()->stats().recv_buffered_bytes);
    }
  }
  ASSERT_TRUE(h.run_until([&] { return h.server_conn()->is_draining(); }, 5s)) << "the flood was never cut off";
  EXPECT_EQ(h.server_conn()->close_reason()->code, static_cast<uint64_t>(TransportErrorCode::kProtocolViolation));
  EXPECT_LE(most_pieces_bytes, o.server.max_reassembly_pieces_per_stream);
  EXPECT_LT(sent, 12000u);
}

// Hole 4 in Initials: 1-byte CRYPTO fragments before any handshake (anyone can build such
// Initials). Past 256 pieces the server closes with CRYPTO_BUFFER_EXCEEDED; before, it holds
// a few hundred small pieces, not 3.8 MB.
TEST(Hostile, CryptoFragmentFloodInInitialsIsCutOff) {
  SeededRandom rng(9);
  EndpointConfig ec;
  ec.connection.tls.cert_pem = test::test_certificate().cert_pem;
  ec.connection.tls.key_pem = test::test_certificate().key_pem;
  Endpoint ep(ec, rng);
  ConnectionId dcid(std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8});
  ConnectionId scid(std::vector<uint8_t>{9, 9, 9, 9, 9, 9, 9, 9});
  PathTuple t{SocketAddress::v4(10, 0, 0, 2, 443), SocketAddress::v4(10, 0, 0, 1, 5000)};
  TimePoint now = time_from_us(1'000'000);
  Connection* conn = nullptr;
  uint64_t pn = 0, fragments = 0;
  for (int packet = 0; packet < 20 && !(conn && conn->is_draining()); ++packet) {
    std::vector<uint8_t> frames;
    for (int i = 0; i < 100; ++i, ++fragments) {
      std::vector<uint8_t> f(16);
      wire::Writer w(f);
      w.write_varint(0x06);   // CRYPTO, 1 byte at an odd offset
      w.write_varint(1 + 2 * fragments);
      w.write_varint(1);
      w.write_u8(0x16);
      frames.insert(frames.end(), f.begin(), f.begin() + static_cast<std::ptrdiff_t>(w.size()));
    }
    auto d = test::build_client_initial(dcid, scid, pn++, frames);
    auto* c = ep.handle_datagram(now, t, d, 0);
    if (c) conn = c;
  }
  ASSERT_NE(conn, nullptr) << "the endpoint should accept the first (valid) Initial";
  EXPECT_TRUE(conn->is_draining());
  ASSERT_TRUE(conn->close_reason().has_value());
  EXPECT_EQ(conn->close_reason()->code, static_cast<uint64_t>(TransportErrorCode::kCryptoBufferExceeded));
  EXPECT_LE(fragments, 300u) << "cut off at the 256-piece limit";
}

}  // namespace
}  // namespace braid

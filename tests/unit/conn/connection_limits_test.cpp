// Bounded resources: each configured limit, hit by a peer or an application, and what
// happens then (docs/security.md lists them with their defaults). Limits on paths and on
// connection IDs per path are in connection_hostile_multipath_test.cpp, send buffering and
// per-stream reassembly in connection_hostile_test.cpp, connections per endpoint and
// handshakes in progress in tests/unit/endpoint/endpoint_flood_test.cpp.
#include <gtest/gtest.h>

#include "core/conn/connection_impl.h"
#include "tests/support/pair_harness.h"

namespace braid {
namespace {

using test::PairHarness;
using namespace std::chrono_literals;

conn::ConnectionImpl* as_impl(Connection& c) { return static_cast<conn::ConnectionImpl*>(&c); }

std::vector<uint8_t> stream_frame(uint64_t id, uint64_t offset, uint8_t byte) {
  std::vector<uint8_t> f(24);
  wire::Writer w(f);
  w.write_varint(0x0e);   // STREAM with offset and length
  w.write_varint(id);
  w.write_varint(offset);
  w.write_varint(1);
  w.write_u8(byte);
  f.resize(w.size());
  return f;
}

uint64_t close_code(Connection* c) { return c && c->close_reason() ? c->close_reason()->code : ~uint64_t{0}; }

// A peer opening a stream past initial_max_streams_bidi: STREAM_LIMIT_ERROR (RFC 9000 §4.6).
TEST(Limits, StreamsBeyondTheAdvertisedLimit) {
  auto o = PairHarness::default_options();
  o.server.initial_max_streams_bidi = 10;
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  // Stream 36 is the client's 10th bidirectional stream (allowed); 40 is the 11th.
  as_impl(h.client())->inject_raw_frame_for_testing(EncryptionLevel::kApplication, stream_frame(36, 0, 1));
  h.run_for(10ms);
  EXPECT_FALSE(h.server_conn()->is_draining());
  as_impl(h.client())->inject_raw_frame_for_testing(EncryptionLevel::kApplication, stream_frame(40, 0, 1));
  ASSERT_TRUE(h.run_until([&] { return h.server_conn()->is_draining(); }, 2s));
  EXPECT_EQ(close_code(h.server_conn()), static_cast<uint64_t>(TransportErrorCode::kStreamLimitError));
  // The application's own opens stop at the peer's limit instead: no error, no stream.
  auto o2 = PairHarness::default_options();
  o2.server.initial_max_streams_bidi = 3;
  PairHarness h2(o2);
  ASSERT_TRUE(h2.handshake());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(h2.client().open_stream(true).has_value());
  EXPECT_FALSE(h2.client().open_stream(true).has_value());
}

// Out-of-order pieces across several streams, each below the per-stream piece limit,
// together past the per-connection one: the connection is closed before it holds more.
TEST(Limits, ReassemblyPiecesPerConnection) {
  auto o = PairHarness::default_options();
  o.server.max_reassembly_pieces_per_stream = 4096;
  o.server.max_reassembly_pieces = 1000;
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  uint64_t most = 0;
  int sent = 0;
  for (uint64_t i = 1; i <= 400 && !h.server_conn()->is_draining(); ++i) {
    for (uint64_t s = 0; s < 4; ++s) {   // streams 0, 4, 8, 12: 1600 pieces in all
      as_impl(h.client())->inject_raw_frame_for_testing(EncryptionLevel::kApplication, stream_frame(4 * s, 2 * i, 7));
      sent++;
    }
    if (i % 25 == 0) {
      h.run_for(5ms);
      most = std::max<uint64_t>(most, h.server_conn()->stats().recv_buffered_bytes);
    }
  }
  ASSERT_TRUE(h.run_until([&] { return h.server_conn()->is_draining(); }, 2s));
  EXPECT_EQ(close_code(h.server_conn()), static_cast<uint64_t>(TransportErrorCode::kProtocolViolation));
  EXPECT_LE(most, 1000u);   // one byte per piece here
  EXPECT_LT(sent, 1600);
}

// Received DATAGRAM frames the application does not read: the queue keeps the newest
// max_datagram_queue and drops the oldest; the connection is unharmed.
TEST(Limits, UnreadDatagramsAreBounded) {
  auto o = PairHarness::default_options();
  o.server.max_datagram_queue = 16;
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  for (uint8_t i = 0; i < 100; ++i) {
    ASSERT_TRUE(h.client().send_datagram(std::vector<uint8_t>{i, i, i}).has_value());
    h.run_for(1ms);
  }
  h.run_for(50ms);
  std::vector<uint8_t> got;
  while (auto d = h.server_conn()->recv_datagram()) got.push_back((*d)[0]);
  ASSERT_EQ(got.size(), 16u);
  EXPECT_EQ(got.front(), 84);
  EXPECT_EQ(got.back(), 99);
  EXPECT_FALSE(h.server_conn()->is_draining());
}

// Datagrams queued faster than they can be sent: the send queue keeps the newest
// max_datagram_queue (unreliable by definition, RFC 9221 §5).
TEST(Limits, UnsentDatagramsAreBounded) {
  auto o = PairHarness::default_options();
  o.client.max_datagram_queue = 8;
  o.server.max_datagram_queue = 1024;
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  for (uint8_t i = 0; i < 50; ++i) ASSERT_TRUE(h.client().send_datagram(std::vector<uint8_t>{i}).has_value());
  h.run_for(50ms);
  std::vector<uint8_t> got;
  while (auto d = h.server_conn()->recv_datagram()) got.push_back((*d)[0]);
  ASSERT_EQ(got.size(), 8u);
  EXPECT_EQ(got.front(), 42);
}

}  // namespace
}  // namespace braid

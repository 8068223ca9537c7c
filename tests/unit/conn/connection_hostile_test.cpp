// Attacks on the connection state machine from a peer that follows the wire format: each
// case reproduces one, checks it ends in the RFC error or is safely absorbed, and bounds
// what it costs the server.
#include <gtest/gtest.h>

#include <set>

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

}  // namespace
}  // namespace braid

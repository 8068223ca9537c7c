// The server endpoint under Initial floods (hole 2 of the hardening issue): junk that does
// not decrypt creates nothing; valid Initials beyond the handshake budget get a Retry
// instead of state; Retry tokens work once; the certificate is parsed once per endpoint.
#include <gtest/gtest.h>

#include "core/crypto/tls_session.h"
#include "core/wire/packet_header.h"
#include "tests/support/pair_harness.h"

namespace braid {
namespace {

using test::PairHarness;
using namespace std::chrono_literals;

const TimePoint kT0 = time_from_us(5'000'000);

EndpointConfig server_config() {
  EndpointConfig ec;
  ec.connection.tls.cert_pem = test::test_certificate().cert_pem;
  ec.connection.tls.key_pem = test::test_certificate().key_pem;
  return ec;
}

PathTuple client_tuple(uint32_t i) {
  PathTuple t;
  t.local = SocketAddress::v4(10, 1, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i), 4433);
  t.remote = SocketAddress::v4(10, 0, 0, 2, 443);
  return t;
}

// A genuine first client datagram (a real ClientHello in a padded Initial).
std::vector<uint8_t> client_initial(uint64_t seed, TimePoint now) {
  ConnectionConfig cc;
  cc.tls.insecure = true;
  SeededRandom rng(seed);
  auto c = Connection::connect(now, cc, {SocketAddress::v4(10, 9, 9, 9, 5000), SocketAddress::v4(10, 0, 0, 2, 443)}, rng);
  EXPECT_TRUE(c.has_value());
  std::vector<uint8_t> buf(2048);
  auto t = (*c)->poll_transmit(now, buf, 1);
  EXPECT_TRUE(t.has_value());
  buf.resize(t ? t->length : 0);
  return buf;
}

// A long header that parses as a v1 Initial, 1200 bytes, and random bytes after it.
std::vector<uint8_t> junk_initial(SeededRandom& rng) {
  std::vector<uint8_t> d(1200);
  rng.fill(d);
  d[0] = 0xc3;                  // long header, Initial, pn length 4
  d[1] = 0; d[2] = 0; d[3] = 0; d[4] = 1;   // version 1
  d[5] = 8;                     // DCID length
  d[14] = 8;                    // SCID length
  d[23] = 0;                    // token length 0
  d[24] = 0x44; d[25] = 0x90;   // length 1168
  return d;
}

TEST(EndpointFlood, JunkInitialsCreateNoState) {
  SeededRandom rng(1);
  Endpoint ep(server_config(), rng);
  SeededRandom junk(2);
  for (uint32_t i = 0; i < 10'000; ++i) {
    auto d = junk_initial(junk);
    ASSERT_TRUE(wire::parse_header(d, 8).has_value());
    EXPECT_EQ(ep.handle_datagram(kT0, client_tuple(i), d, 0), nullptr);
  }
  EXPECT_EQ(ep.connection_count(), 0u);
  EXPECT_EQ(ep.initials_dropped() + ep.initials_filtered(), 10'000u);
  EXPECT_EQ(ep.route_count(), 0u);
}

PathTuple from_source(uint8_t a, uint8_t b, uint16_t port) {
  return {SocketAddress::v4(10, 0, 0, 2, 443), SocketAddress::v4(10, 7, a, b, port)};
}

// One address sending junk Initials is ignored after `max_bad_initials_per_source` of them
// in a second, on every port, for the penalty; other addresses are not affected; after
// the penalty its Initials are checked again.
TEST(EndpointFlood, SourceOfUndecryptableInitialsIsIgnoredForAWhile) {
  SeededRandom rng(1);
  auto cfg = server_config();
  cfg.max_bad_initials_per_source = 50;
  cfg.bad_initial_penalty = 2s;
  Endpoint ep(cfg, rng);
  SeededRandom junk(3);
  for (uint16_t i = 0; i < 1000; ++i) {
    auto d = junk_initial(junk);
    ep.handle_datagram(kT0 + std::chrono::microseconds(i), from_source(1, 1, static_cast<uint16_t>(1000 + i)), d, 0);
  }
  EXPECT_EQ(ep.initials_dropped(), 50u);
  EXPECT_EQ(ep.initials_filtered(), 950u);
  // A real client on another address gets in at once.
  auto good = client_initial(7, kT0);
  EXPECT_NE(ep.handle_datagram(kT0 + 2ms, from_source(2, 2, 5000), good, 0), nullptr);
  // A real client behind the blocked address waits out the penalty (it retransmits).
  auto behind = client_initial(8, kT0);
  EXPECT_EQ(ep.handle_datagram(kT0 + 1s, from_source(1, 1, 6000), behind, 0), nullptr);
  EXPECT_NE(ep.handle_datagram(kT0 + 2s + 1ms, from_source(1, 1, 6000), behind, 0), nullptr);
  // Spoofed junk spread over many addresses stays below the threshold per address: each
  // costs the decryption check, and nothing is kept.
  uint64_t dropped = ep.initials_dropped();
  for (uint16_t i = 0; i < 2000; ++i) {
    auto d = junk_initial(junk);
    ep.handle_datagram(kT0 + 3s, from_source(static_cast<uint8_t>(10 + i / 250), static_cast<uint8_t>(i), 7000), d, 0);
  }
  EXPECT_EQ(ep.initials_dropped(), dropped + 2000);
  EXPECT_EQ(ep.connection_count(), 2u);
}

// Past max_connections, new Initials are dropped (the client retries later); the
// connections already there are unaffected.
TEST(EndpointFlood, ConnectionsPerEndpointAreBounded) {
  SeededRandom rng(1);
  auto cfg = server_config();
  cfg.max_connections = 10;
  cfg.max_handshakes_in_progress = 100;
  Endpoint ep(cfg, rng);
  size_t accepted = 0;
  for (uint16_t i = 0; i < 20; ++i) {
    auto d = client_initial(100 + i, kT0);
    if (ep.handle_datagram(kT0, from_source(3, static_cast<uint8_t>(i), 4000), d, 0)) accepted++;
  }
  EXPECT_EQ(accepted, 10u);
  EXPECT_EQ(ep.connection_count(), 10u);
}

// The filter can be switched off.
TEST(EndpointFlood, SourceFilterOff) {
  SeededRandom rng(1);
  auto cfg = server_config();
  cfg.max_bad_initials_per_source = 0;
  Endpoint ep(cfg, rng);
  SeededRandom junk(4);
  for (int i = 0; i < 500; ++i) {
    auto d = junk_initial(junk);
    ep.handle_datagram(kT0, from_source(1, 1, 1000), d, 0);
  }
  EXPECT_EQ(ep.initials_dropped(), 500u);
  EXPECT_EQ(ep.initials_filtered(), 0u);
}

// Genuine Initials from 1000 (spoofed) addresses: state for at most the handshake budget,
// a Retry for each of the rest, and the certificate loaded once for all of them.
TEST(EndpointFlood, ValidInitialsBeyondTheBudgetGetRetry) {
  SeededRandom rng(3);
  auto cfg = server_config();
  cfg.max_handshakes_in_progress = 64;
  Endpoint ep(cfg, rng);
  uint64_t loads_before = crypto::TlsCredentials::loads();
  std::vector<uint8_t> out(2048);
  size_t retries = 0;
  for (uint32_t i = 0; i < 1000; ++i) {
    TimePoint now = kT0 + std::chrono::milliseconds(i);   // within the stateless reply rate
    auto d = client_initial(100 + i, now);
    ep.handle_datagram(now, client_tuple(i), d, 0);
    while (auto s = ep.poll_stateless(out)) retries += (out[0] & 0xf0) == 0xf0 ? 1 : 0;   // long header, Retry
  }
  EXPECT_EQ(ep.connection_count(), 64u);
  EXPECT_EQ(ep.handshakes_in_progress(), 64u);
  EXPECT_EQ(retries, 1000u - 64u);
  EXPECT_EQ(ep.retries_sent(), 1000u - 64u);
  EXPECT_EQ(crypto::TlsCredentials::loads() - loads_before, 1u) << "certificate and key parsed per connection";
}

// While the budget is exhausted a real client still gets in: Retry, then its token.
TEST(EndpointFlood, LegitimateClientConnectsDuringAFlood) {
  auto o = PairHarness::default_options();
  PairHarness h(o);
  // Fill the budget with half-open handshakes from spoofed addresses.
  for (uint32_t i = 0; i < 128; ++i) {
    auto d = client_initial(1000 + i, h.now());
    h.endpoint().handle_datagram(h.now(), client_tuple(i), d, 0);
  }
  std::vector<uint8_t> out(2048);
  while (h.endpoint().poll_stateless(out)) {
  }
  ASSERT_EQ(h.endpoint().handshakes_in_progress(), 128u);
  TimePoint start = h.now();
  ASSERT_TRUE(h.run_until([&] { return h.client().is_handshake_complete(); }, 5s));
  EXPECT_LT(h.now() - start, 100ms) << "one Retry round trip more, not a timeout";
  EXPECT_GE(h.endpoint().retries_sent(), 1u);
}

// A Retry token admits one connection: replayed (after that connection is gone, or for a
// new DCID) it is dropped.
TEST(EndpointFlood, RetryTokensAreSingleUse) {
  auto o = PairHarness::default_options();
  o.require_retry = true;
  std::vector<uint8_t> tokened;
  PairHarness h(o);
  h.client_to_server_filter = [&](std::vector<uint8_t>& d) {
    auto hdr = wire::parse_header(d, 8);
    if (hdr && hdr->type == wire::PacketType::kInitial && !hdr->token.empty() && tokened.empty()) tokened = d;
    return true;
  };
  ASSERT_TRUE(h.handshake());
  ASSERT_FALSE(tokened.empty());
  size_t before = h.endpoint().connection_count();
  uint64_t dropped = h.endpoint().initials_dropped();
  // The same Initial again routes to its connection; forget that connection and replay.
  h.client().close(h.now(), 0, "bye");
  h.run_for(5s);
  h.endpoint().collect_closed();
  ASSERT_LT(h.endpoint().connection_count(), before);
  PathTuple as_seen_by_server{h.client_tuple().remote, h.client_tuple().local};
  h.endpoint().handle_datagram(h.now(), as_seen_by_server, tokened, 0);
  EXPECT_EQ(h.endpoint().initials_dropped(), dropped + 1);
  EXPECT_EQ(h.endpoint().connection_count(), before - 1);
}

// Stateless replies never amplify: each is smaller than what triggered it, and there are at
// most max_stateless_replies_per_second of them however fast the flood comes.
TEST(EndpointFlood, StatelessRepliesAreRateLimitedAndSmaller) {
  SeededRandom rng(5);
  auto cfg = server_config();
  cfg.max_stateless_replies_per_second = 1000;
  Endpoint ep(cfg, rng);
  SeededRandom junk(6);
  uint64_t received = 0, replied = 0, replies = 0;
  std::vector<uint8_t> out(2048);
  for (int ms = 0; ms < 1000; ++ms) {   // one second of flood, 20 datagrams a millisecond
    TimePoint now = kT0 + std::chrono::milliseconds(ms);
    for (int k = 0; k < 20; ++k) {
      std::vector<uint8_t> d(k % 2 ? 1200 : 60);
      junk.fill(d);
      if (k % 2) {
        d[0] = 0xc0;   // long header, an unknown version: Version Negotiation
        d[1] = 0x0a; d[2] = 0x0b; d[3] = 0x0c; d[4] = 0x0d;
        d[5] = 8;
        d[14] = 8;
      } else {
        d[0] = 0x40 | (d[0] & 0x3f);   // short header to no connection: stateless reset
      }
      received += d.size();
      ep.handle_datagram(now, client_tuple(static_cast<uint32_t>(k)), d, 0);
      while (auto s = ep.poll_stateless(out)) {
        replied += s->length;
        replies++;
        EXPECT_LT(s->length, d.size());
      }
    }
  }
  EXPECT_LE(replies, 1000u + 100u);   // one second at 1000/s plus the initial burst
  EXPECT_GT(replies, 900u);
  EXPECT_GT(ep.stateless_replies_suppressed(), 15'000u);
  EXPECT_LT(replied, received / 10);
}

}  // namespace
}  // namespace braid

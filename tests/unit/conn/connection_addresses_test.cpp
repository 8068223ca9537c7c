// Address advertisement (braid's extension, docs/address-advertisement.md): negotiated only
// when both sides offer it, nothing revealed otherwise, the client opens a path to what it
// is told, lost frames come again, and a peer that breaks the rules gets the RFC error.
#include <gtest/gtest.h>

#include "core/conn/connection_impl.h"
#include "core/wire/frame_codec.h"
#include "tests/support/multipath_pair.h"
#include "tests/support/packet_observer.h"
#include "tests/support/transfer.h"

namespace braid {
namespace {

using namespace std::chrono_literals;
using test::PacketObserver;
using test::PairHarness;
using test::pattern_bytes;
using test::run_transfer;
using namespace test::mp;

const SocketAddress kSecond = *SocketAddress::parse("10.0.9.2:4443");
const SocketAddress kThird = *SocketAddress::parse("[2001:db8::2]:443");

conn::ConnectionImpl* as_impl(Connection& c) { return static_cast<conn::ConnectionImpl*>(&c); }

std::vector<ConnectionEvent> advertisements(Connection& c) {
  std::vector<ConnectionEvent> out;
  while (auto ev = c.poll_event()) {
    if (ev->type == ConnectionEventType::kAddressAdvertised) out.push_back(*ev);
  }
  return out;
}

PairHarness::Options advertising(size_t client_accepts) {
  auto o = PairHarness::default_options();
  o.server.advertise_addresses = {kSecond, kThird};
  o.client.accept_advertised_addresses = client_accepts;
  return o;
}

size_t advertise_frames_from_server(const PacketObserver& obs) {
  size_t n = 0;
  for (const auto& d : obs.seen) {
    if (d.from_client) continue;
    for (const auto& p : d.packets) {
      for (const auto& f : p.frames) n += std::holds_alternative<wire::AdvertiseAddressFrame>(f);
    }
  }
  return n;
}

std::vector<uint8_t> advertise_frame(uint64_t seq, const SocketAddress& a) {
  std::vector<uint8_t> out(64);
  wire::Writer w(out);
  wire::encode_frame(w, wire::AdvertiseAddressFrame{seq, a});
  out.resize(w.size());
  return out;
}

// Closes `victim` by injecting `frame` into what `sender` sends; returns the close code.
std::optional<uint64_t> close_code_after(PairHarness& h, Connection& sender, Connection& victim,
                                         std::vector<uint8_t> frame) {
  as_impl(sender)->inject_raw_frame_for_testing(EncryptionLevel::kApplication, std::move(frame));
  h.run_until([&] { return victim.is_draining() || victim.is_closed(); }, 2s);
  auto r = victim.close_reason();
  if (!r) return std::nullopt;
  return r->code;
}

TEST(AddressAdvertisement, NegotiatedTheClientHearsEveryAddressOnceAndUsesOne) {
  PairHarness h(advertising(4));
  ASSERT_TRUE(h.handshake());
  std::vector<ConnectionEvent> got;
  ASSERT_TRUE(h.run_until([&] {
    for (auto& e : advertisements(h.client())) got.push_back(e);
    return got.size() >= 2;
  }, 2s));
  EXPECT_EQ(got[0].address, kSecond);
  EXPECT_EQ(got[0].error_code, 0u);
  EXPECT_EQ(got[1].address, kThird);
  EXPECT_EQ(got[1].error_code, 1u);
  auto cs = h.client().stats();
  EXPECT_TRUE(cs.address_advertisement);
  EXPECT_EQ(cs.advertised_addresses, (std::vector<SocketAddress>{kSecond, kThird}));
  EXPECT_TRUE(h.server_conn()->stats().address_advertisement);
  EXPECT_EQ(h.server_conn()->stats().advertised_addresses.size(), 2u);

  // The client opens a second path to the advertised address; data flows over it.
  auto p1 = h.client().open_path(h.now(), kLocal1, kSecond);
  ASSERT_TRUE(p1.has_value()) << p1.error().reason;
  ASSERT_TRUE(h.run_until([&] {
    auto s = path_stats(*h.server_conn(), *p1);
    return s && s->state == PathState::kActive && s->tuple.local == kSecond;
  }, 5s));
  auto r = run_transfer(h, false, {pattern_bytes(4 << 20, 61)});
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_GT(path_stats(*h.server_conn(), *p1)->stream_bytes_sent, 0u);
  h.run_for(1s);
  EXPECT_TRUE(advertisements(h.client()).empty()) << "each address is reported once";
}

// A handshake with the client accepting `client_accepts` addresses, 500 ms on; the frames
// the server sent and the advertisements the client reported.
struct Observed {
  size_t frames_sent = 0;
  std::vector<ConnectionEvent> reported;
  bool server_negotiated = false;
  size_t server_advertised = 0;
};

Observed observe_advertisement(size_t client_accepts) {
  PacketObserver obs;
  auto o = advertising(client_accepts);
  obs.attach_keylog(o);
  PairHarness h(o);
  obs.attach(h);
  Observed out;
  EXPECT_TRUE(h.handshake());
  h.run_for(500ms);
  out.reported = advertisements(h.client());
  out.frames_sent = advertise_frames_from_server(obs);
  out.server_negotiated = h.server_conn()->stats().address_advertisement;
  out.server_advertised = h.server_conn()->stats().advertised_addresses.size();
  return out;
}

TEST(AddressAdvertisement, TheClientKeepsOnlyAsManyAsItAccepts) {
  auto r = observe_advertisement(1);
  ASSERT_EQ(r.reported.size(), 1u);
  EXPECT_EQ(r.reported[0].address, kSecond);
  EXPECT_EQ(r.frames_sent, 1u) << "the server sends no more than the client takes";
}

TEST(AddressAdvertisement, NothingIsRevealedToAClientThatDoesNotOfferIt) {
  auto r = observe_advertisement(0);
  EXPECT_TRUE(r.reported.empty());
  EXPECT_EQ(r.frames_sent, 0u);
  EXPECT_FALSE(r.server_negotiated);
  EXPECT_EQ(r.server_advertised, 0u);
}

TEST(AddressAdvertisement, AServerWithNothingToAdvertiseDoesNotNegotiate) {
  auto o = PairHarness::default_options();
  o.client.accept_advertised_addresses = 4;
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  h.run_for(300ms);
  EXPECT_FALSE(h.client().stats().address_advertisement);
  EXPECT_FALSE(h.server_conn()->stats().address_advertisement);
  auto r = run_transfer(h, false, {pattern_bytes(200'000, 62)});
  EXPECT_TRUE(r.ok) << r.failure;
}

TEST(AddressAdvertisement, ALostAdvertisementIsSentAgain) {
  PacketObserver obs;
  auto o = advertising(4);
  obs.attach_keylog(o);
  PairHarness h(o);
  int dropped = 0;
  obs.attach(h, [&](const test::ObservedDatagram& d) {
    if (d.from_client || dropped >= 2 || !d.has<wire::AdvertiseAddressFrame>()) return false;
    dropped++;
    return true;
  });
  ASSERT_TRUE(h.handshake());
  std::vector<ConnectionEvent> got;
  ASSERT_TRUE(h.run_until([&] {
    for (auto& e : advertisements(h.client())) got.push_back(e);
    return got.size() >= 2;
  }, 5s));
  EXPECT_EQ(dropped, 2);
  EXPECT_GE(advertise_frames_from_server(obs), 4u);
}

TEST(AddressAdvertisement, WithoutNegotiationTheFrameIsUnknown) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  auto code = close_code_after(h, *h.server_conn(), h.client(), advertise_frame(0, kSecond));
  EXPECT_EQ(code, uint64_t(TransportErrorCode::kFrameEncodingError));
}

TEST(AddressAdvertisement, ASequenceBeyondWhatTheClientAcceptsIsAViolation) {
  PairHarness h(advertising(2));
  ASSERT_TRUE(h.handshake());
  h.run_for(200ms);
  auto code = close_code_after(h, *h.server_conn(), h.client(), advertise_frame(2, kSecond));
  EXPECT_EQ(code, uint64_t(TransportErrorCode::kProtocolViolation));
}

TEST(AddressAdvertisement, UnusableAddressesAreAViolation) {
  for (const char* bad : {"0.0.0.0:443", "224.0.0.1:443", "10.0.0.9:0", "[ff02::1]:443", "[::]:443"}) {
    PairHarness h(advertising(4));
    ASSERT_TRUE(h.handshake());
    h.run_for(200ms);
    auto code = close_code_after(h, *h.server_conn(), h.client(), advertise_frame(3, *SocketAddress::parse(bad)));
    EXPECT_EQ(code, uint64_t(TransportErrorCode::kProtocolViolation)) << bad;
  }
}

TEST(AddressAdvertisement, ASequenceNumberStandsForOneAddress) {
  PairHarness h(advertising(4));
  ASSERT_TRUE(h.handshake());
  h.run_for(200ms);
  advertisements(h.client());
  // The same address again (a retransmission) is absorbed without a second event...
  as_impl(*h.server_conn())->inject_raw_frame_for_testing(EncryptionLevel::kApplication, advertise_frame(0, kSecond));
  h.run_for(200ms);
  EXPECT_FALSE(h.client().is_draining());
  EXPECT_TRUE(advertisements(h.client()).empty());
  // ...another address under a sequence number already used is not.
  auto code = close_code_after(h, *h.server_conn(), h.client(), advertise_frame(0, kLocal2));
  EXPECT_EQ(code, uint64_t(TransportErrorCode::kProtocolViolation));
}

TEST(AddressAdvertisement, AClientThatAdvertisesIsAViolation) {
  PairHarness h(advertising(4));
  ASSERT_TRUE(h.handshake());
  auto code = close_code_after(h, h.client(), *h.server_conn(), advertise_frame(0, kLocal1));
  EXPECT_EQ(code, uint64_t(TransportErrorCode::kProtocolViolation));
}

TEST(AddressAdvertisement, ConfigurationIsChecked) {
  ConnectionConfig c;
  c.advertise_addresses = {*SocketAddress::parse("0.0.0.0:443")};
  auto r = check_connection_config(c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("0.0.0.0:443"), std::string::npos) << r.error();
  c.advertise_addresses = {kSecond, kSecond};
  ASSERT_FALSE(check_connection_config(c));
  c.advertise_addresses = std::vector<SocketAddress>(kMaxAdvertisedAddresses + 1, kSecond);
  ASSERT_FALSE(check_connection_config(c));
  c.advertise_addresses = {kSecond, kThird};
  EXPECT_TRUE(check_connection_config(c));
  c.accept_advertised_addresses = kMaxAdvertisedAddresses + 1;
  EXPECT_FALSE(check_connection_config(c));
}

}  // namespace
}  // namespace braid

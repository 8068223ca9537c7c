// Ack frequency in the connection (draft-ietf-quic-ack-frequency): negotiated by
// min_ack_delay, the data sender's requests reach the receiver and cut its ACKs, nothing is
// sent to a peer that did not offer it, and a peer's bad requests close with
// PROTOCOL_VIOLATION.
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

conn::ConnectionImpl* as_impl(Connection& c) { return static_cast<conn::ConnectionImpl*>(&c); }

void inject(PairHarness& h, const wire::Frame& f) {
  std::vector<uint8_t> out(256);
  wire::Writer w(out);
  ASSERT_TRUE(wire::encode_frame(w, f));
  out.resize(w.size());
  as_impl(h.client())->inject_raw_frame_for_testing(EncryptionLevel::kApplication, out);
}

PairHarness::Options options(bool client_af, bool server_af) {
  auto o = PairHarness::default_options();
  o.client.ack_frequency = client_af;
  o.server.ack_frequency = server_af;
  o.link = LinkParams{10ms, 0, 0, {}, 50'000'000, false, 0, 0};
  return o;
}

struct Download {
  ConnectionStats client, server;
};

// 8 MB from server to client over one 50 Mbit/s, 20 ms RTT link.
Download download(bool client_af, bool server_af) {
  PairHarness h(options(client_af, server_af));
  EXPECT_TRUE(h.handshake());
  auto r = run_transfer(h, false, {pattern_bytes(8 << 20, 5)});
  EXPECT_TRUE(r.ok) << r.failure;
  return {h.client().stats(), h.server_conn()->stats()};
}

TEST(AckFrequency, TheSenderAsksAndTheReceiverAcksLess) {
  auto on = download(true, true);
  auto off = download(true, false);
  EXPECT_TRUE(on.server.ack_frequency);
  EXPECT_TRUE(on.client.ack_frequency);
  EXPECT_GE(on.server.ack_frequency_frames_sent, 1u);
  EXPECT_GT(on.client.peer_ack_eliciting_threshold, 1u);
  EXPECT_EQ(on.client.peer_requested_max_ack_delay, 25ms);   // the client's own max_ack_delay
  // The client's ACKs for the same 8 MB, most of it in slow start (every second packet
  // there): at least a quarter fewer with the server asking (measured: 2016 vs 2979).
  EXPECT_LT(on.client.ack_frames_sent * 4, off.client.ack_frames_sent * 3)
      << on.client.ack_frames_sent << " vs " << off.client.ack_frames_sent;
}

TEST(AckFrequency, NothingSentToAPeerThatDidNotOfferIt) {
  auto d = download(false, true);   // the client does not advertise min_ack_delay
  EXPECT_FALSE(d.server.ack_frequency);
  EXPECT_EQ(d.server.ack_frequency_frames_sent, 0u);
  EXPECT_EQ(d.client.peer_ack_eliciting_threshold, 0u);
  auto e = download(true, false);   // the server does not: nobody sends any
  EXPECT_FALSE(e.client.ack_frequency);
  EXPECT_FALSE(e.server.ack_frequency);
  EXPECT_EQ(e.client.ack_frequency_frames_sent + e.server.ack_frequency_frames_sent, 0u);
  EXPECT_EQ(e.client.peer_ack_eliciting_threshold, 0u);
}

void expect_closed_with(PairHarness& h, E code) {
  Connection& s = *h.server_conn();
  ASSERT_TRUE(h.run_until([&] { return s.is_draining(); }, 5s)) << "the server did not close";
  ASSERT_TRUE(s.close_reason().has_value());
  EXPECT_EQ(s.close_reason()->code, static_cast<uint64_t>(code)) << s.close_reason()->reason;
}

TEST(AckFrequency, FramesToAPeerThatDidNotOfferThemArePROTOCOL_VIOLATION) {
  {
    PairHarness h(options(true, false));
    ASSERT_TRUE(h.handshake());
    inject(h, wire::AckFrequencyFrame{0, 4, 25'000, 3});
    expect_closed_with(h, E::kProtocolViolation);
  }
  {
    PairHarness h(options(true, false));
    ASSERT_TRUE(h.handshake());
    inject(h, wire::ImmediateAckFrame{});
    expect_closed_with(h, E::kProtocolViolation);
  }
}

TEST(AckFrequency, DelaysBelowMinAckDelayOrBeyondTheLimitArePROTOCOL_VIOLATION) {
  for (uint64_t delay_us : {uint64_t{999}, (uint64_t{1} << 14) * 1000}) {
    PairHarness h(options(true, true));   // the server's min_ack_delay: 1 ms
    ASSERT_TRUE(h.handshake());
    inject(h, wire::AckFrequencyFrame{0, 4, delay_us, 3});
    expect_closed_with(h, E::kProtocolViolation);
  }
}

TEST(AckFrequency, ThePeersRequestIsAppliedAndObsoleteOnesIgnored) {
  PairHarness h(options(true, true));
  ASSERT_TRUE(h.handshake());
  h.run_for(50ms);
  inject(h, wire::AckFrequencyFrame{7, 10, 40'000, 0});
  h.run_for(50ms);
  auto s = h.server_conn()->stats();
  EXPECT_EQ(s.peer_ack_eliciting_threshold, 10u);
  EXPECT_EQ(s.peer_requested_max_ack_delay, 40ms);
  inject(h, wire::AckFrequencyFrame{6, 3, 5'000, 1});   // older sequence: ignored
  h.run_for(50ms);
  s = h.server_conn()->stats();
  EXPECT_EQ(s.peer_ack_eliciting_threshold, 10u);
  EXPECT_FALSE(h.server_conn()->is_draining());
  auto r = run_transfer(h, true, {pattern_bytes(1 << 20, 9)});   // and data still flows
  EXPECT_TRUE(r.ok) << r.failure;
}

}  // namespace
}  // namespace braid

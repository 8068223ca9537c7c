// Data transfer between two in-memory endpoints in virtual time, verified byte for byte:
// single and multiple streams, both directions, loss, reordering, rate limits and
// flow-control-limited windows.
#include <gtest/gtest.h>

#include "tests/support/transfer.h"

namespace braid {
namespace {

using test::PairHarness;
using test::pattern_bytes;
using test::run_transfer;

TEST(ConnectionTransfer, OneStreamClientToServer) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  auto r = run_transfer(h, true, {pattern_bytes(2 << 20, 1)});
  EXPECT_TRUE(r.ok) << r.failure;
}

TEST(ConnectionTransfer, OneStreamServerToClient) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  auto r = run_transfer(h, false, {pattern_bytes(2 << 20, 2)});
  EXPECT_TRUE(r.ok) << r.failure;
}

TEST(ConnectionTransfer, ManyStreams) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  std::vector<std::vector<uint8_t>> p;
  for (int i = 0; i < 16; ++i) p.push_back(pattern_bytes(100'000 + i * 7919, 100 + i));
  auto r = run_transfer(h, false, p);
  EXPECT_TRUE(r.ok) << r.failure;
}

TEST(ConnectionTransfer, TenPercentLoss) {
  auto o = PairHarness::default_options();
  o.link.loss = 0.10;
  o.seed = 42;
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  auto r = run_transfer(h, false, {pattern_bytes(1 << 20, 3), pattern_bytes(300'000, 4)});
  EXPECT_TRUE(r.ok) << r.failure;
  EXPECT_GT(h.client().stats().packets_received, 0u);
  EXPECT_GT(h.server_conn()->stats().packets_lost, 0u);
}

TEST(ConnectionTransfer, HandshakeSurvivesLoss) {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    auto o = PairHarness::default_options();
    o.link.loss = 0.3;
    o.seed = seed;
    PairHarness h(o);
    EXPECT_TRUE(h.handshake()) << "seed " << seed;
  }
}

TEST(ConnectionTransfer, Reordering) {
  auto o = PairHarness::default_options();
  o.link.reorder = 0.2;
  o.link.reorder_delay = std::chrono::milliseconds(4);
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  auto r = run_transfer(h, false, {pattern_bytes(1 << 20, 5)});
  EXPECT_TRUE(r.ok) << r.failure;
}

TEST(ConnectionTransfer, RateLimitedLinkReachesLinkRate) {
  auto o = PairHarness::default_options();
  o.link.rate_bps = 20'000'000;
  o.link.delay = std::chrono::milliseconds(20);
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  size_t bytes = 10 << 20;
  auto r = run_transfer(h, false, {pattern_bytes(bytes, 6)});
  ASSERT_TRUE(r.ok) << r.failure;
  double secs = std::chrono::duration<double>(r.elapsed).count();
  double mbps = bytes * 8 / secs / 1e6;
  EXPECT_GT(mbps, 14.0) << "goodput " << mbps << " Mbit/s over a 20 Mbit/s link";
  EXPECT_LT(mbps, 20.5);
}

TEST(ConnectionTransfer, FlowControlLimitedWindows) {
  auto o = PairHarness::default_options();
  for (auto* c : {&o.client, &o.server}) {
    c->initial_max_data = 32 * 1024;
    c->initial_max_stream_data = 8 * 1024;
    c->max_connection_window = 32 * 1024;
    c->max_stream_window = 8 * 1024;
  }
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  auto r = run_transfer(h, false, {pattern_bytes(400'000, 7), pattern_bytes(200'000, 8)});
  EXPECT_TRUE(r.ok) << r.failure;
}

TEST(ConnectionTransfer, ReceiveWindowAutoTunes) {
  auto o = PairHarness::default_options();
  o.link.delay = std::chrono::milliseconds(25);
  o.link.rate_bps = 100'000'000;
  o.client.initial_max_data = 64 * 1024;
  o.client.initial_max_stream_data = 64 * 1024;
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  size_t bytes = 8 << 20;
  auto r = run_transfer(h, false, {pattern_bytes(bytes, 9)});
  ASSERT_TRUE(r.ok) << r.failure;
  // A fixed 64 KiB window at 50 ms RTT caps goodput near 10 Mbit/s; auto-tuning must lift it.
  double mbps = bytes * 8 / std::chrono::duration<double>(r.elapsed).count() / 1e6;
  EXPECT_GT(mbps, 25.0);
}

}  // namespace
}  // namespace braid

namespace braid {
namespace {

TEST(ConnectionTransfer, SpuriousLossesCountedUnderReordering) {
  auto o = test::PairHarness::default_options();
  o.link.reorder = 0.05;
  o.link.reorder_delay = std::chrono::milliseconds(30);   // beyond the time threshold
  test::PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  auto r = test::run_transfer(h, false, {test::pattern_bytes(2 << 20, 21)});
  ASSERT_TRUE(r.ok) << r.failure;
  auto s = h.server_conn()->stats();
  EXPECT_GT(s.packets_lost, 0u);
  EXPECT_GT(s.spurious_losses, 0u);
  EXPECT_LE(s.spurious_losses, s.packets_lost);
}

TEST(ConnectionTransfer, NoSpuriousLossesOnPureLoss) {
  auto o = test::PairHarness::default_options();
  o.link.loss = 0.03;
  test::PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  auto r = test::run_transfer(h, false, {test::pattern_bytes(1 << 20, 22)});
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(h.server_conn()->stats().spurious_losses, 0u);
}

}  // namespace
}  // namespace braid

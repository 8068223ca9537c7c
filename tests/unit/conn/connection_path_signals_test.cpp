// Path signals: ECN validation and CE response (RFC 9000 §13.4, RFC 9002 §7.1), PMTU
// discovery (RFC 8899), and persistent congestion after an outage.
#include <gtest/gtest.h>

#include "tests/support/transfer.h"

namespace braid {
namespace {

using test::PairHarness;
using test::pattern_bytes;
using test::run_transfer;

TEST(PathSignals, EcnValidatedOnCleanPath) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  auto r = run_transfer(h, false, {pattern_bytes(500'000, 1)});
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(h.server_conn()->stats().paths.front().ecn, EcnState::kCapable);
}

TEST(PathSignals, EcnBleachingDetected) {
  auto o = PairHarness::default_options();
  o.link.bleach_ecn = true;
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  auto r = run_transfer(h, false, {pattern_bytes(500'000, 2)});
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(h.server_conn()->stats().paths.front().ecn, EcnState::kFailed);
}

TEST(PathSignals, CeMarksReduceTheWindowWithoutLoss) {
  auto run = [](double ce) {
    auto o = PairHarness::default_options();
    o.link.rate_bps = 50'000'000;
    o.link.delay = std::chrono::milliseconds(20);
    o.link.ce_mark = ce;
    PairHarness h(o);
    EXPECT_TRUE(h.handshake());
    auto r = run_transfer(h, false, {pattern_bytes(4 << 20, 3)});
    EXPECT_TRUE(r.ok) << r.failure;
    auto s = h.server_conn()->stats();
    EXPECT_EQ(s.packets_lost, 0u);
    return std::pair{s.paths.front().congestion_window, r.elapsed};
  };
  auto [cwnd_clean, t_clean] = run(0.0);
  auto [cwnd_marked, t_marked] = run(0.02);
  EXPECT_LT(cwnd_marked * 2, cwnd_clean);
  EXPECT_GT(t_marked, t_clean);
}

TEST(PathSignals, PmtuGrowsToTarget) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  auto r = run_transfer(h, false, {pattern_bytes(300'000, 4)});
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(h.server_conn()->stats().paths.front().max_datagram_size, 1452u);
  EXPECT_EQ(h.client().stats().paths.front().max_datagram_size, 1452u);
}

TEST(PathSignals, PmtuStaysWhenProbesAreDropped) {
  PairHarness h(PairHarness::default_options());
  h.server_to_client_filter = [](std::vector<uint8_t>& d) { return d.size() <= 1300; };
  h.client_to_server_filter = [](std::vector<uint8_t>& d) { return d.size() <= 1300; };
  ASSERT_TRUE(h.handshake());
  auto r = run_transfer(h, false, {pattern_bytes(1 << 20, 5)});
  ASSERT_TRUE(r.ok) << r.failure;
  EXPECT_EQ(h.server_conn()->stats().paths.front().max_datagram_size, 1200u);
  // Dropped probes are not congestion: nothing but the probes was lost.
  EXPECT_EQ(h.server_conn()->stats().packets_lost, 0u);
}

TEST(PathSignals, OutageShorterThanIdleTimeoutRecovers) {
  auto o = PairHarness::default_options();
  o.link.delay = std::chrono::milliseconds(20);
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  auto sid = h.server_conn()->open_stream(false);
  ASSERT_TRUE(sid.has_value());
  auto data = pattern_bytes(2 << 20, 6);
  std::vector<uint8_t> got;
  TimePoint start = h.now();
  ASSERT_TRUE(test::send_on_stream(h, *h.server_conn(), h.client(), *sid, data, got, [&] {
    h.blackhole = h.now() > start + std::chrono::milliseconds(300) && h.now() < start + std::chrono::milliseconds(2300);
  }, std::chrono::seconds(60)));
  EXPECT_EQ(got, data);
  EXPECT_FALSE(h.client().is_draining());
}

}  // namespace
}  // namespace braid

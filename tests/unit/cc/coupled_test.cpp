// Coupled congestion control (LIA RFC 6356, OLIA, BALIA): the Reno-like per-path behaviour they
// share, the coupled increases against the formulas computed here by hand, each reducing to
// Reno on one path, and the group bookkeeping (publish, skip paths without RTT, remove, reset).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "core/cc/coupled/balia.h"
#include "core/cc/coupled/lia.h"
#include "core/cc/coupled/olia.h"

namespace braid::cc {
namespace {

constexpr uint64_t kMss = 1200;
constexpr double kEps = 1e-6;  // bytes; the formulas are evaluated in doubles on both sides

TimePoint at_ms(double ms) { return time_from_us(static_cast<int64_t>(ms * 1000)); }

AckSample ack(TimePoint now, TimePoint sent, uint64_t bytes, Duration srtt = std::chrono::milliseconds(100),
              bool app_limited = false) {
  AckSample s;
  s.now = now;
  s.sent_time = sent;
  s.bytes_acked = bytes;
  s.packets_acked = (bytes + kMss - 1) / kMss;
  s.latest_rtt = srtt;
  s.smoothed_rtt = srtt;
  s.min_rtt = srtt;
  s.app_limited = app_limited;
  return s;
}

LossSample loss(TimePoint now, TimePoint largest_lost_sent, bool persistent = false, bool ce = false) {
  LossSample l;
  l.now = now;
  l.largest_lost_sent_time = largest_lost_sent;
  l.bytes_lost = ce ? 0 : kMss;
  l.packets_lost = ce ? 0 : 1;
  l.persistent_congestion = persistent;
  l.ecn_ce = ce;
  return l;
}

CcContext context(std::shared_ptr<CoupledGroup> group, PathId id, uint64_t mss = kMss) {
  CcContext c;
  c.max_datagram_size = mss;
  c.path_id = id;
  c.group = std::move(group);
  return c;
}

double sec(Duration d) { return std::chrono::duration<double>(d).count(); }

// Congestion avoidance at window `w` with RTT `srtt`: ssthresh = w, then an app-limited ACK of
// `ell` bytes that brings the RTT sample (and OLIA's l_r) without growing the window.
void start_in_avoidance(CoupledReno& cc, uint64_t w, Duration srtt, uint64_t ell = 0) {
  cc.set_state_for_test(w, w);
  cc.on_ack(ack(at_ms(1000), at_ms(900), ell, srtt, /*app_limited=*/true));
  ASSERT_EQ(cc.window(), w);
  ASSERT_EQ(cc.metrics().state, CcState::kCongestionAvoidance);
}

// The window change (fractions included) caused by one ACK of `bytes`.
double increase_on_ack(CoupledReno& cc, uint64_t bytes, Duration srtt) {
  double before = cc.exact_window();
  cc.on_ack(ack(at_ms(2000), at_ms(1900), bytes, srtt));
  return cc.exact_window() - before;
}

void expect_published(const CoupledReno& cc) {
  const CoupledPathState* p = cc.group()->find(cc.path_id());
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->cwnd, cc.window());
  EXPECT_EQ(p->ssthresh, cc.ssthresh());
  EXPECT_EQ(p->in_recovery, cc.in_recovery());
  EXPECT_EQ(p->in_slow_start, cc.in_slow_start());
}

// The example of the brief: path 0 fast with the larger window, path 1 slow.
constexpr uint64_t kW0 = 20 * kMss, kW1 = 10 * kMss;
constexpr Duration kRtt0 = std::chrono::milliseconds(20), kRtt1 = std::chrono::milliseconds(80);

// ---------------------------------------------------------------------------------------------
// Behaviour the three share: Reno per path, and Reno when alone.

template <class T>
class CoupledCommon : public ::testing::Test {};
using Algorithms = ::testing::Types<Lia, Olia, Balia>;
TYPED_TEST_SUITE(CoupledCommon, Algorithms);

TYPED_TEST(CoupledCommon, InitialStateIsPublished) {
  auto g = std::make_shared<CoupledGroup>();
  TypeParam cc(context(g, 3));
  EXPECT_EQ(cc.window(), 10 * kMss);
  EXPECT_EQ(cc.ssthresh(), UINT64_MAX);
  EXPECT_EQ(cc.metrics().state, CcState::kSlowStart);
  EXPECT_EQ(cc.metrics().congestion_window, 10 * kMss);
  const CoupledPathState* p = g->find(3);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->cwnd, 10 * kMss);
  EXPECT_FALSE(p->has_rtt_sample);
  EXPECT_TRUE(g->counted().empty());  // no RTT sample yet
}

TYPED_TEST(CoupledCommon, NullGroupGetsAPrivateOne) {
  TypeParam cc(CcContext{});
  ASSERT_NE(cc.group(), nullptr);
  EXPECT_NE(cc.group()->find(0), nullptr);
  start_in_avoidance(cc, kW0, kRtt0);
  EXPECT_NEAR(increase_on_ack(cc, kMss, kRtt0), double(kMss) * kMss / kW0, kEps);
}

TYPED_TEST(CoupledCommon, SlowStartGrowsByBytesAcked) {
  auto g = std::make_shared<CoupledGroup>();
  TypeParam cc(context(g, 0));
  cc.on_ack(ack(at_ms(100), at_ms(0), 5 * kMss));
  EXPECT_EQ(cc.window(), 15 * kMss);
  cc.on_ack(ack(at_ms(101), at_ms(1), 5 * kMss));
  EXPECT_EQ(cc.window(), 20 * kMss);
  expect_published(cc);
  EXPECT_TRUE(g->find(0)->has_rtt_sample);
  EXPECT_EQ(g->find(0)->smoothed_rtt, std::chrono::milliseconds(100));
}

TYPED_TEST(CoupledCommon, SlowStartStopsAtSsthreshThenAvoidance) {
  TypeParam cc(context(std::make_shared<CoupledGroup>(), 0));
  cc.set_state_for_test(10 * kMss, 11 * kMss);
  cc.on_ack(ack(at_ms(100), at_ms(0), 2 * kMss));
  // kMss in slow start up to ssthresh, the other kMss by the avoidance rule at 11 * kMss.
  EXPECT_NEAR(cc.exact_window(), 11.0 * kMss + double(kMss) * kMss / (11 * kMss), kEps);
  EXPECT_EQ(cc.metrics().state, CcState::kCongestionAvoidance);
}

TYPED_TEST(CoupledCommon, AppLimitedAcksDoNotGrow) {
  TypeParam cc(context(std::make_shared<CoupledGroup>(), 0));
  cc.on_ack(ack(at_ms(100), at_ms(0), 5 * kMss, std::chrono::milliseconds(100), true));
  EXPECT_EQ(cc.window(), 10 * kMss);
  start_in_avoidance(cc, kW0, kRtt0);
  cc.on_ack(ack(at_ms(2000), at_ms(1900), 5 * kMss, kRtt0, true));
  EXPECT_EQ(cc.exact_window(), double(kW0));
}

TYPED_TEST(CoupledCommon, LossHalvesAloneAndEntersRecovery) {
  auto g = std::make_shared<CoupledGroup>();
  TypeParam cc(context(g, 0));
  cc.on_ack(ack(at_ms(100), at_ms(0), 10 * kMss));  // 20 mss
  cc.on_congestion_event(loss(at_ms(200), at_ms(150)));
  EXPECT_EQ(cc.window(), 10 * kMss);
  EXPECT_EQ(cc.ssthresh(), 10 * kMss);
  EXPECT_TRUE(cc.in_recovery());
  EXPECT_EQ(cc.metrics().state, CcState::kRecovery);
  expect_published(cc);
  EXPECT_TRUE(g->find(0)->in_recovery);
}

TYPED_TEST(CoupledCommon, OneReductionPerRecoveryPeriod) {
  TypeParam cc(context(std::make_shared<CoupledGroup>(), 0));
  cc.on_ack(ack(at_ms(100), at_ms(0), 30 * kMss));  // 40 mss
  cc.on_congestion_event(loss(at_ms(200), at_ms(150)));
  ASSERT_EQ(cc.window(), 20 * kMss);
  cc.on_congestion_event(loss(at_ms(210), at_ms(190)));
  cc.on_congestion_event(loss(at_ms(220), at_ms(200)));  // sent at the recovery start: same period
  EXPECT_EQ(cc.window(), 20 * kMss);
  // ACKs of packets sent before the recovery started neither grow nor end recovery.
  cc.on_ack(ack(at_ms(230), at_ms(199), 5 * kMss));
  EXPECT_EQ(cc.window(), 20 * kMss);
  EXPECT_TRUE(cc.in_recovery());
  // A packet sent after it ends recovery; a loss of a later packet reduces again.
  cc.on_ack(ack(at_ms(330), at_ms(230), kMss));
  EXPECT_FALSE(cc.in_recovery());
  EXPECT_EQ(cc.metrics().state, CcState::kCongestionAvoidance);
  uint64_t before = cc.window();
  ASSERT_GT(before, 20 * kMss);
  cc.on_congestion_event(loss(at_ms(400), at_ms(300)));
  EXPECT_EQ(cc.window(), before / 2);
}

TYPED_TEST(CoupledCommon, MinimumWindowIsTwoDatagrams) {
  TypeParam cc(context(std::make_shared<CoupledGroup>(), 0));
  for (int i = 0; i < 10; i++) cc.on_congestion_event(loss(at_ms(100 * (i + 1)), at_ms(100 * i + 50)));
  EXPECT_EQ(cc.window(), 2 * kMss);
  EXPECT_EQ(cc.ssthresh(), 2 * kMss);
  EXPECT_EQ(cc.minimum_window(), 2 * kMss);
}

TYPED_TEST(CoupledCommon, PersistentCongestionCollapsesToMinimum) {
  TypeParam cc(context(std::make_shared<CoupledGroup>(), 0));
  cc.on_ack(ack(at_ms(100), at_ms(0), 10 * kMss));
  cc.on_congestion_event(loss(at_ms(500), at_ms(150), /*persistent=*/true));
  EXPECT_EQ(cc.window(), 2 * kMss);
  EXPECT_FALSE(cc.in_recovery());
  expect_published(cc);
}

TYPED_TEST(CoupledCommon, EcnCeIsLikeLoss) {
  TypeParam cc(context(std::make_shared<CoupledGroup>(), 0));
  cc.on_ack(ack(at_ms(100), at_ms(0), 10 * kMss));
  cc.on_congestion_event(loss(at_ms(200), at_ms(150), false, /*ce=*/true));
  EXPECT_EQ(cc.window(), 10 * kMss);
  EXPECT_TRUE(cc.in_recovery());
}

TYPED_TEST(CoupledCommon, SpuriousLossIsUndone) {
  auto g = std::make_shared<CoupledGroup>();
  TypeParam cc(context(g, 0));
  cc.on_ack(ack(at_ms(100), at_ms(0), 10 * kMss));
  cc.on_congestion_event(loss(at_ms(200), at_ms(150)));
  ASSERT_EQ(cc.window(), 10 * kMss);
  cc.on_spurious_congestion();
  EXPECT_EQ(cc.window(), 20 * kMss);
  EXPECT_EQ(cc.ssthresh(), UINT64_MAX);
  EXPECT_FALSE(cc.in_recovery());
  expect_published(cc);
  cc.on_spurious_congestion();  // nothing left to undo
  EXPECT_EQ(cc.window(), 20 * kMss);
}

TYPED_TEST(CoupledCommon, AloneAvoidanceIsReno) {
  TypeParam cc(context(std::make_shared<CoupledGroup>(), 0));
  start_in_avoidance(cc, kW0, kRtt0);
  EXPECT_NEAR(increase_on_ack(cc, kMss, kRtt0), double(kMss) * kMss / kW0, kEps);
  double w = double(cc.window());
  EXPECT_NEAR(increase_on_ack(cc, 3 * kMss, kRtt0), 3.0 * kMss * kMss / w, kEps);
}

TYPED_TEST(CoupledCommon, AloneOneDatagramPerWindowOfAcks) {
  TypeParam cc(context(std::make_shared<CoupledGroup>(), 0));
  start_in_avoidance(cc, kW0, kRtt0);
  for (int i = 0; i < 20; i++) cc.on_ack(ack(at_ms(2000 + i), at_ms(1900 + i), kMss, kRtt0));
  // W += MSS^2/W per datagram: a little under one datagram over one window of ACKs.
  EXPECT_GT(cc.exact_window(), kW0 + 0.95 * kMss);
  EXPECT_LT(cc.exact_window(), double(kW0 + kMss));
}

TYPED_TEST(CoupledCommon, SmallIncrementsAccumulate) {
  TypeParam cc(context(std::make_shared<CoupledGroup>(), 0));
  start_in_avoidance(cc, kW0, kRtt0);
  double expected = kW0;
  for (int i = 0; i < 1000; i++) {
    expected += 10.0 * kMss / std::floor(expected);  // the window the formula sees is whole bytes
    cc.on_ack(ack(at_ms(2000 + i), at_ms(1900 + i), 10, kRtt0));
  }
  EXPECT_NEAR(cc.exact_window(), expected, 1e-6);
  EXPECT_GT(cc.window(), kW0 + 490);  // ~0.5 byte per ACK: lost entirely to truncation otherwise
}

TYPED_TEST(CoupledCommon, OwnPathWithoutRttSampleUsesReno) {
  auto g = std::make_shared<CoupledGroup>();
  TypeParam other(context(g, 1));
  start_in_avoidance(other, kW1, kRtt1);
  TypeParam cc(context(g, 0));
  cc.set_state_for_test(kW0, kW0);
  double before = cc.exact_window();
  cc.on_ack(ack(at_ms(2000), at_ms(1900), kMss, Duration::zero()));  // no RTT estimate yet
  EXPECT_FALSE(g->find(0)->has_rtt_sample);
  EXPECT_NEAR(cc.exact_window() - before, double(kMss) * kMss / kW0, kEps);
}

TYPED_TEST(CoupledCommon, PathWithoutRttSampleIsSkipped) {
  auto g = std::make_shared<CoupledGroup>();
  TypeParam cc(context(g, 0));
  TypeParam fresh(context(g, 1));  // published, large window, but no RTT sample
  fresh.set_state_for_test(100 * kMss, 100 * kMss);
  start_in_avoidance(cc, kW0, kRtt0);
  ASSERT_EQ(g->counted().size(), 1u);
  EXPECT_NEAR(increase_on_ack(cc, kMss, kRtt0), double(kMss) * kMss / kW0, kEps);
}

TYPED_TEST(CoupledCommon, PathNotCountedByTheConnectionIsSkipped) {
  auto g = std::make_shared<CoupledGroup>();
  TypeParam cc(context(g, 0));
  TypeParam backup(context(g, 1));
  start_in_avoidance(backup, kW1, kRtt1);
  start_in_avoidance(cc, kW0, kRtt0);
  double coupled = increase_on_ack(cc, kMss, kRtt0);
  g->set_counted(1, false);
  cc.set_state_for_test(kW0, kW0);
  double alone = increase_on_ack(cc, kMss, kRtt0);
  EXPECT_NEAR(alone, double(kMss) * kMss / kW0, kEps);
  EXPECT_LT(coupled, alone - 1.0);  // the other path did change the increase while it counted
}

TYPED_TEST(CoupledCommon, OnPathRemovedLeavesTheGroup) {
  auto g = std::make_shared<CoupledGroup>();
  TypeParam a(context(g, 0));
  TypeParam b(context(g, 1));
  ASSERT_EQ(g->size(), 2u);
  uint64_t v = g->version();
  b.on_path_removed();
  EXPECT_EQ(g->size(), 1u);
  EXPECT_EQ(g->find(1), nullptr);
  EXPECT_NE(g->find(0), nullptr);
  EXPECT_NE(g->version(), v);
}

TYPED_TEST(CoupledCommon, ResetRepublishesInitialState) {
  auto g = std::make_shared<CoupledGroup>();
  TypeParam cc(context(g, 0));
  cc.on_ack(ack(at_ms(100), at_ms(0), 10 * kMss));
  cc.on_congestion_event(loss(at_ms(200), at_ms(150)));
  ASSERT_TRUE(g->find(0)->has_rtt_sample);
  ASSERT_EQ(g->counted().size(), 1u);
  cc.reset();
  EXPECT_EQ(cc.window(), 10 * kMss);
  EXPECT_EQ(cc.ssthresh(), UINT64_MAX);
  EXPECT_EQ(cc.metrics().state, CcState::kSlowStart);
  const CoupledPathState* p = g->find(0);
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->has_rtt_sample);
  EXPECT_EQ(p->cwnd, 10 * kMss);
  EXPECT_EQ(p->acked_since_loss, 0u);
  EXPECT_EQ(p->acked_between_losses, 0u);
  EXPECT_TRUE(g->counted().empty());
}

TYPED_TEST(CoupledCommon, MaxDatagramSizeIsPublished) {
  auto g = std::make_shared<CoupledGroup>();
  CcContext c = context(g, 0);
  c.initial_window_packets = 2;
  TypeParam cc(c);
  cc.set_max_datagram_size(1500);
  EXPECT_EQ(cc.minimum_window(), 3000u);
  EXPECT_EQ(cc.window(), 3000u);
  EXPECT_EQ(g->find(0)->max_datagram_size, 1500u);
  cc.set_max_datagram_size(0);  // ignored
  EXPECT_EQ(g->find(0)->max_datagram_size, 1500u);
}

TEST(Coupled, Names) {
  EXPECT_EQ(Lia().name(), "lia");
  EXPECT_EQ(Olia().name(), "olia");
  EXPECT_EQ(Balia().name(), "balia");
}

// Two controllers on one group in the example state, each acked once; returns the increases.
template <class T>
struct TwoPaths {
  std::shared_ptr<CoupledGroup> g = std::make_shared<CoupledGroup>();
  T p0{context(g, 0)}, p1{context(g, 1)};
  TwoPaths(uint64_t w0 = kW0, Duration r0 = kRtt0, uint64_t w1 = kW1, Duration r1 = kRtt1, uint64_t ell0 = 0,
           uint64_t ell1 = 0) {
    start_in_avoidance(p0, w0, r0, ell0);
    start_in_avoidance(p1, w1, r1, ell1);
  }
};

// ---------------------------------------------------------------------------------------------
// LIA (RFC 6356)

TEST(Lia, TwoPathIncreaseMatchesFormula) {
  TwoPaths<Lia> t;
  double w0 = kW0, w1 = kW1, r0 = sec(kRtt0), r1 = sec(kRtt1), a = kMss, mss = kMss;
  double total = w0 + w1;
  double best = std::max(w0 / (r0 * r0), w1 / (r1 * r1));
  double sum = w0 / r0 + w1 / r1;
  double alpha = total * best / (sum * sum);
  EXPECT_NEAR(t.p0.alpha(), alpha, 1e-12);
  double inc0 = std::min(alpha * a * mss / total, a * mss / w0);
  double inc1 = std::min(alpha * a * mss / total, a * mss / w1);
  EXPECT_NEAR(increase_on_ack(t.p0, kMss, kRtt0), inc0, kEps);
  t.p0.set_state_for_test(kW0, kW0);
  EXPECT_NEAR(increase_on_ack(t.p1, kMss, kRtt1), inc1, kEps);
  EXPECT_NEAR(inc0, 47.407, 1e-3);  // both paths get the coupled term here, below Reno's 60 and 120
  EXPECT_NEAR(inc1, 47.407, 1e-3);
}

TEST(Lia, IncreaseIsCappedAtUncoupledReno) {
  // A large window on a long path: the coupled term exceeds A*MSS/W_1 there, so Reno's applies.
  TwoPaths<Lia> t(kW0, std::chrono::milliseconds(10), 200 * kMss, std::chrono::milliseconds(1000));
  double w0 = kW0, w1 = 200 * kMss, r0 = 0.01, r1 = 1.0;
  double sum = w0 / r0 + w1 / r1;
  double coupled = (w0 + w1) * (w0 / (r0 * r0)) / (sum * sum) * kMss * kMss / (w0 + w1);
  ASSERT_GT(coupled, double(kMss) * kMss / w1);
  EXPECT_NEAR(increase_on_ack(t.p1, kMss, std::chrono::milliseconds(1000)), double(kMss) * kMss / w1, kEps);
}

TEST(Lia, AggregateNoMoreThanRenoOnTheBestPath) {
  TwoPaths<Lia> t;
  double inc0 = increase_on_ack(t.p0, kMss, kRtt0);
  t.p0.set_state_for_test(kW0, kW0);
  double inc1 = increase_on_ack(t.p1, kMss, kRtt1);
  double r0 = sec(kRtt0), r1 = sec(kRtt1);
  // ACKs per second on each path (one per datagram, a window per RTT).
  double acks0 = double(kW0) / kMss / r0, acks1 = double(kW1) / kMss / r1;
  // Window growth over one RTT of the best path (path 0: highest rate W/srtt): a Reno flow there
  // gains one datagram.
  double coupled_per_rtt = (acks0 * inc0 + acks1 * inc1) * r0;
  EXPECT_LE(coupled_per_rtt, double(kMss));
  // The RFC 6356 goal in rate terms: d(sum x_i)/dt is at most Reno's MSS/srtt^2 on the best path.
  double coupled_rate_growth = acks0 * inc0 / r0 + acks1 * inc1 / r1;
  EXPECT_LE(coupled_rate_growth, kMss / (r0 * r0));
  // Uncoupled Reno on both would exceed both bounds: the test can tell the difference.
  double reno0 = double(kMss) * kMss / kW0, reno1 = double(kMss) * kMss / kW1;
  EXPECT_GT((acks0 * reno0 + acks1 * reno1) * r0, double(kMss));
  EXPECT_GT(acks0 * reno0 / r0 + acks1 * reno1 / r1, kMss / (r0 * r0));
}

TEST(Lia, AlphaIsOneAlone) {
  Lia cc(context(std::make_shared<CoupledGroup>(), 0));
  EXPECT_EQ(cc.alpha(), 1.0);  // not counted yet
  start_in_avoidance(cc, kW0, kRtt0);
  EXPECT_NEAR(cc.alpha(), 1.0, 1e-12);
}

// ---------------------------------------------------------------------------------------------
// OLIA (Khalili et al.)

TEST(Olia, TwoPathIncreaseMatchesFormula) {
  TwoPaths<Olia> t(kW0, kRtt0, kW1, kRtt1, 10 * kMss, 10 * kMss);
  double w0 = kW0, w1 = kW1, r0 = sec(kRtt0), r1 = sec(kRtt1), a = kMss, mss = kMss;
  double sum = w0 / r0 + w1 / r1;
  // l_0 = l_1 = 10 datagrams: path 0 is best by l/srtt^2 and has the max window, so B \ M is
  // empty and alpha is 0 on both (the ACKs below add to l of their own path; that keeps it so).
  EXPECT_EQ(t.p0.alpha(), 0.0);
  EXPECT_EQ(t.p1.alpha(), 0.0);
  double inc0 = a * (mss * (w0 / (r0 * r0)) / (sum * sum));
  double inc1 = a * (mss * (w1 / (r1 * r1)) / (sum * sum));
  EXPECT_NEAR(increase_on_ack(t.p0, kMss, kRtt0), inc0, kEps);
  t.p0.set_state_for_test(kW0, kW0);
  EXPECT_NEAR(increase_on_ack(t.p1, kMss, kRtt1), inc1, kEps);
}

TEST(Olia, AlphaMovesWindowFromMaxWindowToBestPath) {
  // Path 0 has the larger window but the longer RTT; equal l makes path 1 best by l/srtt^2.
  constexpr Duration r0d = std::chrono::milliseconds(40), r1d = std::chrono::milliseconds(20);
  TwoPaths<Olia> t(kW0, r0d, kW1, r1d, 10 * kMss, 10 * kMss);
  EXPECT_NEAR(t.p1.alpha(), +1.0 / (2 * 1), 1e-12);  // |R| = 2, |B \ M| = 1
  EXPECT_NEAR(t.p0.alpha(), -1.0 / (2 * 1), 1e-12);  // |M| = 1
  double w0 = kW0, w1 = kW1, r0 = sec(r0d), r1 = sec(r1d), a = kMss, mss = kMss;
  double sum = w0 / r0 + w1 / r1;
  double inc1 = a * (mss * (w1 / (r1 * r1)) / (sum * sum) + 0.5 * mss / w1);
  double inc0 = a * (mss * (w0 / (r0 * r0)) / (sum * sum) - 0.5 * mss / w0);
  EXPECT_NEAR(increase_on_ack(t.p1, kMss, r1d), inc1, kEps);
  t.p1.set_state_for_test(kW1, kW1);
  EXPECT_NEAR(increase_on_ack(t.p0, kMss, r0d), inc0, kEps);
  EXPECT_LT(inc0, 0.0);  // the max-window path shrinks
  EXPECT_NEAR(inc0, -15.0, 1e-9);
  EXPECT_NEAR(inc1, 90.0, 1e-9);
}

TEST(Olia, SeveralBestPathsShareAlpha) {
  // Three paths; 1 and 2 have the same l/srtt^2 and neither has the max window (path 0).
  auto g = std::make_shared<CoupledGroup>();
  Olia p0(context(g, 0)), p1(context(g, 1)), p2(context(g, 2));
  start_in_avoidance(p0, 30 * kMss, std::chrono::milliseconds(100), 10 * kMss);
  start_in_avoidance(p1, 10 * kMss, std::chrono::milliseconds(20), 10 * kMss);
  start_in_avoidance(p2, 20 * kMss, std::chrono::milliseconds(20), 10 * kMss);
  EXPECT_NEAR(p1.alpha(), 1.0 / (3 * 2), 1e-12);
  EXPECT_NEAR(p2.alpha(), 1.0 / (3 * 2), 1e-12);
  EXPECT_NEAR(p0.alpha(), -1.0 / (3 * 1), 1e-12);
}

TEST(Olia, NothingAckedYetMakesEveryPathBest) {
  // l = 0 everywhere: every path ties for best, so the smaller window gains and the larger loses.
  TwoPaths<Olia> t;
  EXPECT_NEAR(t.p1.alpha(), 0.5, 1e-12);
  EXPECT_NEAR(t.p0.alpha(), -0.5, 1e-12);
}

TEST(Olia, WindowNeverBelowMinimum) {
  // Path 0 sits at its minimum window and is the max-window path; path 1 (smaller datagrams,
  // so a smaller minimum) is far better, so alpha_0 = -1/2 and every ACK on path 0 would shrink it.
  auto g = std::make_shared<CoupledGroup>();
  Olia p0(context(g, 0, 1200)), p1(context(g, 1, 1000));
  start_in_avoidance(p0, 2400, std::chrono::milliseconds(1000), 1200);
  start_in_avoidance(p1, 2000, std::chrono::milliseconds(10), 12000);
  ASSERT_NEAR(p0.alpha(), -0.5, 1e-12);
  for (int i = 0; i < 10; i++) {
    p0.on_ack(ack(at_ms(2000 + i), at_ms(1900 + i), 1200, std::chrono::milliseconds(1000)));
    EXPECT_EQ(p0.window(), 2400u);
    EXPECT_GE(p0.exact_window(), 2400.0);
  }
  // From above the minimum it shrinks, and stops at the minimum.
  p0.set_state_for_test(2600, 2600);
  ASSERT_LT(p0.alpha(), 0.0);
  p0.on_ack(ack(at_ms(3000), at_ms(2900), 1200, std::chrono::milliseconds(1000)));
  EXPECT_EQ(p0.window(), 2400u);
}

TEST(Olia, LossCountersRotateOncePerEpisode) {
  auto g = std::make_shared<CoupledGroup>();
  Olia cc(context(g, 0));
  cc.on_ack(ack(at_ms(100), at_ms(0), 10 * kMss));
  EXPECT_EQ(g->find(0)->acked_since_loss, 10 * kMss);
  cc.on_congestion_event(loss(at_ms(200), at_ms(150)));
  EXPECT_EQ(g->find(0)->acked_since_loss, 0u);
  EXPECT_EQ(g->find(0)->acked_between_losses, 10 * kMss);
  cc.on_ack(ack(at_ms(210), at_ms(190), 2 * kMss));  // counted, though in recovery
  cc.on_congestion_event(loss(at_ms(220), at_ms(195)));  // same episode: no rotation
  EXPECT_EQ(g->find(0)->acked_since_loss, 2 * kMss);
  EXPECT_EQ(g->find(0)->acked_between_losses, 10 * kMss);
  cc.on_ack(ack(at_ms(320), at_ms(220), 3 * kMss));
  cc.on_congestion_event(loss(at_ms(400), at_ms(300)));  // new episode
  EXPECT_EQ(g->find(0)->acked_since_loss, 0u);
  EXPECT_EQ(g->find(0)->acked_between_losses, 5 * kMss);
  cc.on_congestion_event(loss(at_ms(600), at_ms(500)));  // new episode, nothing acked since
  EXPECT_EQ(g->find(0)->acked_between_losses, 5 * kMss);
}

TEST(Olia, SpuriousLossRestoresLossCounters) {
  auto g = std::make_shared<CoupledGroup>();
  Olia cc(context(g, 0));
  cc.on_ack(ack(at_ms(100), at_ms(0), 4 * kMss));
  cc.on_congestion_event(loss(at_ms(200), at_ms(150)));
  cc.on_ack(ack(at_ms(300), at_ms(210), 6 * kMss));
  cc.on_congestion_event(loss(at_ms(400), at_ms(350)));
  ASSERT_EQ(g->find(0)->acked_between_losses, 6 * kMss);
  cc.on_ack(ack(at_ms(410), at_ms(360), kMss));
  cc.on_spurious_congestion();
  EXPECT_EQ(g->find(0)->acked_since_loss, 7 * kMss);
  EXPECT_EQ(g->find(0)->acked_between_losses, 4 * kMss);
}

// ---------------------------------------------------------------------------------------------
// BALIA (Peng et al.)

TEST(Balia, TwoPathIncreaseMatchesFormula) {
  TwoPaths<Balia> t;
  double r0 = sec(kRtt0), r1 = sec(kRtt1), a = kMss, mss = kMss;
  double x0 = kW0 / r0, x1 = kW1 / r1, sum = x0 + x1, xmax = std::max(x0, x1);
  double al0 = xmax / x0, al1 = xmax / x1;
  EXPECT_NEAR(t.p0.alpha(), al0, 1e-12);
  EXPECT_NEAR(t.p1.alpha(), al1, 1e-12);
  double inc0 = a * mss * (x0 / r0) / (sum * sum) * ((1 + al0) / 2) * ((4 + al0) / 5);
  double inc1 = a * mss * (x1 / r1) / (sum * sum) * ((1 + al1) / 2) * ((4 + al1) / 5);
  EXPECT_NEAR(increase_on_ack(t.p0, kMss, kRtt0), inc0, kEps);
  t.p0.set_state_for_test(kW0, kW0);
  EXPECT_NEAR(increase_on_ack(t.p1, kMss, kRtt1), inc1, kEps);
}

TEST(Balia, LossOnSlowPathCutsByAlpha) {
  TwoPaths<Balia> t;
  double alpha = (kW0 / sec(kRtt0)) / (kW1 / sec(kRtt1));  // 8
  ASSERT_NEAR(alpha, 8.0, 1e-9);
  t.p1.on_congestion_event(loss(at_ms(2000), at_ms(1950)));
  double expected = kW1 - (kW1 / 2.0) * std::min(alpha, 1.5);  // a 75% cut
  EXPECT_NEAR(double(t.p1.window()), expected, 1.0);
  EXPECT_EQ(t.p1.ssthresh(), t.p1.window());
  // The fastest path has alpha 1 and halves.
  t.p0.on_congestion_event(loss(at_ms(2000), at_ms(1950)));
  EXPECT_EQ(t.p0.window(), kW0 / 2);
}

TEST(Balia, LossCutBetweenHalfAndThreeQuarters) {
  TwoPaths<Balia> t(kW0, kRtt0, kW1, std::chrono::milliseconds(12));  // x_1 = 1e6, x_0 = 1.2e6
  double alpha = (kW0 / sec(kRtt0)) / (kW1 / 0.012);
  ASSERT_NEAR(alpha, 1.2, 1e-9);
  t.p1.on_congestion_event(loss(at_ms(2000), at_ms(1950)));
  EXPECT_NEAR(double(t.p1.window()), kW1 - (kW1 / 2.0) * alpha, 1.0);
}

TEST(Balia, LossCutStopsAtMinimumWindow) {
  TwoPaths<Balia> t(kW0, kRtt0, 4000, kRtt1);  // alpha_1 = 24: 4000 - 3000 < 2 * MSS
  t.p1.on_congestion_event(loss(at_ms(2000), at_ms(1950)));
  EXPECT_EQ(t.p1.window(), 2 * kMss);
  EXPECT_EQ(t.p1.ssthresh(), 2 * kMss);
}

}  // namespace
}  // namespace braid::cc

// HealthTracker: verdicts into once-only transitions, probe bursts and their spacing,
// probation before a failed path is used again, idle and receive-quiet probes.
#include "core/path/health_tracker.h"

#include <gtest/gtest.h>

namespace braid::path {
namespace {

using namespace std::chrono_literals;

// A detector whose verdict the test sets.
struct Scripted : FailureDetector {
  Liveness* verdict;
  bool* wants_probe;
  Scripted(Liveness* v, bool* w) : verdict(v), wants_probe(w) {}
  std::string_view name() const override { return "scripted"; }
  void on_progress(TimePoint, Duration) override {}
  DetectorVerdict assess(const DetectorInput&) const override {
    DetectorVerdict v;
    v.liveness = *verdict;
    v.wants_probe = *wants_probe;
    return v;
  }
};

TimePoint at(int ms) { return TimePoint{std::chrono::milliseconds(1000 + ms)}; }

struct HealthTrackerTest : ::testing::Test {
  Liveness verdict = Liveness::kLive;
  bool wants = false;
  FailureDetectionConfig cfg;
  std::unique_ptr<HealthTracker> t;
  void SetUp() override { make(); }
  void make() { t = std::make_unique<HealthTracker>(std::make_unique<Scripted>(&verdict, &wants), cfg); }
  HealthInput in(int ms, uint32_t owed = DetectorInput::kMaxOwed) {
    HealthInput i;
    i.detector.now = at(ms);
    i.detector.has_rtt_sample = true;
    i.detector.smoothed_rtt = 40ms;
    i.detector.rtt_variance = 5ms;
    i.detector.min_rtt = 40ms;
    i.detector.max_ack_delay = 5ms;
    i.detector.owed_packets = owed;
    i.detector.oldest_owed_sent = at(0);
    i.last_ack_eliciting_sent = at(0);
    i.last_received = at(ms);
    i.others_last_received = at(ms);
    i.loss_rate = 0.05;
    return i;
  }
  std::vector<HealthTransition> drain(const HealthInput& i) {
    std::vector<HealthTransition> out;
    while (auto x = t->update(i)) out.push_back(*x);
    return out;
  }
};

TEST_F(HealthTrackerTest, LiveStaysHealthyWithNoTransition) {
  EXPECT_TRUE(drain(in(10)).empty());
  EXPECT_EQ(t->health(), PathHealth::kHealthy);
  EXPECT_EQ(t->probes_due(in(10)), 0u);
}

TEST_F(HealthTrackerTest, SuspectReportedOnceThenFailedOnce) {
  verdict = Liveness::kSuspect;
  auto a = drain(in(60));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].from, PathHealth::kHealthy);
  EXPECT_EQ(a[0].to, PathHealth::kSuspect);
  EXPECT_TRUE(drain(in(70)).empty());   // still suspect: nothing new to report
  verdict = Liveness::kDown;
  auto b = drain(in(250));
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].to, PathHealth::kFailed);
  EXPECT_TRUE(drain(in(400)).empty());
  EXPECT_EQ(t->suspicions(), 1u);
  EXPECT_EQ(t->failures(), 1u);
  EXPECT_EQ(t->failed_since(), at(250));
}

TEST_F(HealthTrackerTest, DownAfterALongGapPassesThroughSuspect) {
  verdict = Liveness::kDown;
  auto a = drain(in(1000));
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].to, PathHealth::kSuspect);
  EXPECT_EQ(a[1].to, PathHealth::kFailed);
}

TEST_F(HealthTrackerTest, SuspectClearsOnProgress) {
  verdict = Liveness::kSuspect;
  drain(in(60));
  t->on_progress(at(80), 80ms);
  verdict = Liveness::kLive;
  auto a = drain(in(80));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].from, PathHealth::kSuspect);
  EXPECT_EQ(a[0].to, PathHealth::kHealthy);
  EXPECT_EQ(t->recoveries(), 0u);   // a suspicion that cleared is not a recovery from failure
}

TEST_F(HealthTrackerTest, SuspectProbesInBurstsAtTheProbeGap) {
  verdict = Liveness::kSuspect;
  drain(in(60));
  EXPECT_EQ(t->probes_due(in(60)), cfg.probe_burst);   // at once
  t->on_probes_queued(at(60), cfg.probe_burst);
  EXPECT_EQ(t->probes_due(in(61)), 0u);
  // gap = srtt + max(4·rttvar, 4 ms) + max_ack_delay = 40 + 20 + 5 = 65 ms
  EXPECT_EQ(t->deadline(in(61)), at(125));
  EXPECT_EQ(t->probes_due(in(124)), 0u);
  EXPECT_EQ(t->probes_due(in(125)), cfg.probe_burst);
  EXPECT_EQ(t->probes_sent(), cfg.probe_burst);
}

TEST_F(HealthTrackerTest, FailedProbeIntervalGrowsToTheCap) {
  verdict = Liveness::kDown;
  drain(in(300));
  int now = 300;
  t->on_probes_queued(at(now), 2);
  std::vector<int> gaps;
  for (int i = 0; i < 6; ++i) {
    TimePoint d = t->deadline(in(now));
    int next = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(d - at(0)).count());
    gaps.push_back(next - now);
    now = next;
    ASSERT_GT(t->probes_due(in(now)), 0u);
    t->on_probes_queued(at(now), 2);
  }
  // 100 ms doubling to 500 ms (the probe gap, 65 ms, is below the failed interval).
  EXPECT_EQ(gaps, (std::vector<int>{200, 400, 500, 500, 500, 500}));
}

TEST_F(HealthTrackerTest, FailedPathRecoversAfterProbation) {
  verdict = Liveness::kDown;
  drain(in(300));
  // An answer: probing, on probation.
  verdict = Liveness::kLive;
  t->on_progress(at(500), 200ms);
  auto a = drain(in(500));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].to, PathHealth::kProbing);
  EXPECT_EQ(t->probes_due(in(500)), cfg.probe_burst);   // a burst at once to speed probation
  t->on_probes_queued(at(500), cfg.probe_burst);
  // Needs recover_acks (3) progress events and one srtt (40 ms) on probation.
  t->on_progress(at(510), 1ms);
  EXPECT_TRUE(drain(in(520)).empty());
  t->on_progress(at(530), 1ms);
  EXPECT_TRUE(drain(in(539)).empty());
  EXPECT_EQ(t->deadline(in(539)), at(540));
  auto b = drain(in(540));
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].to, PathHealth::kHealthy);
  EXPECT_EQ(t->recoveries(), 1u);
  EXPECT_EQ(t->failed_since(), kNever);
}

TEST_F(HealthTrackerTest, ProbingFallsBackToFailedAndFlappingDoublesProbation) {
  verdict = Liveness::kDown;
  drain(in(300));
  verdict = Liveness::kLive;
  for (int i = 0; i < 3; ++i) t->on_progress(at(400 + i), 1ms);
  drain(in(400));
  drain(in(450));
  ASSERT_EQ(t->health(), PathHealth::kHealthy);
  // Fails again within 5 s: the next probation needs twice the ACKs.
  verdict = Liveness::kDown;
  drain(in(1000));
  ASSERT_EQ(t->health(), PathHealth::kFailed);
  verdict = Liveness::kLive;
  t->on_progress(at(1100), 1ms);
  drain(in(1100));
  ASSERT_EQ(t->health(), PathHealth::kProbing);
  for (int i = 0; i < 4; ++i) t->on_progress(at(1110 + i), 1ms);
  drain(in(1200));
  EXPECT_EQ(t->health(), PathHealth::kProbing);   // 5 of 6
  t->on_progress(at(1201), 1ms);
  drain(in(1202));
  EXPECT_EQ(t->health(), PathHealth::kHealthy);
  // Silence while probing sends it straight back to failed.
  verdict = Liveness::kDown;
  drain(in(2000));
  verdict = Liveness::kLive;
  t->on_progress(at(2100), 1ms);
  drain(in(2100));
  ASSERT_EQ(t->health(), PathHealth::kProbing);
  verdict = Liveness::kSuspect;
  auto a = drain(in(2200));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].to, PathHealth::kFailed);
  EXPECT_EQ(t->failed_since(), at(2000));   // the outage began at the first failure
}

TEST_F(HealthTrackerTest, TopUpProbesAQuarterRttApart) {
  wants = true;
  EXPECT_EQ(t->probes_due(in(30, 1)), 1u);
  t->on_probes_queued(at(30), 1);
  EXPECT_EQ(t->probes_due(in(39, 1)), 0u);
  EXPECT_EQ(t->deadline(in(39, 1)), at(40));   // srtt/4 = 10 ms
  EXPECT_EQ(t->probes_due(in(40, 1)), 1u);
}

TEST_F(HealthTrackerTest, IdlePathProbedOnlyWhileTheConnectionIsBusy) {
  auto i = in(500, 0);
  EXPECT_EQ(t->deadline(i), kNever);   // idle everywhere: no keep-alive
  i.idle_while_busy = true;
  EXPECT_EQ(t->deadline(i), at(0) + cfg.probe_interval);
  auto j = in(1000, 0);
  j.idle_while_busy = true;
  EXPECT_EQ(t->probes_due(j), 1u);
  cfg.probe_interval = Duration::zero();
  make();
  EXPECT_EQ(t->deadline(i), kNever);
}

TEST_F(HealthTrackerTest, QuietReceivePathIsProbed) {
  cfg.probe_interval = std::chrono::milliseconds(100);   // quiet probes at most this often
  make();
  auto i = in(500, 0);
  i.last_received = at(300);
  i.others_last_received = at(500);   // quiet 200 ms while another path delivers
  EXPECT_EQ(t->probes_due(i), 1u);
  t->on_probes_queued(at(500), 1);
  EXPECT_EQ(t->probes_due(in(550, 0)), 0u);
  i.detector.now = at(550);
  EXPECT_EQ(t->probes_due(i), 0u);    // at most every 100 ms
  i.detector.now = at(600);
  EXPECT_EQ(t->probes_due(i), 1u);
  // No idle probing: no quiet probes either.
  cfg.probe_interval = Duration::zero();
  make();
  i.detector.now = at(500);
  EXPECT_EQ(t->probes_due(i), 0u);
}

TEST_F(HealthTrackerTest, FewOwedWaitsUntilTheNewestPacketHadItsChance) {
  // 5 packets owed (a small window): two lost ACKs could explain the silence, so even with
  // the detector's verdict the path is not suspect before the newest packet's ACK is due:
  // fresh wait = srtt + max(4·rttvar, 4 ms) + max_ack_delay + 1 ms = 66 ms after it was sent.
  verdict = Liveness::kSuspect;
  auto i = in(60, 5);
  i.last_ack_eliciting_sent = at(20);
  EXPECT_TRUE(drain(i).empty());
  EXPECT_EQ(t->deadline(i), at(60));   // an elicitation burst is due (quiet both ways)
  i = in(85, 5);
  i.last_ack_eliciting_sent = at(20);
  EXPECT_TRUE(drain(i).empty());
  i = in(86, 5);
  i.last_ack_eliciting_sent = at(20);
  EXPECT_EQ(drain(i).size(), 1u);
  // With a full count owed, the verdict stands at once.
  make();
  auto j = in(60);
  j.last_ack_eliciting_sent = at(59);
  EXPECT_EQ(drain(j).size(), 1u);
}

TEST_F(HealthTrackerTest, QuietWindowLimitedPathGetsTwoElicitationPairsPerSilence) {
  // 5 owed, the oldest sent at 0, nothing sent since 20 ms, no ACK since 0: a PING pair
  // once the oldest waited srtt/2 and nothing was sent for srtt/4 (at 30 ms).
  auto i = in(29, 5);
  i.last_ack_eliciting_sent = at(20);
  EXPECT_EQ(t->probes_due(i), 0u);
  EXPECT_EQ(t->deadline(i), at(30));
  i.detector.now = at(30);
  EXPECT_EQ(t->probes_due(i), 2u);
  t->on_probes_queued(at(30), 2);
  i.last_ack_eliciting_sent = at(30);
  i.detector.now = at(49);
  EXPECT_EQ(t->probes_due(i), 0u);
  i.detector.now = at(50);   // srtt/2 after the first pair
  EXPECT_EQ(t->probes_due(i), 2u);
  t->on_probes_queued(at(50), 2);
  i.last_ack_eliciting_sent = at(50);
  i.detector.now = at(200);
  EXPECT_EQ(t->probes_due(i), 0u);   // two per silence
  // Progress starts a new silence.
  t->on_progress(at(210), 210ms);
  auto k = in(300, 5);
  k.detector.oldest_owed_sent = at(220);
  k.detector.last_progress = at(210);
  k.last_ack_eliciting_sent = at(230);
  EXPECT_EQ(t->probes_due(k), 2u);
  // A lone owed packet (a message) only waits for its delayed ACK.
  make();
  auto m = in(100, 1);
  EXPECT_EQ(t->probes_due(m), 0u);
  // A path that loses nothing loses no ACKs either: no elicitation.
  auto clean = in(30, 5);
  clean.last_ack_eliciting_sent = at(20);
  clean.loss_rate = 0;
  EXPECT_EQ(t->probes_due(clean), 0u);
}

TEST_F(HealthTrackerTest, ResetForgetsAFailure) {
  verdict = Liveness::kDown;
  drain(in(300));
  t->reset();
  EXPECT_EQ(t->health(), PathHealth::kHealthy);
  EXPECT_EQ(t->failed_since(), kNever);
}

}  // namespace
}  // namespace braid::path

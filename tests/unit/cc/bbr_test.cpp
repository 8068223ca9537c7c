// BBRv3 (draft-ietf-ccwg-bbr-06) over the deterministic path emulator of
// bbr_path_emulator.h: state transitions, bounds, loss and ECN responses, reset and undo.
#include "core/cc/bbr/bbr.h"
#include "bbr_path_emulator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

namespace braid::cc {
namespace {

using namespace bbr_testing;

TEST(Bbr, InitialState) {
  Bbr b(context());
  EXPECT_EQ(b.name(), "bbr");
  EXPECT_EQ(b.state(), BbrState::kStartup);
  EXPECT_EQ(b.window(), 10 * kMds);
  EXPECT_DOUBLE_EQ(b.pacing_gain(), kBbrStartupPacingGain);
  EXPECT_DOUBLE_EQ(b.cwnd_gain(), 2.0);
  EXPECT_FALSE(b.full_bw_reached());
  EXPECT_FALSE(b.min_rtt().has_value());
  EXPECT_EQ(b.inflight_longterm(), kBbrUnbounded);
  EXPECT_EQ(b.inflight_shortterm(), kBbrUnbounded);
  // No RTT yet: StartupPacingGain * InitialCwnd / 1 ms.
  ASSERT_TRUE(b.pacing_rate().has_value());
  EXPECT_NEAR(b.pacing_rate()->bytes_per_second(), 2.77 * 12000 / 0.001, 1000);
  const CcMetrics m = b.metrics();
  EXPECT_EQ(m.state, CcState::kStartup);
  EXPECT_EQ(m.congestion_window, 10 * kMds);
  EXPECT_TRUE(m.pacing_rate.has_value());
}

TEST(Bbr, FirstRttSampleSetsInitialPacingRate) {
  Bbr b(context());
  const TimePoint t0 = time_from_us(1'000'000);
  b.on_packet_sent(SentSample{t0, kMds, kMds, false});
  AckSample a;
  a.now = t0 + milliseconds(50);
  a.sent_time = t0;
  a.bytes_acked = kMds;
  a.latest_rtt = a.smoothed_rtt = a.min_rtt = milliseconds(50);
  a.delivered = kMds;
  a.rate.prior_delivered = 0;
  a.rate.newly_acked = kMds;
  a.rate.rtt = milliseconds(50);
  b.on_ack(a);
  EXPECT_NEAR(b.pacing_rate()->bytes_per_second(), 2.77 * 12000 / 0.050, 100);
  EXPECT_EQ(b.min_rtt(), milliseconds(50));
  EXPECT_EQ(b.round_count(), 1u);
}

TEST(Bbr, StartupFindsBandwidthAndExitsOnPlateau) {
  Bbr b(context());
  PathEmulator emu(b, path());
  uint64_t last_cwnd = b.window();
  bool cwnd_monotonic = true;
  bool gain_ok = true;
  uint64_t pipe_full_round = 0;
  uint64_t exit_round = 0;
  emu.after_ack = [&] {
    if (b.state() == BbrState::kStartup && !b.full_bw_reached()) {
      gain_ok = gain_ok && b.pacing_gain() == kBbrStartupPacingGain;
      cwnd_monotonic = cwnd_monotonic && b.window() >= last_cwnd;
      last_cwnd = b.window();
    }
    if (pipe_full_round == 0 && static_cast<double>(b.max_bw()) >= 0.9 * kRateBytes) pipe_full_round = b.round_count();
    if (exit_round == 0 && b.full_bw_reached()) exit_round = b.round_count();
  };
  emu.run_for(std::chrono::seconds(2));
  EXPECT_TRUE(gain_ok);
  EXPECT_TRUE(cwnd_monotonic);
  EXPECT_GT(last_cwnd, 4 * 10 * kMds);  // grew well beyond the initial window
  ASSERT_TRUE(b.full_bw_reached());
  ASSERT_GT(pipe_full_round, 0u);
  EXPECT_LE(exit_round, pipe_full_round + 4) << "plateau detection took too long";
  EXPECT_GE(exit_round, pipe_full_round + 2) << "exited before a plateau was seen";
  EXPECT_NEAR(static_cast<double>(b.max_bw()), kRateBytes, 0.10 * kRateBytes);
  EXPECT_EQ(b.inflight_longterm(), kBbrUnbounded);  // no loss, so no long-term bound
}

TEST(Bbr, DrainFollowsStartupAndEndsAtBdp) {
  Bbr b(context());
  PathEmulator emu(b, path());
  StateTrace trace;
  double drain_gain = 0;
  uint64_t inflight_at_down = 0, bound_at_down = 0;
  uint64_t drain_round = 0, down_round = 0;
  bool down_started_now = false;
  emu.after_ack = [&] {
    const BbrState before = trace.states.empty() ? BbrState::kStartup : trace.states.back();
    trace.note(b.state(), emu.now());
    if (b.state() == BbrState::kDrain && drain_round == 0) {
      drain_gain = b.pacing_gain();
      drain_round = b.round_count();
    }
    // DOWN may hand over to CRUISE within the same ACK when inflight is already below BDP.
    const bool left_drain = before == BbrState::kDrain && b.state() != BbrState::kDrain;
    if (left_drain) {
      down_started_now = b.probe_bw_cycle_start() == emu.now();
      inflight_at_down = emu.bytes_in_flight();
      bound_at_down = std::max(b.bdp(), std::max(b.send_quantum(), b.min_pipe_cwnd()));
      down_round = b.round_count();
    }
  };
  emu.run_for(std::chrono::seconds(2));
  ASSERT_GE(trace.states.size(), 3u);
  EXPECT_EQ(trace.states[0], BbrState::kStartup);
  EXPECT_EQ(trace.states[1], BbrState::kDrain);
  EXPECT_TRUE(trace.states[2] == BbrState::kProbeBwDown || trace.states[2] == BbrState::kProbeBwCruise);
  EXPECT_TRUE(down_started_now) << "Drain must end by starting a ProbeBW cycle in DOWN";
  EXPECT_DOUBLE_EQ(drain_gain, 0.5);
  EXPECT_LE(inflight_at_down, bound_at_down);
  EXPECT_LE(down_round, drain_round + 2);  // the queue drains in about a round
}

TEST(Bbr, ProbeBwCyclesThroughAllPhases) {
  Bbr b(context());
  PathEmulator emu(b, path());
  StateTrace trace;
  bool up_gains_ok = true;
  bool down_gain_ok = true;
  emu.after_ack = [&] {
    trace.note(b.state(), emu.now());
    if (b.state() == BbrState::kProbeBwUp) {
      up_gains_ok = up_gains_ok && b.pacing_gain() == 1.25 && b.cwnd_gain() == 2.25;
    }
    if (b.state() == BbrState::kProbeBwDown) down_gain_ok = down_gain_ok && b.pacing_gain() == 0.90;
  };
  emu.run_for(std::chrono::seconds(8));
  // Find DOWN, CRUISE, REFILL, UP in that order among the ProbeBW states.
  const std::vector<BbrState> want = {BbrState::kProbeBwDown, BbrState::kProbeBwCruise, BbrState::kProbeBwRefill,
                                      BbrState::kProbeBwUp, BbrState::kProbeBwDown};
  size_t i = 0;
  for (BbrState s : trace.states) {
    if (i < want.size() && s == want[i]) ++i;
  }
  EXPECT_EQ(i, want.size()) << "the ProbeBW cycle did not run in order";
  EXPECT_TRUE(up_gains_ok);
  EXPECT_TRUE(down_gain_ok);
  EXPECT_GE(b.cycle_count(), 1u);  // max_bw filter advanced once per cycle
  EXPECT_NEAR(static_cast<double>(b.max_bw()), kRateBytes, 0.10 * kRateBytes);
}

TEST(Bbr, ProbeRttAfterFiveSecondsWithoutNewMinRtt) {
  Bbr b(context());
  PathEmulator emu(b, path());
  std::vector<TimePoint> entries, exits;
  std::vector<uint64_t> entry_rounds, exit_rounds;
  bool cwnd_bounded = true;
  BbrState prev = b.state();
  std::optional<TimePoint> first_ack;
  std::optional<Duration> first_min;
  emu.after_ack = [&] {
    if (!first_ack) {
      first_ack = emu.now();
      first_min = b.min_rtt();
    }
    if (b.state() == BbrState::kProbeRtt) {
      const uint64_t bound = std::max(b.bdp() / 2, 4 * kMds);
      cwnd_bounded = cwnd_bounded && b.window() <= bound;
      if (prev != BbrState::kProbeRtt) {
        entries.push_back(emu.now());
        entry_rounds.push_back(b.round_count());
      }
    } else if (prev == BbrState::kProbeRtt) {
      exits.push_back(emu.now());
      exit_rounds.push_back(b.round_count());
      EXPECT_EQ(b.state(), BbrState::kProbeBwCruise);
    }
    prev = b.state();
  };
  emu.run_for(std::chrono::seconds(12));
  ASSERT_TRUE(first_min.has_value());
  EXPECT_EQ(b.min_rtt(), first_min);  // RTT never went below the first sample
  ASSERT_GE(entries.size(), 2u);
  ASSERT_GE(exits.size(), 2u);
  const double first_entry = to_s(entries[0] - *first_ack);
  EXPECT_GE(first_entry, 5.0);
  EXPECT_LE(first_entry, 5.2);
  EXPECT_TRUE(cwnd_bounded);
  for (size_t i = 0; i < std::min(entries.size(), exits.size()); ++i) {
    EXPECT_GE(exits[i] - entries[i], milliseconds(200));
    EXPECT_LE(exits[i] - entries[i], milliseconds(200) + 4 * kBaseRtt);
    EXPECT_GT(exit_rounds[i], entry_rounds[i]);
  }
  // The next ProbeRTT is scheduled ProbeRTTInterval after the previous one ended.
  EXPECT_GE(to_s(entries[1] - exits[0]), 5.0);
  EXPECT_LE(to_s(entries[1] - exits[0]), 5.2);
}

TEST(Bbr, LowerMinRttPostponesProbeRtt) {
  Bbr b(context());
  PathEmulator emu(b, path());
  std::optional<TimePoint> entry;
  emu.after_ack = [&] {
    if (!entry && b.state() == BbrState::kProbeRtt) entry = emu.now();
  };
  emu.run_for(std::chrono::seconds(3));
  const auto before = b.min_rtt();
  emu.set_base_rtt(milliseconds(30));  // a route change: a new, lower min RTT
  const TimePoint change = emu.now();
  emu.run_for(std::chrono::seconds(8));
  ASSERT_TRUE(before.has_value());
  ASSERT_TRUE(b.min_rtt().has_value());
  EXPECT_LT(*b.min_rtt(), *before);
  ASSERT_TRUE(entry.has_value());
  EXPECT_GT(to_s(*entry - emu.start()), 6.0) << "ProbeRTT was not postponed";
  EXPECT_GE(to_s(*entry - change), 5.0);
  EXPECT_LE(to_s(*entry - change), 5.3);
}

TEST(Bbr, ExcessLossInProbeUpSetsLongTermBoundAndGoesDown) {
  Bbr b(context());
  PathEmulator emu(b, path());
  bool injected = false;
  bool went_down = false;
  uint64_t longterm_after = kBbrUnbounded;
  emu.after_ack = [&] {
    if (!injected && b.state() == BbrState::kProbeBwUp) {
      injected = true;
      emu.drop_next(6);  // ~10% of the ~60 packets in flight
    }
  };
  emu.after_loss = [&] {
    if (injected && !went_down && b.inflight_longterm() != kBbrUnbounded) {
      went_down = b.state() == BbrState::kProbeBwDown;
      longterm_after = b.inflight_longterm();
    }
  };
  emu.run_for(std::chrono::seconds(6));
  ASSERT_TRUE(injected);
  EXPECT_TRUE(went_down);
  ASSERT_NE(longterm_after, kBbrUnbounded);
  EXPECT_GE(longterm_after, kBdp / 2);
  EXPECT_LE(longterm_after, 3 * kBdp);
}

struct LossyRun {
  double min_max_bw = 1e18;  // fractions of the bottleneck rate, after Startup
  double avg_max_bw = 0;
  double goodput = 0;
};

LossyRun run_with_random_loss(double rate_bps, double loss, uint64_t seed) {
  Bbr b(context());
  auto cfg = path();
  cfg.rate_bps = rate_bps;
  cfg.queue_limit = static_cast<uint64_t>(4 * rate_bps / 8 * to_s(kBaseRtt));
  cfg.random_loss = loss;
  cfg.seed = seed;
  PathEmulator emu(b, cfg);
  emu.run_for(std::chrono::seconds(3));
  emu.start_stats();
  const double rate = rate_bps / 8;
  LossyRun r;
  double sum = 0;
  uint64_t n = 0;
  emu.after_ack = [&] {
    const double f = static_cast<double>(b.max_bw()) / rate;
    r.min_max_bw = std::min(r.min_max_bw, f);
    sum += f;
    ++n;
  };
  emu.run_for(std::chrono::seconds(20));
  EXPECT_TRUE(b.full_bw_reached());
  r.avg_max_bw = n ? sum / static_cast<double>(n) : 0;
  r.goodput = emu.goodput_bytes_per_s() / rate;
  return r;
}

// With 1% random loss the loss rate stays below LossThresh, so the model must not collapse.
// At 10 Mbit/s x 40 ms the BDP is ~42 packets: one lost packet is already > 2% of
// tx_in_flight, so a ProbeBW_UP that meets one random loss ends and sets inflight_longterm
// (the draft's rule); max_bw then dips for a cycle or two but recovers.
TEST(Bbr, RandomLossOfOnePercentDoesNotCollapseBandwidth) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    const LossyRun r = run_with_random_loss(kRateBps, 0.01, seed);
    EXPECT_GE(r.avg_max_bw, 0.85) << "seed " << seed;
    EXPECT_GE(r.goodput, 0.65) << "seed " << seed;
  }
}

// With a BDP of ~208 packets (50 Mbit/s x 40 ms) 1% random loss rarely crosses LossThresh
// within one flight: max_bw stays near the bottleneck rate.
TEST(Bbr, RandomLossOfOnePercentKeepsMaxBwAtLargerBdp) {
  const LossyRun r = run_with_random_loss(50e6, 0.01, 1);
  EXPECT_GE(r.min_max_bw, 0.8);
  for (uint64_t seed = 2; seed <= 4; ++seed) {
    EXPECT_GE(run_with_random_loss(50e6, 0.01, seed).avg_max_bw, 0.8) << "seed " << seed;
  }
}

TEST(Bbr, EcnCeReducesShortTermInflightOncePerRound) {
  Bbr b(context());
  PathEmulator emu(b, path());
  ASSERT_TRUE(emu.run_until_pred([&] { return b.state() == BbrState::kProbeBwCruise; }, std::chrono::seconds(5)));
  const uint64_t cwnd_before = b.window();
  ASSERT_EQ(b.inflight_shortterm(), kBbrUnbounded);
  // Several CE marks within one round are one congestion signal.
  for (int i = 0; i < 5; ++i) emu.inject_ce();
  ASSERT_TRUE(emu.run_until_pred([&] { return b.inflight_shortterm() != kBbrUnbounded; }, 4 * kBaseRtt));
  const uint64_t reduced = b.inflight_shortterm();
  EXPECT_LT(reduced, cwnd_before);
  EXPECT_GE(static_cast<double>(reduced), 0.69 * static_cast<double>(cwnd_before));
  EXPECT_LE(b.window(), std::max(reduced, 4 * kMds));
  EXPECT_LE(b.bw(), b.max_bw());
  EXPECT_EQ(b.state(), BbrState::kProbeBwCruise);  // CE does not end the cycle
  EXPECT_EQ(b.inflight_longterm(), kBbrUnbounded);  // nor touch the long-term model
}

// Drives Startup into a burst of `drops` losses in one round, with a deep buffer so the
// bandwidth plateau cannot end Startup first.
struct StartupLossResult {
  bool exited_on_loss = false;
  std::optional<BbrState> state_after_round;
};

StartupLossResult startup_with_drops(int drops) {
  Bbr b(context());
  PathEmulator emu(b, path(16 * kBdp));
  bool injected = false;
  StartupLossResult r;
  uint64_t check_round = 0;
  emu.after_ack = [&] {
    if (!injected && b.round_count() == 4) {
      injected = true;
      emu.drop_next(drops);
      check_round = b.round_count() + 3;
    }
    if (check_round != 0 && b.round_count() == check_round && !r.state_after_round) {
      r.state_after_round = b.state();
      r.exited_on_loss = b.full_bw_reached() && b.inflight_longterm() != kBbrUnbounded;
    }
  };
  emu.run_for(std::chrono::seconds(1));
  return r;
}

TEST(Bbr, StartupExitsOnHighLoss) {
  const StartupLossResult r = startup_with_drops(8);
  EXPECT_TRUE(r.exited_on_loss);
  EXPECT_NE(r.state_after_round, BbrState::kStartup);
}

TEST(Bbr, StartupToleratesFewLosses) {
  const StartupLossResult r = startup_with_drops(5);  // below StartupFullLossCnt
  EXPECT_FALSE(r.exited_on_loss);
  EXPECT_EQ(r.state_after_round, BbrState::kStartup);
}

TEST(Bbr, ResetRestoresInitialState) {
  Bbr fresh(context(3));
  Bbr b(context(3));
  PathEmulator emu(b, path());
  emu.run_for(std::chrono::seconds(3));
  ASSERT_TRUE(b.full_bw_reached());
  b.reset();
  EXPECT_EQ(b.state(), BbrState::kStartup);
  EXPECT_EQ(b.window(), fresh.window());
  EXPECT_EQ(b.pacing_rate(), fresh.pacing_rate());
  EXPECT_FALSE(b.full_bw_reached());
  EXPECT_EQ(b.max_bw(), 0u);
  EXPECT_EQ(b.bw(), 0u);
  EXPECT_EQ(b.round_count(), 0u);
  EXPECT_EQ(b.cycle_count(), 0u);
  EXPECT_FALSE(b.min_rtt().has_value());
  EXPECT_EQ(b.inflight_longterm(), kBbrUnbounded);
  EXPECT_DOUBLE_EQ(b.pacing_gain(), kBbrStartupPacingGain);
}

TEST(Bbr, SpuriousUndoRestoresCwndAfterCollapse) {
  Bbr b(context());
  PathEmulator emu(b, path());
  emu.run_for(std::chrono::seconds(3));
  const uint64_t before = b.window();
  ASSERT_GT(before, 8 * kMds);
  LossSample l;
  l.now = emu.now();
  l.largest_lost_sent_time = emu.now();
  l.bytes_lost = kMds;
  l.packets_lost = 1;
  l.persistent_congestion = true;
  l.bytes_in_flight = 0;
  l.delivered = emu.delivered();
  l.lost = emu.lost() + kMds;
  b.on_congestion_event(l);
  EXPECT_EQ(b.window(), 4 * kMds);  // max(inflight + SMSS, MinPipeCwnd)
  b.on_spurious_congestion();
  EXPECT_EQ(b.window(), before);
}

TEST(Bbr, SpuriousUndoOfStartupLossExitReturnsToStartup) {
  Bbr b(context());
  PathEmulator emu(b, path(16 * kBdp));
  bool injected = false;
  emu.after_ack = [&] {
    if (!injected && b.round_count() == 4) {
      injected = true;
      emu.drop_next(8);
    }
  };
  ASSERT_TRUE(emu.run_until_pred([&] { return b.full_bw_reached(); }, std::chrono::seconds(1)));
  ASSERT_NE(b.inflight_longterm(), kBbrUnbounded);
  b.on_spurious_congestion();
  EXPECT_EQ(b.state(), BbrState::kStartup);
  EXPECT_FALSE(b.full_bw_reached());
  EXPECT_EQ(b.inflight_longterm(), kBbrUnbounded);
}

TEST(Bbr, SteadyStateKeepsQueueLowAndLinkFull) {
  Bbr b(context());
  PathEmulator emu(b, path(4 * kBdp));
  emu.run_for(std::chrono::seconds(2));
  ASSERT_TRUE(b.full_bw_reached());
  emu.start_stats();
  emu.run_for(std::chrono::seconds(30));
  EXPECT_LE(emu.avg_rtt_s(), 1.5 * to_s(kBaseRtt));
  EXPECT_GE(emu.goodput_bytes_per_s(), 0.90 * kRateBytes);
  EXPECT_EQ(emu.lost(), 0u);  // 4 BDP of buffer: BBR never fills it
}

TEST(Bbr, DeterministicPerPathSeed) {
  auto run = [](PathId id) {
    Bbr b(context(id));
    PathEmulator emu(b, path());
    emu.run_for(std::chrono::seconds(6));
    return std::pair{b.round_count(), b.window()};
  };
  EXPECT_EQ(run(1), run(1));
}

TEST(Bbr, MaxDatagramSizeRaisesMinimumWindow) {
  Bbr b(context());
  b.set_max_datagram_size(4000);
  EXPECT_EQ(b.min_pipe_cwnd(), 16000u);
  EXPECT_GE(b.window(), 16000u);
}

}  // namespace
}  // namespace braid::cc

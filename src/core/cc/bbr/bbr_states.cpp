// BBRv3 state machine and loss response (draft-ietf-ccwg-bbr-06 §"State Machine Operation",
// §"ProbeRTT", §"Updating the Model Upon Packet Loss"). Function names follow the draft's
// pseudocode (BBRCheckStartupDone -> check_startup_done, ...).
#include <algorithm>

#include "core/cc/bbr/bbr.h"
#include "core/cc/bbr/bbr_states.h"

namespace braid::cc {

CcState to_cc_state(BbrState s) {
  switch (s) {
    case BbrState::kStartup: return CcState::kStartup;
    case BbrState::kDrain: return CcState::kDrain;
    case BbrState::kProbeBwDown: return CcState::kProbeBwDown;
    case BbrState::kProbeBwCruise: return CcState::kProbeBwCruise;
    case BbrState::kProbeBwRefill: return CcState::kProbeBwRefill;
    case BbrState::kProbeBwUp: return CcState::kProbeBwUp;
    case BbrState::kProbeRtt: return CcState::kProbeRtt;
  }
  return CcState::kStartup;
}

void FullBwDetector::on_ack(bool round_start, uint64_t bw, bool app_limited) {
  if (now_ || !round_start || app_limited) return;
  if (static_cast<double>(bw) >= static_cast<double>(full_bw_) * kBbrFullBwThreshold) {
    restart(bw);  // still growing: new baseline
    return;
  }
  ++count_;
  now_ = count_ >= kBbrFullBwCount;
  if (now_) reached_ = true;
}

uint64_t SplitMix64::next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// ---------------------------------------------------------------------------------------
// Per-ACK model and state update (BBRUpdateModelAndState).

void Bbr::update_model_and_state(const Rs& rs) {
  model_.update_latest_delivery_signals(rs, delivered_);
  update_congestion_signals(rs);
  model_.update_ack_aggregation(now_, rs.newly_acked, cwnd_, full_bw_.reached());
  // Plateau of max_bw (not of the single sample: one short sample must not end Startup).
  full_bw_.on_ack(model_.round_start(), model_.max_bw(), rs.is_app_limited);
  check_startup_done();
  check_drain_done();
  update_probe_bw_cycle_phase(rs);
  model_.update_min_rtt(now_, rs.rtt);
  check_probe_rtt(rs);
  model_.advance_latest_delivery_signals(rs);
  model_.bound_bw();
}

void Bbr::update_congestion_signals(const Rs& rs) {
  if (model_.update_round(rs.prior_delivered, delivered_)) on_round_start();
  model_.update_max_bw(rs);
  if (!model_.loss_round_start()) return;  // respond once per round trip
  adapt_lower_bounds_from_congestion();
  model_.clear_loss_in_round();
}

void Bbr::adapt_lower_bounds_from_congestion() {
  // While probing, loss is what the probe looks for; it is handled by the long-term model.
  if (is_probing_bw()) return;
  if (model_.is_loss_in_round()) model_.adapt_lower_bounds(cwnd_);
}

// ---------------------------------------------------------------------------------------
// Startup and Drain.

void Bbr::enter_startup() {
  state_ = BbrState::kStartup;
  pacing_gain_ = kBbrStartupPacingGain;
  cwnd_gain_ = kBbrDefaultCwndGain;
}

void Bbr::check_startup_done() {
  check_startup_high_loss();
  if (state_ == BbrState::kStartup && full_bw_.reached()) enter_drain();
}

void Bbr::check_startup_high_loss() {
  // Judged at the end of each loss round, which begins with the round's first loss and so
  // lasts a full round trip of recovery: at least StartupFullLossCnt packets lost in it and
  // a loss rate above LossThresh. QUIC reports lost packets, not SACK ranges, so packets are
  // counted; the rate is lost / (delivered + lost) over the loss round.
  if (!model_.loss_round_start()) return;
  const uint64_t round_delivered = delivered_ - std::min(delivered_, loss_round_delivered_mark_);
  const double round_sent = static_cast<double>(round_delivered + lost_bytes_in_round_);
  const bool too_high = state_ == BbrState::kStartup && !full_bw_.reached() &&
                        lost_packets_in_round_ >= kBbrStartupFullLossCnt &&
                        static_cast<double>(lost_bytes_in_round_) > kBbrLossThresh * round_sent;
  lost_packets_in_round_ = 0;
  lost_bytes_in_round_ = 0;
  loss_round_delivered_mark_ = delivered_;
  if (!too_high) return;
  full_bw_.set_reached(true);
  undo_state_ = BbrState::kStartup;
  model_.set_inflight_longterm(std::max(model_.bdp(), model_.inflight_latest()));
}

void Bbr::enter_drain() {
  state_ = BbrState::kDrain;
  pacing_gain_ = kBbrDrainPacingGain;
  cwnd_gain_ = kBbrDefaultCwndGain;
  drain_start_round_ = model_.round_count();
}

void Bbr::check_drain_done() {
  if (state_ != BbrState::kDrain) return;
  // The queue is gone once inflight is down to one BDP; give up after 3 rounds, when the
  // bandwidth was overestimated and the next cycle's filter has to correct it.
  if (inflight_ <= inflight(1.0) || model_.round_count() > drain_start_round_ + kBbrDrainMaxRounds) {
    enter_probe_bw();
  }
}

// ---------------------------------------------------------------------------------------
// ProbeBW.

void Bbr::enter_probe_bw() {
  cwnd_gain_ = kBbrDefaultCwndGain;
  start_probe_bw_down();
}

void Bbr::start_probe_bw_down() {
  model_.reset_congestion_signals();
  probe_up_acked_per_inc_ = kBbrUnbounded;  // not growing inflight_longterm
  pick_probe_wait();
  cycle_stamp_ = now_;
  ack_phase_ = BbrAckPhase::kProbeStopping;
  model_.start_round(delivered_);
  state_ = BbrState::kProbeBwDown;
  pacing_gain_ = kBbrProbeBwDownPacingGain;
  cwnd_gain_ = kBbrDefaultCwndGain;
}

void Bbr::start_probe_bw_cruise() {
  state_ = BbrState::kProbeBwCruise;
  pacing_gain_ = kBbrProbeBwCruisePacingGain;
  cwnd_gain_ = kBbrDefaultCwndGain;
}

void Bbr::start_probe_bw_refill() {
  // The pivot of the time-scale strategy: forget the short-term (cross-traffic) bounds.
  model_.reset_short_term();
  bw_probe_up_rounds_ = 0;
  bw_probe_up_acked_ = 0;
  prev_probe_precautionary_ = false;
  ack_phase_ = BbrAckPhase::kRefilling;
  model_.start_round(delivered_);
  state_ = BbrState::kProbeBwRefill;
  pacing_gain_ = kBbrProbeBwRefillPacingGain;
  cwnd_gain_ = kBbrDefaultCwndGain;
}

void Bbr::start_probe_bw_up(const Rs& rs) {
  ack_phase_ = BbrAckPhase::kProbeStarting;
  model_.start_round(delivered_);
  full_bw_.restart(rs.delivery_rate);
  state_ = BbrState::kProbeBwUp;
  pacing_gain_ = kBbrProbeBwUpPacingGain;
  cwnd_gain_ = kBbrProbeBwUpCwndGain;
  raise_inflight_longterm_slope();
}

void Bbr::update_probe_bw_cycle_phase(const Rs& rs) {
  if (!full_bw_.reached()) return;          // only steady-state behaviour here
  if (adapt_long_term_model(rs)) return;    // already decided a transition
  if (!is_in_probe_bw_state()) return;
  switch (state_) {
    case BbrState::kProbeBwDown:
      if (is_time_to_probe_bw()) return;
      if (is_time_to_cruise()) start_probe_bw_cruise();
      break;
    case BbrState::kProbeBwCruise:
      is_time_to_probe_bw();
      break;
    case BbrState::kProbeBwRefill:
      // One round of refilling at 1.0, then accelerate.
      if (model_.round_start()) {
        is_bw_probe_sample_ = true;
        start_probe_bw_up(rs);
      }
      break;
    case BbrState::kProbeBwUp:
      if (is_time_to_go_down(rs)) {
        prev_probe_too_high_ = false;  // no high loss (yet)
        start_probe_bw_down();
      }
      break;
    default:
      break;
  }
}

bool Bbr::adapt_long_term_model(const Rs& rs) {
  // BBRAdaptLongTermModel: track what the arriving ACKs say about the probe, advance the
  // max_bw filter once per cycle, and raise inflight_longterm while loss stays low.
  const bool round_start = model_.round_start();
  if (ack_phase_ == BbrAckPhase::kProbeStarting && round_start) ack_phase_ = BbrAckPhase::kProbeFeedback;
  if (ack_phase_ == BbrAckPhase::kProbeStopping && round_start) {
    is_bw_probe_sample_ = false;
    ack_phase_ = BbrAckPhase::kInit;
    if (is_in_probe_bw_state() && !rs.is_app_limited) model_.advance_max_bw_filter();
    // Precautionary probing, acceleration: the cautious probe caused no excess loss.
    if (is_in_probe_bw_state() && prev_probe_precautionary_ && !prev_probe_too_high_) {
      start_probe_bw_refill();
      return true;
    }
  }
  if (is_inflight_too_high(rs)) return false;
  if (model_.inflight_longterm() == kBbrUnbounded) return false;  // no upper bound to raise
  if (rs.tx_in_flight > model_.inflight_longterm()) model_.set_inflight_longterm(rs.tx_in_flight);
  if (state_ == BbrState::kProbeBwUp) probe_inflight_longterm_upward(rs);
  return false;
}

void Bbr::probe_inflight_longterm_upward(const Rs& rs) {
  const bool cwnd_limited = cwnd_limited_this_round_ || cwnd_limited_prev_round_;
  if (!cwnd_limited || cwnd_ < model_.inflight_longterm()) return;  // bound not in use: keep it
  bw_probe_up_acked_ += rs.newly_acked;
  if (bw_probe_up_acked_ >= probe_up_acked_per_inc_) {
    const uint64_t delta = bw_probe_up_acked_ / probe_up_acked_per_inc_;
    bw_probe_up_acked_ -= delta * probe_up_acked_per_inc_;
    model_.set_inflight_longterm(model_.inflight_longterm() + delta * smss_);
  }
  if (model_.round_start()) raise_inflight_longterm_slope();
}

void Bbr::raise_inflight_longterm_slope() {
  // Growth doubles each round of ProbeBW_UP: 1, 2, 4, ... SMSS per cwnd ACKed.
  const uint64_t growth_this_round = uint64_t{1} << bw_probe_up_rounds_;
  bw_probe_up_rounds_ = std::min(bw_probe_up_rounds_ + 1, kBbrMaxProbeUpRounds);
  probe_up_acked_per_inc_ = std::max(cwnd_ / growth_this_round, smss_);
}

bool Bbr::is_time_to_probe_bw() {
  if (has_elapsed_in_phase(bw_probe_wait_) || is_reno_coexistence_probe_time()) {
    start_probe_bw_refill();
    return true;
  }
  return false;
}

bool Bbr::is_reno_coexistence_probe_time() const {
  // Probe at least as often as Reno would regain a lost packet: target_inflight rounds.
  const uint64_t reno_rounds = target_inflight() / smss_;
  return rounds_since_bw_probe_ >= std::min(reno_rounds, kBbrMaxRenoRounds);
}

bool Bbr::is_time_to_cruise() const {
  if (inflight_ > inflight_with_headroom()) return false;  // not enough headroom
  if (!model_.has_min_rtt()) return false;
  const uint64_t bdp_at_max_bw = quantization_budget(static_cast<uint64_t>(
      static_cast<double>(model_.max_bw()) * std::chrono::duration<double>(model_.min_rtt()).count()));
  return inflight_ <= bdp_at_max_bw;  // the queue is drained
}

bool Bbr::is_time_to_go_down(const Rs& rs) {
  // Precautionary probing, deceleration: stop where the previous probe saw excess loss.
  if (prev_probe_too_high_ && inflight_ >= model_.inflight_longterm()) {
    prev_probe_precautionary_ = true;
    return true;
  }
  const bool cwnd_limited = cwnd_limited_this_round_ || cwnd_limited_prev_round_;
  if (cwnd_limited && cwnd_ >= model_.inflight_longterm()) {
    full_bw_.restart(rs.delivery_rate);  // inflight_longterm, not the path, limits bw
  } else if (full_bw_.full_now()) {
    return true;  // the path's bandwidth is fully used
  }
  return false;
}

void Bbr::pick_probe_wait() {
  // Randomized so that flows sharing a bottleneck do not probe in lockstep.
  rounds_since_bw_probe_ = rng_.coin() ? 1 : 0;
  const auto jitter = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(rng_.uniform01()));
  bw_probe_wait_ = kBbrProbeBwMinWait + jitter;
}

bool Bbr::is_in_probe_bw_state() const {
  return state_ == BbrState::kProbeBwDown || state_ == BbrState::kProbeBwCruise ||
         state_ == BbrState::kProbeBwRefill || state_ == BbrState::kProbeBwUp;
}

bool Bbr::is_probing_bw() const {
  return state_ == BbrState::kStartup || state_ == BbrState::kProbeBwRefill || state_ == BbrState::kProbeBwUp;
}

// ---------------------------------------------------------------------------------------
// ProbeRTT and restart from idle.

void Bbr::check_probe_rtt(const Rs& rs) {
  if (state_ != BbrState::kProbeRtt && model_.probe_rtt_expired() && !idle_restart_) {
    save_cwnd();  // before entering, so the saved value is the unreduced cwnd
    enter_probe_rtt();
    probe_rtt_done_stamp_.reset();
    ack_phase_ = BbrAckPhase::kProbeStopping;
    model_.start_round(delivered_);
  }
  if (state_ == BbrState::kProbeRtt) handle_probe_rtt();
  if (rs.delivered > 0) idle_restart_ = false;
}

void Bbr::enter_probe_rtt() {
  state_ = BbrState::kProbeRtt;
  pacing_gain_ = kBbrProbeRttPacingGain;
  cwnd_gain_ = kBbrProbeRttCwndGain;
  probe_rtt_app_limited_from_ = delivered_;
  probe_rtt_app_limited_until_ = delivered_;
}

void Bbr::handle_probe_rtt() {
  mark_app_limited_for_probe_rtt();  // low-rate ProbeRTT samples must not look like the path
  if (!probe_rtt_done_stamp_ && inflight_ <= probe_rtt_cwnd()) {
    // Inflight is down: hold it there for ProbeRTTDuration and at least one round.
    probe_rtt_done_stamp_ = now_ + kBbrProbeRttDuration;
    probe_rtt_round_done_ = false;
    model_.start_round(delivered_);
  } else if (probe_rtt_done_stamp_) {
    if (model_.round_start()) probe_rtt_round_done_ = true;
    if (probe_rtt_round_done_) check_probe_rtt_done();
  }
}

void Bbr::mark_app_limited_for_probe_rtt() {
  probe_rtt_app_limited_until_ = std::max(probe_rtt_app_limited_until_, std::max<uint64_t>(delivered_ + inflight_, 1));
}

void Bbr::check_probe_rtt_done() {
  if (!probe_rtt_done_stamp_ || now_ <= *probe_rtt_done_stamp_) return;
  model_.schedule_next_probe_rtt(now_);
  restore_cwnd();
  exit_probe_rtt();
}

void Bbr::exit_probe_rtt() {
  // Congestion met in ProbeRTT says little about the path at full rate.
  model_.reset_short_term();
  if (full_bw_.reached()) {
    // Inflight is already below BDP, so DOWN's exit condition holds: go on to CRUISE.
    start_probe_bw_down();
    start_probe_bw_cruise();
  } else {
    enter_startup();
  }
}

void Bbr::handle_restart_from_idle() {
  idle_restart_ = true;
  model_.restart_aggregation_epoch(now_);
  if (is_in_probe_bw_state()) {
    set_pacing_rate_with_gain(1.0);  // back to rate balance at once
  } else if (state_ == BbrState::kProbeRtt) {
    check_probe_rtt_done();  // the idle time may have completed ProbeRTT
  }
}

// ---------------------------------------------------------------------------------------
// Loss response.

bool Bbr::is_inflight_too_high(const Rs& rs) const {
  return static_cast<double>(rs.lost) > static_cast<double>(rs.tx_in_flight) * kBbrLossThresh;
}

void Bbr::handle_inflight_too_high(const Rs& rs) {
  prev_probe_too_high_ = true;
  is_bw_probe_sample_ = false;  // react once per probe
  if (!rs.is_app_limited) {
    const auto beta_target = static_cast<uint64_t>(static_cast<double>(target_inflight()) * kBbrBeta);
    model_.set_inflight_longterm(std::max(rs.tx_in_flight, beta_target));
  }
  if (state_ == BbrState::kProbeBwUp) {
    undo_state_ = BbrState::kProbeBwUp;
    start_probe_bw_down();
  }
}

void Bbr::handle_lost_packet(const LostPacket& p, uint64_t total_lost) {
  note_loss();
  if (!is_bw_probe_sample_) return;  // only packets sent while probing tell about the probe
  Rs rs;
  rs.tx_in_flight = p.tx_in_flight;
  rs.lost = total_lost > p.lost_at_send ? total_lost - p.lost_at_send : 0;
  rs.is_app_limited = p.is_app_limited;
  if (!is_inflight_too_high(rs)) return;
  rs.tx_in_flight = inflight_at_loss(p, rs);
  handle_inflight_too_high(rs);
}

uint64_t Bbr::inflight_at_loss(const LostPacket& p, const Rs& rs) const {
  // Where inside this packet (possibly an offload burst) did loss cross LossThresh?
  const double size = p.size;
  const double inflight_prev = std::max(static_cast<double>(rs.tx_in_flight) - size, 0.0);
  const double lost_prev = static_cast<double>(rs.lost) - size;
  const double lost_prefix = (kBbrLossThresh * inflight_prev - lost_prev) / (1.0 - kBbrLossThresh);
  return static_cast<uint64_t>(std::max(inflight_prev + lost_prefix, 0.0));
}

void Bbr::note_loss() {
  if (!model_.note_loss(delivered_)) return;
  // First congestion of the round: it starts a loss round and may later prove spurious.
  loss_round_delivered_mark_ = delivered_;
  save_state_upon_loss();
}

void Bbr::save_state_upon_loss() {
  save_cwnd();
  undo_state_.reset();
  undo_bw_shortterm_ = model_.bw_shortterm();
  undo_inflight_shortterm_ = model_.inflight_shortterm();
  undo_inflight_longterm_ = model_.inflight_longterm();
  undo_valid_ = true;
}

}  // namespace braid::cc

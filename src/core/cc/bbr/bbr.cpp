// BBRv3 glue and control parameters (draft-ietf-ccwg-bbr-06 §"Algorithm Organization" and
// §"Updating Control Parameters"): turns the connection's samples into the draft's C.* and
// RS.* inputs, then computes the pacing rate, send quantum and cwnd from the model.
#include "core/cc/bbr/bbr.h"

#include <algorithm>
#include <chrono>

namespace braid::cc {

namespace {

constexpr uint64_t kMaxSendQuantum = 64 * 1024;

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// Different paths draw different (but reproducible) ProbeBW waits.
uint64_t seed_for_path(PathId id) {
  return 0x6262722d76330000ULL ^ (static_cast<uint64_t>(id) * 0x9E3779B97F4A7C15ULL);
}

}  // namespace

Bbr::Bbr(const CcContext& ctx)
    : ctx_(ctx),
      smss_(ctx.max_datagram_size == 0 ? 1200 : ctx.max_datagram_size),
      rng_(seed_for_path(ctx.path_id)),
      cwnd_(ctx.initial_window_packets * smss_),
      send_quantum_(2 * smss_) {
  ctx_.group.reset();  // uncoupled: BBR never reads or publishes the group
  ctx_.max_datagram_size = smss_;
  init_pacing_rate(Duration::zero());
  enter_startup();
}

void Bbr::start(TimePoint now) {
  // BBROnInit's clock-dependent parts: the core has no clock, so the first event anchors them.
  started_ = true;
  model_.init(now);
  cycle_stamp_ = now;
}

void Bbr::on_packet_sent(const SentSample& s) {
  if (!started_) start(s.now);
  now_ = s.now;
  inflight_ = s.bytes_in_flight;
  note_cwnd_limited(s);
  // BBRHandleRestartFromIdle: the path was empty and the sender had nothing to send. The
  // connection tells us after the packet left, which only matters for its own pacing slot.
  const bool was_idle = s.bytes_in_flight <= s.bytes;
  if (was_idle && s.app_limited) handle_restart_from_idle();
}

void Bbr::note_cwnd_limited(const SentSample& s) {
  // "Fully utilized cwnd": no room for another full-sized datagram after this one.
  if (s.bytes_in_flight + smss_ > cwnd_) cwnd_limited_this_round_ = true;
}

void Bbr::on_ack(const AckSample& a) {
  if (!started_) start(a.now);
  now_ = a.now;
  delivered_ = a.delivered;
  lost_ = a.lost;
  inflight_ = a.bytes_in_flight;
  if (!has_srtt_ && a.smoothed_rtt > Duration::zero()) {
    has_srtt_ = true;
    // BBRInitPacingRate uses C.srtt once known; before any bandwidth sample it is the only rate.
    if (model_.bw() == 0 && !full_bw_.reached()) init_pacing_rate(a.smoothed_rtt);
  }
  update_recovery(a);
  const Rs rs = effective_rate_sample(a);
  if (rs.newly_acked == 0) return;  // nothing new: no round, model or window progress
  update_model_and_state(rs);
  // BBRUpdateControlParameters.
  set_pacing_rate();
  set_send_quantum();
  set_cwnd(rs);
}

Bbr::Rs Bbr::effective_rate_sample(const AckSample& a) const {
  Rs rs = a.rate;
  if (rs.newly_acked == 0) rs.newly_acked = a.bytes_acked;
  if (rs.rtt <= Duration::zero()) rs.rtt = a.latest_rtt;
  if (!rs.valid) rs.delivery_rate = 0;
  // ProbeRTT's MarkConnectionAppLimited, applied to the packets it would have covered.
  if (probe_rtt_app_limited_from_ && rs.prior_delivered >= *probe_rtt_app_limited_from_ &&
      rs.prior_delivered <= probe_rtt_app_limited_until_) {
    rs.is_app_limited = true;
  }
  return rs;
}

void Bbr::update_recovery(const AckSample& a) {
  // Recovery ends when a packet sent after its start is acknowledged (RFC 9002 §7.3.2);
  // BBR then restores the last known good cwnd, which BoundCwndForModel caps below.
  if (!in_recovery_ || a.sent_time <= recovery_start_) return;
  in_recovery_ = false;
  restore_cwnd();
}

void Bbr::on_round_start() {
  ++rounds_since_bw_probe_;
  cwnd_limited_prev_round_ = cwnd_limited_this_round_;
  cwnd_limited_this_round_ = false;
}

// ---------------------------------------------------------------------------------------
// Pacing rate and send quantum.

void Bbr::init_pacing_rate(Duration srtt) {
  const Duration rtt = srtt > Duration::zero() ? srtt : std::chrono::milliseconds(1);
  const double nominal = static_cast<double>(initial_cwnd()) / seconds(rtt);
  pacing_rate_ = kBbrStartupPacingGain * nominal;
}

void Bbr::set_pacing_rate_with_gain(double gain) {
  const double rate = gain * static_cast<double>(model_.bw()) * (100.0 - kBbrPacingMarginPercent) / 100.0;
  // Until the pipe is known full, only raise: app-limited or early samples must not slow Startup.
  if (full_bw_.reached() || rate > pacing_rate_) pacing_rate_ = rate;
}

void Bbr::set_send_quantum() {
  const auto quantum = static_cast<uint64_t>(pacing_rate_ * 0.001);  // 1 ms worth
  send_quantum_ = std::max(std::min(quantum, kMaxSendQuantum), 2 * smss_);
}

std::optional<Bandwidth> Bbr::pacing_rate() const { return Bandwidth::from_bytes_per_second(pacing_rate_); }

// ---------------------------------------------------------------------------------------
// Congestion window.

uint64_t Bbr::quantization_budget(uint64_t inflight_cap) const {
  // Offload budget: three send quanta, as the draft's BBRUpdateOffloadBudget has it for
  // TSO. braid sends GSO trains of up to 64 datagrams and the receiver reads them in GRO
  // batches, so on short paths (loopback, datacenter) a window of one quantum would leave
  // the pipe idle while a train is in the other end's queue.
  inflight_cap = std::max({inflight_cap, 3 * send_quantum_, min_pipe_cwnd()});
  // ProbeBW_UP needs a little extra so the probe is not starved by quantization.
  if (state_ == BbrState::kProbeBwUp) inflight_cap += 2 * smss_;
  return inflight_cap;
}

void Bbr::update_max_inflight() {
  const uint64_t cap = model_.bdp_multiple(cwnd_gain_, initial_cwnd()) + model_.extra_acked();
  max_inflight_ = quantization_budget(cap);
}

void Bbr::set_cwnd(const Rs& rs) {
  update_max_inflight();
  if (full_bw_.reached()) {
    cwnd_ = std::min(cwnd_ + rs.newly_acked, max_inflight_);
  } else if (cwnd_ < max_inflight_ || delivered_ < initial_cwnd()) {
    // Startup: grow by what was delivered, even past max_inflight while it is unreliable.
    cwnd_ += rs.newly_acked;
  }
  cwnd_ = std::max(cwnd_, min_pipe_cwnd());
  bound_cwnd_for_probe_rtt();
  bound_cwnd_for_model();
}

uint64_t Bbr::probe_rtt_cwnd() const {
  return std::max(model_.bdp_multiple(kBbrProbeRttCwndGain, initial_cwnd()), min_pipe_cwnd());
}

void Bbr::bound_cwnd_for_probe_rtt() {
  if (state_ == BbrState::kProbeRtt) cwnd_ = std::min(cwnd_, probe_rtt_cwnd());
}

void Bbr::bound_cwnd_for_model() {
  uint64_t cap = kBbrUnbounded;
  // The draft's table also caps Drain with inflight_longterm (set by a loss exit from Startup).
  const bool longterm_capped =
      (is_in_probe_bw_state() && state_ != BbrState::kProbeBwCruise) || state_ == BbrState::kDrain;
  if (longterm_capped) {
    cap = model_.inflight_longterm();
  } else if (state_ == BbrState::kProbeRtt || state_ == BbrState::kProbeBwCruise) {
    cap = inflight_with_headroom();
  }
  cap = std::min(cap, model_.inflight_shortterm());
  cap = std::max(cap, min_pipe_cwnd());
  cwnd_ = std::min(cwnd_, cap);
}

uint64_t Bbr::inflight_with_headroom() const {
  // Leave room in the bottleneck for other flows below the volume that last caused loss.
  const uint64_t longterm = model_.inflight_longterm();
  if (longterm == kBbrUnbounded) return kBbrUnbounded;
  const auto headroom = std::max(smss_, static_cast<uint64_t>(kBbrHeadroom * static_cast<double>(longterm)));
  const uint64_t reduced = longterm > headroom ? longterm - headroom : 0;
  return std::max(reduced, min_pipe_cwnd());
}

uint64_t Bbr::target_inflight() const { return std::min(model_.bdp(), cwnd_); }

void Bbr::save_cwnd() {
  // Remember the last cwnd not reduced by loss recovery or ProbeRTT.
  if (!in_recovery_ && state_ != BbrState::kProbeRtt) {
    prior_cwnd_ = cwnd_;
  } else {
    prior_cwnd_ = std::max(prior_cwnd_, cwnd_);
  }
}

void Bbr::restore_cwnd() { cwnd_ = std::max(cwnd_, prior_cwnd_); }

// ---------------------------------------------------------------------------------------
// Other events.

void Bbr::on_congestion_event(const LossSample& l) {
  if (!started_) start(l.now);
  now_ = l.now;
  inflight_ = l.bytes_in_flight;
  lost_ = l.lost;
  if (l.delivered > delivered_) delivered_ = l.delivered;
  if (l.ecn_ce && l.packets.empty()) {
    // CE with nothing lost: a loss-like signal for the short-term model only (one Beta
    // reduction per round when not probing); it neither exits Startup nor sets
    // inflight_longterm.
    note_loss();
    return;
  }
  for (const LostPacket& p : l.packets) {
    ++lost_packets_in_round_;
    lost_bytes_in_round_ += p.size;
    handle_lost_packet(p, l.lost);
  }
  if (l.packets.empty() && l.bytes_lost > 0) note_loss();
  if (l.persistent_congestion) on_persistent_congestion(l);
  // A loss of a packet sent after the current recovery started begins a new recovery period.
  if (!in_recovery_ || l.largest_lost_sent_time > recovery_start_) {
    in_recovery_ = true;
    recovery_start_ = l.now;
  }
}

void Bbr::on_persistent_congestion(const LossSample& l) {
  // BBROnEnterRTO: remember the cwnd for undo and restart from what is still in flight.
  save_cwnd();
  if (!undo_valid_) save_state_upon_loss();
  cwnd_ = std::max(l.bytes_in_flight + smss_, min_pipe_cwnd());
}

void Bbr::on_spurious_congestion() {
  // BBRHandleSpuriousLossDetection.
  if (!undo_valid_) return;
  in_recovery_ = false;
  restore_cwnd();
  model_.clear_loss_in_round();
  full_bw_.restart();
  model_.set_bw_shortterm(std::max(model_.bw_shortterm(), undo_bw_shortterm_));
  model_.set_inflight_shortterm(std::max(model_.inflight_shortterm(), undo_inflight_shortterm_));
  model_.set_inflight_longterm(std::max(model_.inflight_longterm(), undo_inflight_longterm_));
  if (undo_state_ == BbrState::kStartup && state_ != BbrState::kStartup) {
    full_bw_.set_reached(false);
    if (state_ != BbrState::kProbeRtt) enter_startup();
  } else if (undo_state_ == BbrState::kProbeBwUp && state_ != BbrState::kProbeBwUp) {
    if (state_ != BbrState::kProbeRtt) start_probe_bw_refill();
  }
  undo_state_.reset();
  undo_valid_ = false;
  model_.bound_bw();
}

void Bbr::set_max_datagram_size(uint64_t bytes) {
  if (bytes == 0) return;
  smss_ = bytes;
  cwnd_ = std::max(cwnd_, min_pipe_cwnd());
  set_send_quantum();
}

std::optional<Duration> Bbr::min_rtt() const {
  if (!model_.has_min_rtt()) return std::nullopt;
  return model_.min_rtt();
}

CcMetrics Bbr::metrics() const {
  CcMetrics m;
  m.congestion_window = cwnd_;
  m.ssthresh = UINT64_MAX;
  m.state = to_cc_state(state_);
  m.pacing_rate = pacing_rate();
  m.bandwidth_estimate = Bandwidth::from_bytes_per_second(static_cast<double>(model_.bw()));
  m.min_rtt_estimate = min_rtt();
  return m;
}

}  // namespace braid::cc

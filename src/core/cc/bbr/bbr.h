// BBRv3 (draft-ietf-ccwg-bbr-06) congestion control for one path: a model of the path's
// bottleneck bandwidth and round-trip propagation delay (BbrModel) drives a paced sending
// rate and a congestion window; a state machine (Startup, Drain, ProbeBW DOWN / CRUISE /
// REFILL / UP, ProbeRTT) probes the path. Uncoupled: the CcContext group is ignored.
//
// The glue and the control parameters (pacing rate, send quantum, cwnd) are in bbr.cpp, the
// state machine and the loss response in bbr_states.cpp.
#pragma once
#include <cstdint>
#include <optional>
#include <span>

#include "braid/congestion_controller.h"
#include "core/cc/bbr/bbr_model.h"
#include "core/cc/bbr/bbr_states.h"

namespace braid::cc {

class Bbr final : public CongestionController {
 public:
  explicit Bbr(const CcContext& ctx = {});

  void on_packet_sent(const SentSample& s) override;
  void on_ack(const AckSample& s) override;
  void on_congestion_event(const LossSample& s) override;
  void on_spurious_congestion() override;
  void set_max_datagram_size(uint64_t bytes) override;
  void reset() override { *this = Bbr(ctx_); }
  uint64_t window() const override { return cwnd_; }
  std::optional<Bandwidth> pacing_rate() const override;
  CcMetrics metrics() const override;
  std::string_view name() const override { return "bbr"; }

  // Read-only views for tests, stats and qlog.
  BbrState state() const { return state_; }
  uint64_t max_bw() const { return model_.max_bw(); }  // bytes per second
  uint64_t bw() const { return model_.bw(); }          // bytes per second
  std::optional<Duration> min_rtt() const;
  bool full_bw_reached() const { return full_bw_.reached(); }
  uint64_t round_count() const { return model_.round_count(); }
  uint64_t cycle_count() const { return model_.cycle_count(); }
  uint64_t inflight_longterm() const { return model_.inflight_longterm(); }    // kBbrUnbounded if unset
  uint64_t inflight_shortterm() const { return model_.inflight_shortterm(); }  // kBbrUnbounded if unset
  uint64_t bw_shortterm() const { return model_.bw_shortterm(); }
  double pacing_gain() const { return pacing_gain_; }
  double cwnd_gain() const { return cwnd_gain_; }
  uint64_t bdp() const { return model_.bdp(); }
  uint64_t max_inflight() const { return max_inflight_; }
  uint64_t extra_acked() const { return model_.extra_acked(); }
  uint64_t send_quantum() const { return send_quantum_; }
  double pacing_rate_bytes_per_second() const { return pacing_rate_; }
  uint64_t min_pipe_cwnd() const { return kBbrMinPipePackets * smss_; }
  uint64_t initial_cwnd() const { return ctx_.initial_window_packets * smss_; }
  bool in_loss_recovery() const { return in_recovery_; }
  TimePoint probe_bw_cycle_start() const { return cycle_stamp_; }  // when ProbeBW_DOWN last began

 private:
  // The draft's per-ACK rate sample, with the few fields BBR rewrites.
  using Rs = RateSample;

  // --- Glue (bbr.cpp) ---
  void start(TimePoint now);
  Rs effective_rate_sample(const AckSample& a) const;
  void update_recovery(const AckSample& a);
  void note_cwnd_limited(const SentSample& s);
  void on_round_start();

  // --- Control parameters (bbr.cpp) ---
  void init_pacing_rate(Duration srtt);
  void set_pacing_rate_with_gain(double gain);
  void set_pacing_rate() { set_pacing_rate_with_gain(pacing_gain_); }
  void set_send_quantum();
  uint64_t quantization_budget(uint64_t inflight_cap) const;
  uint64_t inflight(double gain) const { return quantization_budget(model_.bdp_multiple(gain, initial_cwnd())); }
  void update_max_inflight();
  void set_cwnd(const Rs& rs);
  uint64_t probe_rtt_cwnd() const;
  void bound_cwnd_for_probe_rtt();
  void bound_cwnd_for_model();
  uint64_t inflight_with_headroom() const;
  uint64_t target_inflight() const;
  void save_cwnd();
  void restore_cwnd();

  // --- State machine (bbr_states.cpp) ---
  void update_model_and_state(const Rs& rs);
  void update_congestion_signals(const Rs& rs);
  void adapt_lower_bounds_from_congestion();
  void enter_startup();
  void check_startup_done();
  void check_startup_high_loss();
  void enter_drain();
  void check_drain_done();
  void enter_probe_bw();
  void start_probe_bw_down();
  void start_probe_bw_cruise();
  void start_probe_bw_refill();
  void start_probe_bw_up(const Rs& rs);
  void update_probe_bw_cycle_phase(const Rs& rs);
  bool adapt_long_term_model(const Rs& rs);
  void probe_inflight_longterm_upward(const Rs& rs);
  void raise_inflight_longterm_slope();
  bool is_time_to_probe_bw();
  bool is_time_to_cruise() const;
  bool is_time_to_go_down(const Rs& rs);
  bool is_reno_coexistence_probe_time() const;
  bool has_elapsed_in_phase(Duration interval) const { return now_ > cycle_stamp_ + interval; }
  void pick_probe_wait();
  bool is_in_probe_bw_state() const;
  bool is_probing_bw() const;
  void check_probe_rtt(const Rs& rs);
  void enter_probe_rtt();
  void handle_probe_rtt();
  void check_probe_rtt_done();
  void exit_probe_rtt();
  void mark_app_limited_for_probe_rtt();
  void handle_restart_from_idle();

  // --- Loss response (bbr_states.cpp) ---
  bool is_inflight_too_high(const Rs& rs) const;
  void handle_inflight_too_high(const Rs& rs);
  void handle_lost_packet(const LostPacket& p, uint64_t total_lost);
  uint64_t inflight_at_loss(const LostPacket& p, const Rs& rs) const;
  void note_loss();
  void save_state_upon_loss();
  void on_persistent_congestion(const LossSample& l);

  CcContext ctx_;
  uint64_t smss_;
  SplitMix64 rng_;
  bool started_ = false;  // the clocks are anchored at the first event's time

  // Inputs of the event being processed (the draft's C.*).
  TimePoint now_{};
  uint64_t delivered_ = 0;
  uint64_t lost_ = 0;
  uint64_t inflight_ = 0;
  bool has_srtt_ = false;

  BbrModel model_;
  FullBwDetector full_bw_;
  BbrState state_ = BbrState::kStartup;
  double pacing_gain_ = kBbrStartupPacingGain;
  double cwnd_gain_ = kBbrDefaultCwndGain;

  // Output control parameters.
  uint64_t cwnd_;
  double pacing_rate_ = 0;  // bytes per second
  uint64_t send_quantum_;
  uint64_t max_inflight_ = 0;
  uint64_t prior_cwnd_ = 0;

  // Drain and ProbeBW.
  uint64_t drain_start_round_ = 0;
  BbrAckPhase ack_phase_ = BbrAckPhase::kInit;
  TimePoint cycle_stamp_{};
  Duration bw_probe_wait_{};
  uint64_t rounds_since_bw_probe_ = 0;
  uint32_t bw_probe_up_rounds_ = 0;
  uint64_t bw_probe_up_acked_ = 0;
  uint64_t probe_up_acked_per_inc_ = kBbrUnbounded;
  bool is_bw_probe_sample_ = false;
  bool prev_probe_too_high_ = false;
  bool prev_probe_precautionary_ = false;

  // ProbeRTT and restart from idle.
  std::optional<TimePoint> probe_rtt_done_stamp_;
  bool probe_rtt_round_done_ = false;
  bool idle_restart_ = false;
  // BBR's MarkConnectionAppLimited, kept here because the rate sampler is the connection's:
  // samples of packets sent while P.delivered was in [from, until] are app-limited.
  std::optional<uint64_t> probe_rtt_app_limited_from_;
  uint64_t probe_rtt_app_limited_until_ = 0;

  // C.is_cwnd_limited: cwnd was full at some point in this or the previous round.
  bool cwnd_limited_this_round_ = false;
  bool cwnd_limited_prev_round_ = false;

  // Loss recovery: from a loss until a packet sent after it is ACKed.
  bool in_recovery_ = false;
  TimePoint recovery_start_{};
  // Startup's high-loss check over the current loss round (QUIC: packets, not SACK ranges).
  uint64_t lost_packets_in_round_ = 0;
  uint64_t lost_bytes_in_round_ = 0;
  uint64_t loss_round_delivered_mark_ = 0;  // delivered when the loss round began

  // Undo (§"Updating the Model Upon Detecting a Spurious Loss Recovery").
  std::optional<BbrState> undo_state_;
  uint64_t undo_bw_shortterm_ = kBbrUnbounded;
  uint64_t undo_inflight_shortterm_ = kBbrUnbounded;
  uint64_t undo_inflight_longterm_ = kBbrUnbounded;
  bool undo_valid_ = false;
};

}  // namespace braid::cc

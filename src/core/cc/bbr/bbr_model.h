// BBRv3's network path model (draft-ietf-ccwg-bbr-06 §"Updating Network Path Model
// Parameters"): packet-timed round counting, the max_bw filter over two ProbeBW cycles, the
// short-term bounds (bw_shortterm, inflight_shortterm) driven by per-round loss, the long-term
// inflight bound, min_rtt with the ProbeRTT scheduling delay, and the extra_acked
// aggregation estimate. The model holds values only; the state machine (bbr_states.cpp)
// decides when each piece is updated.
#pragma once
#include <array>
#include <cstdint>

#include "braid/congestion_controller.h"
#include "braid/time.h"

namespace braid::cc {

// "Infinity" for byte counts and rates: no bound.
inline constexpr uint64_t kBbrUnbounded = UINT64_MAX;
inline constexpr Duration kBbrInfiniteRtt = Duration::max();

inline constexpr uint64_t kBbrExtraAckedFilterLen = 10;  // packet-timed rounds
inline constexpr Duration kBbrMinRttFilterLen = std::chrono::seconds(10);
inline constexpr Duration kBbrProbeRttInterval = std::chrono::seconds(5);
inline constexpr double kBbrBeta = 0.7;

// Kathleen Nichols' windowed max filter (as in Linux lib/win_minmax.c), over a virtual time
// such as a round count: keeps the best, second-best and third-best samples of the window so
// the max can age out without storing every sample.
class WindowedMaxFilter {
 public:
  void reset(uint64_t value, uint64_t time);
  uint64_t update(uint64_t value, uint64_t time, uint64_t window);
  uint64_t get() const { return s_[0].value; }

 private:
  struct Sample {
    uint64_t value = 0;
    uint64_t time = 0;
  };
  void age(const Sample& sample, uint64_t window);
  std::array<Sample, 3> s_{};
};

class BbrModel {
 public:
  // The model starts unknown: no bandwidth, no RTT, no bounds. `now` anchors the RTT and
  // aggregation clocks.
  void init(TimePoint now);

  // --- Round counting (BBRUpdateRound / BBRStartRound) ---
  // Returns true when the ACKed packet (sent when delivered was prior_delivered) ends a round.
  bool update_round(uint64_t prior_delivered, uint64_t delivered);
  void start_round(uint64_t delivered) { next_round_delivered_ = delivered; }
  bool round_start() const { return round_start_; }
  uint64_t round_count() const { return round_count_; }

  // --- max_bw: max of the current and the previous ProbeBW cycle ---
  void update_max_bw(const RateSample& rs);
  void advance_max_bw_filter();
  uint64_t max_bw() const { return bw_hi_[0] > bw_hi_[1] ? bw_hi_[0] : bw_hi_[1]; }
  uint64_t cycle_count() const { return cycle_count_; }

  // --- Latest delivery signals and the short-term model ---
  void update_latest_delivery_signals(const RateSample& rs, uint64_t delivered);
  void advance_latest_delivery_signals(const RateSample& rs);
  void reset_congestion_signals();
  // BBRNoteLoss's bookkeeping; returns true for the first loss (or CE) of the round.
  bool note_loss(uint64_t delivered);
  bool loss_round_start() const { return loss_round_start_; }
  bool is_loss_in_round() const { return is_loss_in_round_; }
  void clear_loss_in_round() { is_loss_in_round_ = false; }
  // BBRInitLowerBounds + BBRLossLowerBounds: once per round with loss, when not probing.
  void adapt_lower_bounds(uint64_t cwnd);
  void reset_short_term() { bw_shortterm_ = inflight_shortterm_ = kBbrUnbounded; }
  uint64_t bw_latest() const { return bw_latest_; }
  uint64_t inflight_latest() const { return inflight_latest_; }
  uint64_t bw_shortterm() const { return bw_shortterm_; }
  uint64_t inflight_shortterm() const { return inflight_shortterm_; }
  void set_bw_shortterm(uint64_t v) { bw_shortterm_ = v; }
  void set_inflight_shortterm(uint64_t v) { inflight_shortterm_ = v; }

  // --- Long-term model ---
  uint64_t inflight_longterm() const { return inflight_longterm_; }
  void set_inflight_longterm(uint64_t v) { inflight_longterm_ = v; }

  // --- bw and BDP ---
  void bound_bw() { bw_ = max_bw() < bw_shortterm_ ? max_bw() : bw_shortterm_; }
  uint64_t bw() const { return bw_; }
  // gain * bw * min_rtt, or `initial_cwnd` before the first RTT sample (BBRBDPMultiple).
  uint64_t bdp_multiple(double gain, uint64_t initial_cwnd) const;
  uint64_t bdp() const { return bdp_multiple(1.0, 0); }

  // --- min_rtt and ProbeRTT scheduling (BBRUpdateMinRTT) ---
  void update_min_rtt(TimePoint now, Duration rtt);
  bool probe_rtt_expired() const { return probe_rtt_expired_; }
  // A finished ProbeRTT restarts the ProbeRTT interval.
  void schedule_next_probe_rtt(TimePoint now) { probe_rtt_min_stamp_ = now; }
  Duration min_rtt() const { return min_rtt_; }
  bool has_min_rtt() const { return min_rtt_ != kBbrInfiniteRtt; }
  Duration probe_rtt_min_delay() const { return probe_rtt_min_delay_; }

  // --- extra_acked (BBRUpdateACKAggregation) ---
  void update_ack_aggregation(TimePoint now, uint64_t newly_acked, uint64_t cwnd, bool full_bw_reached);
  void restart_aggregation_epoch(TimePoint now);
  uint64_t extra_acked() const { return extra_acked_filter_.get(); }

 private:
  // Rounds.
  uint64_t next_round_delivered_ = 0;
  uint64_t round_count_ = 0;
  bool round_start_ = false;

  // Bandwidth: bw_hi_[1] collects the current cycle, bw_hi_[0] the previous one.
  std::array<uint64_t, 2> bw_hi_{};
  uint64_t cycle_count_ = 0;
  uint64_t bw_ = 0;

  // Per-round delivery and loss signals.
  uint64_t bw_latest_ = 0;
  uint64_t inflight_latest_ = 0;
  uint64_t loss_round_delivered_ = 0;
  bool loss_round_start_ = false;
  bool is_loss_in_round_ = false;

  uint64_t bw_shortterm_ = kBbrUnbounded;
  uint64_t inflight_shortterm_ = kBbrUnbounded;
  uint64_t inflight_longterm_ = kBbrUnbounded;

  // RTT.
  Duration min_rtt_ = kBbrInfiniteRtt;
  TimePoint min_rtt_stamp_{};
  Duration probe_rtt_min_delay_ = kBbrInfiniteRtt;
  TimePoint probe_rtt_min_stamp_{};
  bool probe_rtt_expired_ = false;

  // Aggregation.
  TimePoint extra_acked_interval_start_{};
  uint64_t extra_acked_delivered_ = 0;
  WindowedMaxFilter extra_acked_filter_;
};

}  // namespace braid::cc

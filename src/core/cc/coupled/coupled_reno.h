// The part LIA, OLIA and BALIA share: a Reno-like per-path controller (RFC 9002 §7: slow
// start, one reduction per recovery period, minimum window, persistent congestion, ECN-CE as
// loss, no growth while app-limited, undo of a spurious reduction) that publishes its path's
// state into the connection's CoupledGroup after every change. Only the congestion-avoidance
// increase and the window after a loss are coupled; each algorithm supplies them as hooks
// computed from the group's counted paths.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "braid/congestion_controller.h"
#include "braid/coupled_group.h"

namespace braid::cc {

// Seconds as a double, the unit the coupled formulas are written in.
inline double coupled_seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// The paths that take part in the coupled sums, and where this controller's path is among them.
struct CoupledView {
  std::vector<CoupledGroup::Member> paths;
  size_t self = 0;
  const CoupledPathState& own() const { return paths[self].state; }
};

class CoupledReno : public CongestionController {
 public:
  explicit CoupledReno(const CcContext& ctx);

  void on_packet_sent(const SentSample&) override {}
  void on_ack(const AckSample& s) override;
  void on_congestion_event(const LossSample& s) override;
  void on_spurious_congestion() override;
  void set_max_datagram_size(uint64_t bytes) override;
  void reset() override;
  void on_path_removed() override;
  uint64_t window() const override { return cwnd_; }
  CcMetrics metrics() const override;

  uint64_t ssthresh() const { return ssthresh_; }
  uint64_t minimum_window() const { return ctx_.minimum_window_packets * mds_; }
  bool in_recovery() const { return in_recovery_; }
  bool in_slow_start() const { return cwnd_ < ssthresh_; }
  // The window including the fractional bytes not yet applied (the formulas give fractions).
  double exact_window() const { return static_cast<double>(cwnd_) + frac_; }
  PathId path_id() const { return ctx_.path_id; }
  const std::shared_ptr<CoupledGroup>& group() const { return group_; }
  // What this controller publishes for its path.
  CoupledPathState state() const;
  // The counted paths with this one among them; nullopt when this path does not count (no RTT
  // sample yet, or the connection excluded it), in which case the controller acts as Reno.
  std::optional<CoupledView> view() const;

  // Test only: puts the controller at the given window and threshold (leaving recovery),
  // so that tests can set up several paths in congestion avoidance directly.
  void set_state_for_test(uint64_t cwnd, uint64_t ssthresh);

 protected:
  // Bytes to add to the window (negative: remove) for `acked` bytes acknowledged in congestion
  // avoidance. Called only when this path counts; `v` holds the freshly published state.
  virtual double avoidance_increase(const CoupledView& v, uint64_t acked) const = 0;
  // The window after a loss on this path, before the minimum-window floor. Reno halves.
  virtual uint64_t window_after_loss(const CoupledView& v) const { return v.own().cwnd / 2; }

 private:
  // RFC 9002 §7.3.2: packets sent at or before the recovery start cannot start a new one.
  bool sent_in_recovery_period(TimePoint sent) const { return sent <= recovery_start_; }
  void grow(uint64_t acked);
  void congestion_avoidance(uint64_t acked);
  // Adds a possibly fractional, possibly negative number of bytes, never below the minimum.
  void apply_increase(double bytes);
  void enter_recovery(TimePoint now);
  void rotate_loss_counters();
  void publish() const;

  struct Saved {
    uint64_t cwnd, ssthresh;
    double frac;
    TimePoint recovery_start;
    bool rotated;
    uint64_t acked_between_losses;
  };

  CcContext ctx_;
  std::shared_ptr<CoupledGroup> group_;
  uint64_t mds_;
  uint64_t cwnd_;
  uint64_t ssthresh_ = UINT64_MAX;
  double frac_ = 0;  // fractional bytes of increase not yet in cwnd_, in [0, 1)
  Duration srtt_{};
  bool has_rtt_sample_ = false;
  TimePoint recovery_start_ = TimePoint::min();
  bool in_recovery_ = false;
  // OLIA's l_r: bytes acked since the last loss episode and between the two before it.
  uint64_t acked_since_loss_ = 0;
  uint64_t acked_between_losses_ = 0;
  std::optional<Saved> saved_;  // before the most recent reduction, for on_spurious_congestion
};

}  // namespace braid::cc

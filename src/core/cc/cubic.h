// CUBIC (RFC 9438) with HyStart++ (RFC 9406) for the initial slow start. Window arithmetic
// is in bytes; the cubic function itself is evaluated in segments as the RFC states it.
#pragma once
#include <cstdint>
#include <optional>

#include "braid/congestion_controller.h"
#include "core/cc/hystart.h"

namespace braid::cc {

inline constexpr double kCubicC = 0.4;
inline constexpr double kCubicBeta = 0.7;
inline constexpr double kCubicAlpha = 3.0 * (1.0 - kCubicBeta) / (1.0 + kCubicBeta);

class Cubic final : public CongestionController {
 public:
  explicit Cubic(const CcContext& ctx = {}, bool hystart = true);

  void on_packet_sent(const SentSample& s) override;
  void on_ack(const AckSample& s) override;
  void on_congestion_event(const LossSample& s) override;
  void on_spurious_congestion() override;
  void set_max_datagram_size(uint64_t bytes) override;
  void reset() override { *this = Cubic(cfg_, hystart_enabled_); }
  uint64_t window() const override { return static_cast<uint64_t>(cwnd_); }
  CcMetrics metrics() const override;
  std::string_view name() const override { return "cubic"; }

  uint64_t ssthresh() const { return ssthresh_; }
  uint64_t minimum_window() const { return cfg_.minimum_window_packets * mds_; }
  bool in_recovery() const { return in_recovery_; }
  double w_max_bytes() const { return w_max_; }
  double w_est_bytes() const { return w_est_; }
  // K in seconds for the current epoch (0 before the first avoidance epoch).
  double k_seconds() const { return k_; }
  const HyStart& hystart() const { return hystart_; }
  // K = cbrt((W_max - cwnd_epoch) / C), both in segments (RFC 9438 §4.2).
  static double compute_k(double w_max_segments, double cwnd_epoch_segments);

 private:
  bool sent_in_recovery_period(TimePoint sent) const { return sent <= recovery_start_; }
  void congestion_avoidance(const AckSample& s, uint64_t acked);
  double w_cubic_bytes(double t_seconds) const;

  struct State {
    double cwnd, w_max, cwnd_prior, w_est, k, cwnd_epoch;
    uint64_t ssthresh;
    std::optional<TimePoint> epoch_start;
    TimePoint recovery_start;
  };
  State snapshot() const;
  void restore(const State& st);

  CcContext cfg_;
  uint64_t mds_;
  bool hystart_enabled_;
  HyStart hystart_;
  double cwnd_;
  uint64_t ssthresh_ = UINT64_MAX;
  double w_max_ = 0;        // bytes
  double cwnd_prior_ = 0;   // bytes, window just before the last reduction
  double w_est_ = 0;        // bytes, Reno-friendly estimate
  double k_ = 0;            // seconds
  double cwnd_epoch_ = 0;   // bytes
  std::optional<TimePoint> epoch_start_;  // set by the first ACK in avoidance
  TimePoint recovery_start_ = TimePoint::min();
  bool in_recovery_ = false;
  std::optional<State> saved_;  // before the last reduction (spurious-congestion undo)
};

}  // namespace braid::cc

// CUBIC congestion avoidance (RFC 9438 §4): the cubic window around W_max, the
// Reno-friendly estimate, fast convergence, multiplicative decrease by beta = 0.7, and
// undo of a reduction later found spurious. Slow start defers to HyStart++.
#include "core/cc/cubic.h"

#include <algorithm>
#include <cmath>

namespace braid::cc {

namespace {
double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }
}  // namespace

Cubic::Cubic(const CcContext& cfg, bool hystart)
    : cfg_(cfg),
      mds_(cfg.max_datagram_size),
      hystart_enabled_(hystart),
      cwnd_(static_cast<double>(std::max(cfg.initial_window_packets, cfg.minimum_window_packets) *
                                cfg.max_datagram_size)) {
  if (!hystart_enabled_) hystart_.on_congestion();
}

double Cubic::compute_k(double w_max_segments, double cwnd_epoch_segments) {
  double diff = w_max_segments - cwnd_epoch_segments;
  return diff <= 0 ? 0.0 : std::cbrt(diff / kCubicC);
}

double Cubic::w_cubic_bytes(double t) const {
  double w_max_seg = w_max_ / static_cast<double>(mds_);
  double d = t - k_;
  return (kCubicC * d * d * d + w_max_seg) * static_cast<double>(mds_);
}

void Cubic::on_packet_sent(const SentSample& s) { hystart_.on_packet_sent(s.now); }

void Cubic::on_ack(const AckSample& s) {
  if (sent_in_recovery_period(s.sent_time)) return;
  in_recovery_ = false;
  if (s.app_limited) return;  // the window was not tested (RFC 9438 §5.8, RFC 9002 §7.8)
  uint64_t acked = s.bytes_acked;
  if (static_cast<uint64_t>(cwnd_) < ssthresh_) {
    if (hystart_.phase() != HyStart::Phase::kDone) {
      uint64_t grow = hystart_.on_ack(s);
      if (hystart_.phase() != HyStart::Phase::kDone) {
        cwnd_ += static_cast<double>(grow);
        return;
      }
      // CSS ran its rounds: the current window becomes ssthresh (RFC 9406 §4.3).
      ssthresh_ = static_cast<uint64_t>(cwnd_);
    } else {
      cwnd_ += static_cast<double>(acked);
      return;
    }
  }
  congestion_avoidance(s, acked);
}

void Cubic::congestion_avoidance(const AckSample& s, uint64_t acked) {
  const double mds = static_cast<double>(mds_);
  if (!epoch_start_) {
    epoch_start_ = s.now;
    cwnd_epoch_ = cwnd_;
    w_est_ = cwnd_;
    if (w_max_ < cwnd_) {
      // No reduction yet (slow start ended by HyStart++ or ssthresh): plateau starts here.
      w_max_ = cwnd_;
      k_ = 0;
    } else {
      k_ = compute_k(w_max_ / mds, cwnd_epoch_ / mds);
    }
  }
  double t = seconds(s.now - *epoch_start_);
  double rtt = seconds(s.smoothed_rtt);

  // Reno-friendly estimate (§4.3); alpha becomes 1 once W_est has regained cwnd_prior.
  double alpha = w_est_ >= cwnd_prior_ ? 1.0 : kCubicAlpha;
  w_est_ += alpha * static_cast<double>(acked) / cwnd_ * mds;

  double w_cubic = w_cubic_bytes(t);
  if (w_cubic < w_est_) {
    cwnd_ = std::max(cwnd_, w_est_);
    return;
  }
  // Concave/convex regions (§4.4, §4.5): aim for W_cubic one RTT ahead, within
  // [cwnd, 1.5 cwnd], and close the gap by (target - cwnd) / cwnd per acked segment.
  double target = std::clamp(w_cubic_bytes(t + rtt), cwnd_, 1.5 * cwnd_);
  cwnd_ += (target - cwnd_) * static_cast<double>(acked) / cwnd_;
}

Cubic::State Cubic::snapshot() const {
  return State{cwnd_, w_max_, cwnd_prior_, w_est_, k_, cwnd_epoch_, ssthresh_, epoch_start_, recovery_start_};
}

void Cubic::restore(const State& st) {
  cwnd_ = st.cwnd;
  w_max_ = st.w_max;
  cwnd_prior_ = st.cwnd_prior;
  w_est_ = st.w_est;
  k_ = st.k;
  cwnd_epoch_ = st.cwnd_epoch;
  ssthresh_ = st.ssthresh;
  epoch_start_ = st.epoch_start;
  recovery_start_ = st.recovery_start;
}

void Cubic::on_congestion_event(const LossSample& s) {
  if (!sent_in_recovery_period(s.largest_lost_sent_time)) {
    saved_ = snapshot();
    hystart_.on_congestion();
    recovery_start_ = s.now;
    in_recovery_ = true;
    // Fast convergence (§4.7): release bandwidth when the plateau keeps shrinking.
    w_max_ = cwnd_ < w_max_ ? cwnd_ * (1.0 + kCubicBeta) / 2.0 : cwnd_;
    cwnd_prior_ = cwnd_;
    double reduced = std::max(cwnd_ * kCubicBeta, static_cast<double>(minimum_window()));
    ssthresh_ = static_cast<uint64_t>(reduced);
    cwnd_ = static_cast<double>(ssthresh_);
    epoch_start_.reset();
  }
  if (s.persistent_congestion) {
    cwnd_ = static_cast<double>(minimum_window());
    recovery_start_ = TimePoint::min();
    in_recovery_ = false;
    epoch_start_.reset();
    saved_.reset();
  }
}

void Cubic::on_spurious_congestion() {
  // §4.9: the reduction was unnecessary; return to the state before it.
  if (!saved_) return;
  restore(*saved_);
  saved_.reset();
  in_recovery_ = false;
}

void Cubic::set_max_datagram_size(uint64_t bytes) {
  if (bytes == 0) return;
  mds_ = bytes;
  cwnd_ = std::max(cwnd_, static_cast<double>(minimum_window()));
}

CcMetrics Cubic::metrics() const {
  CcState state = CcState::kSlowStart;
  if (in_recovery_) state = CcState::kRecovery;
  else if (static_cast<uint64_t>(cwnd_) >= ssthresh_) state = CcState::kCongestionAvoidance;
  else if (hystart_.in_css()) state = CcState::kConservativeSlowStart;
  return CcMetrics{window(), ssthresh_, state, std::nullopt, std::nullopt, std::nullopt};
}

}  // namespace braid::cc

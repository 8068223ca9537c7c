// NewReno for QUIC (RFC 9002 §7 and Appendix B). Avoidance growth is counted in whole
// acknowledged windows so that it is exactly one datagram per window, whatever the ACK size.
#include "core/cc/new_reno.h"

#include <algorithm>

namespace braid::cc {

NewReno::NewReno(const CcContext& cfg)
    : cfg_(cfg), mds_(cfg.max_datagram_size), cwnd_(cfg.initial_window_packets * cfg.max_datagram_size) {
  cwnd_ = std::max(cwnd_, minimum_window());
}

void NewReno::on_ack(const AckSample& s) {
  if (sent_in_recovery_period(s.sent_time)) return;
  in_recovery_ = false;
  // §7.8: an application- or flow-control-limited sender has not tested the window.
  if (s.app_limited) return;
  uint64_t acked = s.bytes_acked;
  if (cwnd_ < ssthresh_) {
    uint64_t to_threshold = ssthresh_ - cwnd_;
    uint64_t grow = std::min(acked, to_threshold);
    cwnd_ += grow;
    acked -= grow;
    if (acked == 0) return;
  }
  ca_acked_bytes_ += acked;
  while (ca_acked_bytes_ >= cwnd_) {
    ca_acked_bytes_ -= cwnd_;
    cwnd_ += mds_;
  }
}

void NewReno::on_congestion_event(const LossSample& s) {
  if (!sent_in_recovery_period(s.largest_lost_sent_time)) {
    saved_ = Saved{cwnd_, ssthresh_, recovery_start_};
    have_saved_ = true;
    recovery_start_ = s.now;
    in_recovery_ = true;
    ssthresh_ = std::max(cwnd_ / 2, minimum_window());  // kLossReductionFactor = 0.5
    cwnd_ = ssthresh_;
    ca_acked_bytes_ = 0;
  }
  if (s.persistent_congestion) {
    // §7.6.2: collapse to the minimum window; the next loss starts a fresh recovery period.
    cwnd_ = minimum_window();
    recovery_start_ = TimePoint::min();
    in_recovery_ = false;
    have_saved_ = false;
    ca_acked_bytes_ = 0;
  }
}

void NewReno::on_spurious_congestion() {
  if (!have_saved_) return;
  cwnd_ = std::max(cwnd_, saved_.cwnd);
  ssthresh_ = saved_.ssthresh;
  recovery_start_ = saved_.recovery_start;
  in_recovery_ = false;
  have_saved_ = false;
}

void NewReno::set_max_datagram_size(uint64_t bytes) {
  if (bytes == 0) return;
  mds_ = bytes;
  cwnd_ = std::max(cwnd_, minimum_window());
}

CcMetrics NewReno::metrics() const {
  CcState state = in_recovery_        ? CcState::kRecovery
                  : cwnd_ < ssthresh_ ? CcState::kSlowStart
                                      : CcState::kCongestionAvoidance;
  return CcMetrics{cwnd_, ssthresh_, state, std::nullopt, std::nullopt, std::nullopt};
}

}  // namespace braid::cc

// NewReno congestion control as specified for QUIC (RFC 9002 §7, Appendix B): slow start,
// congestion avoidance, one window reduction per recovery period, and the minimum window
// after persistent congestion. ECN-CE is handled exactly like loss.
#pragma once
#include <cstdint>

#include "braid/congestion_controller.h"

namespace braid::cc {

class NewReno final : public CongestionController {
 public:
  explicit NewReno(const CcContext& ctx = {});

  void on_packet_sent(const SentSample&) override {}
  void on_ack(const AckSample& s) override;
  void on_congestion_event(const LossSample& s) override;
  void on_spurious_congestion() override;
  void set_max_datagram_size(uint64_t bytes) override;
  void reset() override { *this = NewReno(cfg_); }
  uint64_t window() const override { return cwnd_; }
  CcMetrics metrics() const override;
  std::string_view name() const override { return "reno"; }

  uint64_t ssthresh() const { return ssthresh_; }
  uint64_t minimum_window() const { return cfg_.minimum_window_packets * mds_; }
  bool in_recovery() const { return in_recovery_; }

 private:
  // RFC 9002 §7.3.2: packets sent at or before the recovery start cannot start a new one.
  bool sent_in_recovery_period(TimePoint sent) const { return sent <= recovery_start_; }

  CcContext cfg_;
  uint64_t mds_;
  uint64_t cwnd_;
  uint64_t ssthresh_ = UINT64_MAX;
  uint64_t ca_acked_bytes_ = 0;  // bytes acked towards the next +1 mds in avoidance
  TimePoint recovery_start_ = TimePoint::min();
  bool in_recovery_ = false;
  // State before the most recent reduction, for on_spurious_congestion.
  struct Saved { uint64_t cwnd, ssthresh; TimePoint recovery_start; };
  bool have_saved_ = false;
  Saved saved_{};
};

}  // namespace braid::cc

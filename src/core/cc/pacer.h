// Token-bucket pacer (RFC 9002 §7.7): spreads a path's congestion window over its RTT at
// rate N * cwnd / smoothed_rtt (N = 1.25) unless the controller supplies its own pacing
// rate, allowing bursts of up to `burst_packets`.
#pragma once
#include <cstdint>
#include <optional>

#include "braid/congestion_controller.h"
#include "braid/time.h"

namespace braid::cc {

class Pacer {
 public:
  explicit Pacer(uint64_t max_datagram_size = 1200, uint64_t burst_packets = 10);

  // Refreshes the rate from the controller's window or explicit pacing rate.
  void update(uint64_t cwnd, Duration smoothed_rtt, std::optional<Bandwidth> explicit_rate);
  // Earliest time a packet of `bytes` may leave; <= now means it may leave now.
  TimePoint next_send_time(TimePoint now, uint64_t bytes) const;
  void on_packet_sent(TimePoint now, uint64_t bytes);
  void set_max_datagram_size(uint64_t bytes);
  double rate_bytes_per_second() const { return rate_; }

 private:
  void refill(TimePoint now) const;
  uint64_t mds_;
  uint64_t burst_packets_;
  double rate_ = 0;             // bytes per second; 0 = not paced
  mutable double tokens_;       // bytes
  mutable TimePoint last_{};
  mutable bool started_ = false;  // last_ is meaningful
  // Burst allowance: the configured packets, grown to 2 ms at the pacing rate (at most 1024
  // packets, ~6 Gbit/s of 1452-byte datagrams) so fast paths are not woken per handful of
  // packets: at 64 packets a paced path above ~370 Mbit/s (BBR on loopback) was woken every
  // 0.2 ms and lost tokens whenever the loop was late.
  uint64_t capacity() const;
};

}  // namespace braid::cc

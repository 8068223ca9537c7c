// HyStart++ (RFC 9406): leaves the initial slow start early when the per-round minimum RTT
// rises, through Conservative Slow Start (CSS) rounds that grow the window 4x slower. A
// round ends when a packet sent after the round began is acknowledged (the CC sees send
// times, not packet numbers).
#pragma once
#include <cstdint>

#include "braid/congestion_controller.h"

namespace braid::cc {

inline constexpr Duration kHystartMinRttThresh = std::chrono::milliseconds(4);
inline constexpr Duration kHystartMaxRttThresh = std::chrono::milliseconds(16);
inline constexpr int64_t kHystartMinRttDivisor = 8;
inline constexpr uint32_t kHystartNRttSample = 8;
inline constexpr uint64_t kHystartCssGrowthDivisor = 4;
inline constexpr uint32_t kHystartCssRounds = 5;

class HyStart {
 public:
  enum class Phase : uint8_t { kSlowStart, kConservative, kDone };

  void on_packet_sent(TimePoint now) { last_sent_ = now; }
  // Feeds one ACK received in slow start. Returns the bytes by which the window may grow
  // (bytes_acked in slow start, bytes_acked / 4 in CSS). After it returns with phase() ==
  // kDone, the caller sets ssthresh = cwnd and moves to congestion avoidance.
  uint64_t on_ack(const AckSample& s);
  // Loss or ECN-CE ends HyStart++ for the connection's lifetime (initial slow start only).
  void on_congestion() { phase_ = Phase::kDone; }

  Phase phase() const { return phase_; }
  bool in_css() const { return phase_ == Phase::kConservative; }
  uint32_t rounds() const { return rounds_; }
  Duration current_round_min_rtt() const { return current_round_min_; }
  Duration last_round_min_rtt() const { return last_round_min_; }

 private:
  static constexpr Duration kInfinite = Duration::max();
  void start_round();

  Phase phase_ = Phase::kSlowStart;
  bool round_started_ = false;
  TimePoint last_sent_ = TimePoint::min();
  TimePoint window_end_ = TimePoint::min();  // newest send time when the round began
  uint32_t rounds_ = 0;
  Duration last_round_min_ = kInfinite;
  Duration current_round_min_ = kInfinite;
  uint32_t samples_ = 0;
  Duration css_baseline_ = kInfinite;
  uint32_t css_rounds_ = 0;
};

}  // namespace braid::cc

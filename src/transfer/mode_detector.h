// Which kind of network a transfer runs over, after the reference's rules: datacenter
// (RTT < 10 ms and bandwidth > 1 Gbit/s), internet (RTT > 50 ms or bandwidth < 1 Gbit/s),
// hybrid otherwise. Decided on averaged history so it does not flap: samples of the
// connection's RTT and bandwidth are taken every check_interval / 10, the last
// `history` samples (one check interval's worth by default) each vote, and at every check
// interval the mode switches when the votes for another mode reach the confidence
// threshold (default 0.7). Conditions that change at time T therefore switch the mode by
// T + 2 × check_interval at most. A forced mode never changes.
#pragma once
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "braid/time.h"

namespace braid::transfer {

enum class TransferMode : uint8_t { kDatacenter, kHybrid, kInternet };
const char* to_string(TransferMode m);
std::optional<TransferMode> parse_mode(const std::string& s);   // "datacenter", "hybrid", "internet"

// The reference's rule for one (RTT, bandwidth) observation.
TransferMode classify(Duration rtt, double bandwidth_bits_per_second);

struct ModeDetectorConfig {
  double confidence = 0.7;
  Duration check_interval = std::chrono::seconds(5);   // at least 100 ms
  size_t history = 10;                                   // samples that vote (≥ 1)
  TransferMode initial = TransferMode::kHybrid;          // until the first decision
  std::optional<TransferMode> forced;
};

class ModeDetector {
 public:
  explicit ModeDetector(ModeDetectorConfig cfg);

  // When the next sample is due.
  TimePoint next_sample() const { return next_sample_; }
  // One observation: the connection's RTT and its bandwidth (bits per second). Returns the
  // new mode when this sample completed a check interval that switched it.
  std::optional<TransferMode> sample(TimePoint now, Duration rtt, double bandwidth_bits_per_second);
  // No usable path to measure at `now` (none has an RTT sample, or all are suspect): no
  // vote, and the next sample is one interval later, as after a sample.
  void skip_sample(TimePoint now) { next_sample_ = now + sample_interval(); }

  TransferMode mode() const { return mode_; }
  // Share of the voting samples that agree with the leading mode at the last check.
  double confidence() const { return confidence_; }
  TimePoint last_check() const { return last_check_; }
  uint32_t switches() const { return switches_; }
  Duration sample_interval() const;

 private:
  ModeDetectorConfig cfg_;
  TransferMode mode_;
  std::deque<TransferMode> votes_;
  TimePoint started_ = kNever, next_sample_{}, next_check_ = kNever, last_check_{};
  double confidence_ = 0;
  uint32_t switches_ = 0;
};

}  // namespace braid::transfer

// Low-latency scheduler (ALGORITHMS.md §2.4: QDC selectPathLowLatency, AMQ LowLatency and
// MinRTT(rttBias), with the load term the brief recommends): among paths that can send pick
// the lowest srtt^b · (1 + load)^(1−b), load = bytes_in_flight / cwnd (current load, not
// lifetime counters), b = rtt_bias; b = 0.5 orders paths exactly by srtt × (1 + load).
// A path without an RTT sample and nothing in flight is taken first so it gets a sample;
// one whose first packets are still out is used only when no sampled path can send.
#pragma once
#include "braid/path_scheduler.h"

namespace braid::sched {

class LowLatencyScheduler final : public PathScheduler {
 public:
  explicit LowLatencyScheduler(double rtt_bias) : rtt_bias_(rtt_bias) {}
  PathChoice select(std::span<const PathSnapshot> paths, const SendIntent& intent, TimePoint now) override;
  std::string_view name() const override { return "lowlat"; }

 private:
  double rtt_bias_;
};

}  // namespace braid::sched

// Test helper: feeds a Link with timed sends and collects every delivery by jumping from one
// next_delivery_time() to the next, the way the simulator will drive it.
#pragma once
#include <vector>

#include "sim/link_model.h"

namespace braid::sim::testing {

struct Send {
  TimePoint at;
  uint32_t bytes;
  uint64_t id;
};

struct Run {
  std::vector<Delivery> deliveries;
  std::vector<EnqueueResult> verdicts;  // one per send
};

inline Run drive(Link& link, const std::vector<Send>& sends, TimePoint until = kNever) {
  Run run;
  size_t i = 0;
  for (;;) {
    TimePoint next_send = i < sends.size() ? sends[i].at : kNever;
    TimePoint next_delivery = link.next_delivery_time();
    if (next_send == kNever && next_delivery == kNever) break;
    if (next_delivery <= next_send) {
      if (next_delivery > until) break;
      link.pop_delivered(next_delivery, run.deliveries);
    } else {
      run.verdicts.push_back(link.enqueue(next_send, sends[i].bytes, sends[i].id));
      ++i;
    }
  }
  return run;
}

// `count` packets of `bytes`, one every `gap`, ids 0..count-1.
inline std::vector<Send> paced(size_t count, uint32_t bytes, Duration gap, TimePoint start = TimePoint{}) {
  std::vector<Send> s;
  for (size_t i = 0; i < count; ++i) s.push_back({start + static_cast<int64_t>(i) * gap, bytes, i});
  return s;
}

}  // namespace braid::sim::testing

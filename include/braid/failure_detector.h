// Path failure detectors (F-DETECT): a detector judges one path from values the connection
// hands it (ACK progress, what is owed, RTT statistics) and says whether the path is live,
// suspect or down, and when its verdict would next change. The connection owns the state
// machine around it (health, probing, failover, recovery; core/path/health_tracker.h).
//
// Built-in detectors, created by name plus parameters ("fast", "phi:suspect=8,down=16"):
//   fast  ACK progress against the path's own RTT statistics while data is owed
//         (ALGORITHMS.md §4.4); the default.
//   pf    potentially-failed: sending without ACK progress for max(500 ms, 4·SRTT).
//   phi   φ-accrual (Hayashibara et al.) over the silence between ACK progress events.
#pragma once
#include <array>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "braid/plugin_params.h"
#include "braid/time.h"

namespace braid {

// What a detector sees of one path at one instant. Silence S (the time the path has owed
// an ACK without giving one) = owed_packets > 0 ? now - max(last_progress, oldest_owed_sent)
// : 0. A path with nothing owed (idle, app-limited and drained) is never judged down.
struct DetectorInput {
  TimePoint now{};
  bool has_rtt_sample = false;
  Duration smoothed_rtt{}, rtt_variance{}, min_rtt{};   // initial RTT (or prior) before a sample
  Duration latest_rtt{};                                // newest sample (0 before one)
  Duration max_ack_delay{};                             // the peer's: how long it may hold an ACK
  // The last time an ACK newly acknowledged a packet sent on this path (on whichever path
  // the ACK travelled); TimePoint{} if none ever did.
  TimePoint last_progress{};
  // Ack-eliciting packets in flight on this path sent after the newest packet any ACK has
  // covered (counted up to a small cap), and when the oldest of them was sent.
  uint32_t owed_packets = 0;   // counted up to kMaxOwed
  TimePoint oldest_owed_sent{};
  // Send times of the owed packets, oldest first (the first min(owed_packets, kMaxOwed)).
  static constexpr uint32_t kMaxOwed = 16;
  std::array<TimePoint, kMaxOwed> owed_sent{};

  Duration silence() const {
    if (owed_packets == 0) return Duration::zero();
    TimePoint from = last_progress > oldest_owed_sent ? last_progress : oldest_owed_sent;
    return now > from ? now - from : Duration::zero();
  }
};

enum class Liveness : uint8_t { kLive, kSuspect, kDown };
std::string_view liveness_name(Liveness l);

struct DetectorVerdict {
  Liveness liveness = Liveness::kLive;
  // When the verdict changes if no ACK arrives and nothing new is sent (kNever: it does
  // not, e.g. nothing is owed, or already down).
  TimePoint next_check = kNever;
  // Too few packets owed to judge reliably: the connection should send a probe (PING).
  bool wants_probe = false;
  // The detector's own measure, for stats and logs: φ for "phi", S over the suspect
  // threshold for the others.
  double score = 0;
};

class FailureDetector {
 public:
  virtual ~FailureDetector() = default;
  virtual std::string_view name() const = 0;
  // A heartbeat: an ACK newly acknowledged packets sent on this path at `now`; `silence`
  // is the path's S just before it arrived (how long the ACK had been owed).
  virtual void on_progress(TimePoint now, Duration silence) = 0;
  // The verdict for this instant. Must not change state: the connection calls it whenever
  // it needs a deadline (poll_timeout) as well as when a timer fires.
  virtual DetectorVerdict assess(const DetectorInput& in) const = 0;
  // The path moved to another 4-tuple or recovered from a failure: forget history.
  virtual void reset() {}
};

using FailureDetectorFactory =
    std::function<std::expected<std::unique_ptr<FailureDetector>, std::string>(const PluginParams&)>;

// Creates a detector by name plus parameters; unknown names or keys are errors that list
// what is known.
std::expected<std::unique_ptr<FailureDetector>, std::string> make_failure_detector(const PluginSpec& spec);
void register_failure_detector(std::string name, FailureDetectorFactory factory);
std::vector<std::string> failure_detector_names();

}  // namespace braid

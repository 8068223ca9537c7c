// Path health state machine (ALGORITHMS.md §4.4): HEALTHY → SUSPECT (reversible: no new
// data, in-flight data reinjected, probe bursts) → FAILED (probed at a growing interval) →
// PROBING (answers again, on probation) → HEALTHY. The detector plugin judges liveness from
// values; this class turns verdicts into transitions reported exactly once, and says when
// probes are due. Values in, decisions out: the connection applies them.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>

#include "braid/config.h"
#include "braid/failure_detector.h"
#include "braid/path.h"

namespace braid::path {

struct HealthInput {
  DetectorInput detector;
  // Another path sent ack-eliciting packets after this one last did: this path is idle
  // while the connection is busy, and is kept warm by idle probes.
  bool idle_while_busy = false;
  TimePoint last_ack_eliciting_sent{};   // on this path
  // Receive side: a path that stopped delivering while the others still do is probed even
  // when this end only sends ACKs on it (a receiver owes nothing, so it would never judge).
  TimePoint last_received{};             // newest packet with data (more than PING/ACK) on this path
  TimePoint others_last_received{};      // the same, newest on any other usable path
  double loss_rate = 0;                  // lost / sent on this path (ACKs get lost there too)
};

struct HealthTransition {
  PathHealth from;
  PathHealth to;
};

class HealthTracker {
 public:
  HealthTracker(std::unique_ptr<FailureDetector> detector, const FailureDetectionConfig& cfg);

  PathHealth health() const { return health_; }
  const FailureDetector& detector() const { return *detector_; }

  // An ACK newly acknowledged packets of this path; `silence` as in DetectorInput.
  void on_progress(TimePoint now, Duration silence);
  // The next transition the input calls for, if any (call again until nullopt: a path
  // can go SUSPECT and FAILED in one step after a long gap).
  std::optional<HealthTransition> update(const HealthInput& in);
  // PINGs to send on the path now, and bookkeeping once they are queued.
  uint32_t probes_due(const HealthInput& in) const;
  void on_probes_queued(TimePoint now, uint32_t n);
  // When update() or probes_due() next has something to do (kNever: nothing pending).
  TimePoint deadline(const HealthInput& in) const;
  // The path moved to another 4-tuple: start over as healthy, history forgotten.
  void reset();

  TimePoint failed_since() const { return failed_since_; }
  uint64_t probes_sent() const { return probes_sent_; }
  uint32_t suspicions() const { return suspicions_; }
  uint32_t failures() const { return failures_; }
  uint32_t recoveries() const { return recoveries_; }

 private:
  Duration probe_gap(const DetectorInput& in) const;   // between bursts while suspect/probing
  // How long after the newest ack-eliciting packet its ACK must have come: a path is not
  // suspected before then (it had a fresh chance to answer).
  static Duration fresh_wait(const DetectorInput& in);
  // Fewer packets owed than DetectorInput counts: a few lost ACKs could explain a silence.
  static bool few_owed(const DetectorInput& in);
  struct ProbePlan {
    TimePoint at = kNever;
    uint32_t count = 0;
    bool elicit = false;
  };
  // `v` is the detector's verdict for `in` (assessed once by the caller).
  ProbePlan next_probe(const HealthInput& in, const DetectorVerdict& v) const;
  std::optional<HealthTransition> move(PathHealth to, TimePoint now);

  std::unique_ptr<FailureDetector> detector_;
  FailureDetectionConfig cfg_;
  PathHealth health_ = PathHealth::kHealthy;
  TimePoint last_probe_{};          // last probe burst queued
  bool probed_ = false;
  TimePoint last_quiet_probe_{};    // last probe sent because the path went quiet
  // ACK elicitation while healthy: a PING pair (acknowledged at once) when a path that owes
  // several packets has gone quiet both ways, at most kMaxElicit per silence.
  uint32_t elicited_ = 0;
  TimePoint last_elicit_{};
  mutable bool next_is_elicit_ = false;   // what the last probes_due() answered (for on_probes_queued)
  Duration failed_interval_{};      // current probe interval while failed (doubles)
  TimePoint failed_since_ = kNever;
  TimePoint probation_start_{};
  uint32_t probation_acks_ = 0;     // progress events since probation began
  uint32_t probation_needed_ = 0;
  TimePoint last_recovery_{};
  bool recovered_before_ = false;
  uint64_t probes_sent_ = 0;
  uint32_t suspicions_ = 0, failures_ = 0, recoveries_ = 0;
};

}  // namespace braid::path

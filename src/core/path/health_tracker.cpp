// Path health state machine; see health_tracker.h.
#include "core/path/health_tracker.h"

#include <algorithm>

namespace braid::path {

namespace {
constexpr Duration kFlapWindow = std::chrono::seconds(5);   // failing again this soon doubles probation
constexpr Duration kMaxProbeGap = std::chrono::milliseconds(120);
constexpr Duration kMinProbeGap = std::chrono::milliseconds(5);
constexpr Duration kMinTopUpGap = std::chrono::milliseconds(1);
constexpr Duration kMinQuietGap = std::chrono::milliseconds(100);   // receive-quiet probes, at most this often
constexpr uint32_t kMaxElicit = 2;          // elicitation bursts per silence
constexpr uint32_t kElicitMinOwed = 2;      // a lone packet (a message) just waits for its delayed ACK
constexpr double kElicitLoss = 0.01;        // only where ACKs get lost: the path loses packets
}  // namespace

HealthTracker::HealthTracker(std::unique_ptr<FailureDetector> detector, const FailureDetectionConfig& cfg)
    : detector_(std::move(detector)), cfg_(cfg), failed_interval_(cfg.failed_probe_min),
      probation_needed_(cfg.recover_acks) {}

void HealthTracker::on_progress(TimePoint now, Duration silence) {
  detector_->on_progress(now, silence);
  elicited_ = 0;
  if (health_ == PathHealth::kFailed || health_ == PathHealth::kProbing) probation_acks_++;
}

std::optional<HealthTransition> HealthTracker::move(PathHealth to, TimePoint now) {
  HealthTransition t{health_, to};
  health_ = to;
  switch (to) {
    case PathHealth::kSuspect:
      suspicions_++;
      probed_ = false;   // a burst at once
      break;
    case PathHealth::kFailed:
      failures_++;
      if (t.from != PathHealth::kProbing) failed_since_ = now;
      failed_interval_ = cfg_.failed_probe_min;
      probation_acks_ = 0;
      // A path that fails again soon after it recovered must prove itself for longer.
      probation_needed_ = recovered_before_ && now - last_recovery_ < kFlapWindow
                              ? std::min(probation_needed_ * 2, cfg_.recover_acks * 8)
                              : cfg_.recover_acks;
      break;
    case PathHealth::kProbing:
      probation_start_ = now;
      probed_ = false;
      break;
    case PathHealth::kHealthy:
      if (t.from == PathHealth::kProbing) {
        recoveries_++;
        last_recovery_ = now;
        recovered_before_ = true;
        failed_since_ = kNever;
      }
      break;
  }
  return t;
}

std::optional<HealthTransition> HealthTracker::update(const HealthInput& in) {
  const auto& d = in.detector;
  auto v = detector_->assess(d);
  switch (health_) {
    case PathHealth::kHealthy:
      // With few packets owed (a small window: a couple of lost ACKs explain the silence),
      // not before the newest packet had its chance to be acknowledged (ACK elicitation).
      // With a full count owed the ACKs of that many packets all went missing: judge now.
      if (v.liveness != Liveness::kLive &&
          (!few_owed(d) || d.now >= in.last_ack_eliciting_sent + fresh_wait(d))) {
        return move(PathHealth::kSuspect, d.now);
      }
      break;
    case PathHealth::kSuspect:
      if (v.liveness == Liveness::kLive) return move(PathHealth::kHealthy, d.now);
      if (v.liveness == Liveness::kDown) return move(PathHealth::kFailed, d.now);
      break;
    case PathHealth::kFailed:
      if (probation_acks_ > 0 && v.liveness == Liveness::kLive) return move(PathHealth::kProbing, d.now);
      break;
    case PathHealth::kProbing:
      if (v.liveness != Liveness::kLive) return move(PathHealth::kFailed, d.now);
      if (probation_acks_ >= probation_needed_ && d.now - probation_start_ >= d.smoothed_rtt) {
        return move(PathHealth::kHealthy, d.now);
      }
      break;
  }
  return std::nullopt;
}

Duration HealthTracker::probe_gap(const DetectorInput& in) const {
  Duration r = in.smoothed_rtt + std::max(4 * in.rtt_variance, Duration(std::chrono::milliseconds(4))) +
               in.max_ack_delay;
  Duration floor = std::max(kMinProbeGap, in.min_rtt.count() > 0 ? in.min_rtt * 3 / 2 : in.smoothed_rtt * 3 / 2);
  Duration cap = std::max(kMaxProbeGap, in.smoothed_rtt * 3 / 2);   // as the fast detector's T_s
  return std::clamp(r, std::min(floor, cap), cap);
}

bool HealthTracker::few_owed(const DetectorInput& in) { return in.owed_packets < DetectorInput::kMaxOwed; }

Duration HealthTracker::fresh_wait(const DetectorInput& in) {
  // max_ack_delay too: if one PING of a pair is lost the peer holds its ACK that long.
  return in.smoothed_rtt + std::max(4 * in.rtt_variance, Duration(std::chrono::milliseconds(4))) + in.max_ack_delay +
         std::chrono::milliseconds(1);
}

HealthTracker::ProbePlan HealthTracker::next_probe(const HealthInput& in, const DetectorVerdict& v) const {
  const auto& d = in.detector;
  switch (health_) {
    case PathHealth::kSuspect:
    case PathHealth::kProbing: return {probed_ ? last_probe_ + probe_gap(d) : d.now, cfg_.probe_burst, false};
    case PathHealth::kFailed:
      return {last_probe_ + std::max(failed_interval_, probe_gap(d)), cfg_.probe_burst, false};
    case PathHealth::kHealthy: break;
  }
  ProbePlan plan;
  auto consider = [&](TimePoint t, uint32_t n, bool elicit) {
    if (t < plan.at) plan = {std::max(t, d.now), n, elicit};
  };
  if (v.wants_probe) {
    // Too little owed to judge: top up with PINGs a quarter RTT apart.
    consider(probed_ ? last_probe_ + std::max(d.smoothed_rtt / 4, kMinTopUpGap) : d.now, 1, false);
  }
  if (d.owed_packets >= kElicitMinOwed && few_owed(d) && elicited_ < kMaxElicit && in.loss_rate >= kElicitLoss) {
    // Quiet both ways while packets are owed on a lossy path (a small window whose ACKs
    // were lost): a PING pair makes the peer acknowledge everything it has at once.
    TimePoint t = std::max(d.oldest_owed_sent + d.smoothed_rtt / 2,
                           in.last_ack_eliciting_sent + std::max(d.smoothed_rtt / 4, kMinTopUpGap));
    t = std::max(t, d.last_progress + d.smoothed_rtt / 2);
    if (elicited_ > 0) t = std::max(t, last_elicit_ + d.smoothed_rtt / 2);
    consider(t, 2, true);
  }
  if (d.owed_packets == 0 && cfg_.probe_interval.count() > 0) {
    // At most once per probe interval: a path the peer merely has nothing to send on is
    // quiet too, and must not be probed more often than an idle one.
    Duration quiet = std::max({probe_gap(d), kMinQuietGap, cfg_.probe_interval});
    if (in.others_last_received > in.last_received + quiet) consider(last_quiet_probe_ + quiet, 1, false);
  }
  if (in.idle_while_busy && d.owed_packets == 0 && cfg_.probe_interval.count() > 0) {
    consider(in.last_ack_eliciting_sent + cfg_.probe_interval, 1, false);
  }
  return plan;
}

uint32_t HealthTracker::probes_due(const HealthInput& in) const {
  auto plan = next_probe(in, detector_->assess(in.detector));
  next_is_elicit_ = plan.at <= in.detector.now && plan.elicit;
  if (plan.at > in.detector.now) return 0;
  return plan.count;
}

void HealthTracker::on_probes_queued(TimePoint now, uint32_t n) {
  if (health_ == PathHealth::kHealthy) last_quiet_probe_ = now;
  if (health_ == PathHealth::kHealthy && next_is_elicit_) {
    elicited_++;
    last_elicit_ = now;
  }
  last_probe_ = now;
  probed_ = true;
  probes_sent_ += n;
  if (health_ == PathHealth::kFailed) failed_interval_ = std::min(failed_interval_ * 2, cfg_.failed_probe_max);
}

TimePoint HealthTracker::deadline(const HealthInput& in) const {
  const auto& d = in.detector;
  auto v = detector_->assess(d);
  TimePoint t = std::min(v.next_check, next_probe(in, v).at);
  if (health_ == PathHealth::kHealthy && v.liveness != Liveness::kLive && few_owed(d)) {
    t = std::min(t, std::max(d.now, in.last_ack_eliciting_sent + fresh_wait(d)));
  }
  if (health_ == PathHealth::kProbing && probation_acks_ >= probation_needed_) {
    t = std::min(t, probation_start_ + d.smoothed_rtt);
  }
  return t;
}

void HealthTracker::reset() {
  detector_->reset();
  health_ = PathHealth::kHealthy;
  probed_ = false;
  failed_since_ = kNever;
  failed_interval_ = cfg_.failed_probe_min;
  probation_acks_ = 0;
  probation_needed_ = cfg_.recover_acks;
}

}  // namespace braid::path

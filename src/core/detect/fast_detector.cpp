// The "fast" detector's thresholds and verdict; see fast_detector.h.
#include "core/detect/fast_detector.h"

#include <algorithm>

namespace braid::detect {

namespace {
// The first instant at which the silence counted from `from` exceeds `d` (thresholds are
// strict, so a timer set for it sees the new verdict).
TimePoint first_past(TimePoint from, Duration d) {
  Duration step = d + Duration(1);
  return from > kNever - step ? kNever : from + step;
}
}  // namespace

std::expected<std::unique_ptr<FailureDetector>, std::string> FastDetector::create(const PluginParams& params) {
  ParamReader r("fast", params);
  FastDetectorParams p;
  p.k_min = static_cast<uint32_t>(r.count("k_min", p.k_min, 1, DetectorInput::kMaxOwed));
  p.max_suspect = r.duration("max_suspect", p.max_suspect);
  p.min_suspect = r.duration("min_suspect", p.min_suspect);
  p.down_after = static_cast<uint32_t>(r.count("down_after", p.down_after, 1, 100));
  if (auto ok = r.finish(); !ok) return std::unexpected(ok.error());
  if (p.max_suspect <= Duration::zero()) {
    return std::unexpected("fast: parameter max_suspect=" + params.find("max_suspect")->second + " must be positive");
  }
  if (p.min_suspect < Duration::zero() || p.min_suspect > p.max_suspect) {
    return std::unexpected("fast: parameter min_suspect must be between 0 and max_suspect");
  }
  return std::make_unique<FastDetector>(p);
}

Duration FastDetector::suspect_threshold(const DetectorInput& in) const {
  Duration r = in.smoothed_rtt + std::max(4 * in.rtt_variance, Duration(std::chrono::milliseconds(4))) +
               in.max_ack_delay;
  Duration base = in.min_rtt > Duration::zero() ? in.min_rtt : in.smoothed_rtt;
  // A queue that is filling makes each RTT sample longer than the last, faster than srtt
  // follows: 1.5x the newest sample is a floor too.
  // And never below min_suspect: on sub-millisecond paths a peer's ACK timer slop and a busy
  // host's scheduling (picoquic's ACKs came 15 ms late on loaded loopback) exceed R.
  Duration floor = std::max(std::max(base, in.latest_rtt) * 3 / 2, p_.min_suspect);
  // The cap keeps an inflated rttvar from slowing detection, but never below twice the
  // RTT: on a long path (satellite, 600 ms) the first ACK after an idle spell comes a
  // whole RTT after the send, and a cap under that would suspect every such path.
  Duration cap = std::max(p_.max_suspect, 2 * std::max(in.smoothed_rtt, in.latest_rtt));
  // Not std::clamp: a lower bound above the cap must lose to it.
  return std::min(std::max(r, floor), cap);
}

DetectorVerdict FastDetector::assess(const DetectorInput& in) const {
  DetectorVerdict v;
  if (in.owed_packets == 0) return v;   // idle or drained: nothing to judge
  Duration ts = suspect_threshold(in);
  Duration td = ts * (1 + p_.down_after);
  if (in.owed_packets < p_.k_min) {
    // Too few packets to judge (one lost packet or ACK would do): live, and once the oldest
    // one's ACK is overdue (R, so a delayed ACK is not) the connection tops up with PINGs
    // until k_min are owed.
    Duration probe_after = in.smoothed_rtt + std::max(4 * in.rtt_variance, Duration(std::chrono::milliseconds(4))) +
                           in.max_ack_delay;
    TimePoint from = in.oldest_owed_sent;
    Duration a = in.now > from ? in.now - from : Duration::zero();
    v.score = static_cast<double>(a.count()) / static_cast<double>(ts.count());
    if (a > probe_after) v.wants_probe = true;
    else v.next_check = first_past(from, probe_after);
    return v;
  }
  // The k_min-th oldest owed packet: every one of the k_min oldest has waited this long.
  TimePoint from = in.owed_sent[std::min(p_.k_min, DetectorInput::kMaxOwed) - 1];
  Duration a = in.now > from ? in.now - from : Duration::zero();
  v.score = static_cast<double>(a.count()) / static_cast<double>(ts.count());
  if (a > td) {
    v.liveness = Liveness::kDown;   // judged: the connection's own probing takes over
    return v;
  }
  v.liveness = a > ts ? Liveness::kSuspect : Liveness::kLive;
  v.next_check = first_past(from, v.liveness == Liveness::kLive ? ts : td);
  return v;
}

}  // namespace braid::detect

// The "pf" detector's threshold and verdict; see potentially_failed.h.
#include "core/detect/potentially_failed.h"

#include <algorithm>
#include <cmath>

namespace braid::detect {

namespace {
// The first instant at which the silence counted from `from` exceeds `d` (thresholds are
// strict, so a timer set for it sees the new verdict).
TimePoint first_past(TimePoint from, Duration d) {
  Duration step = d + Duration(1);
  return from > kNever - step ? kNever : from + step;
}

Duration scaled(Duration d, double f) { return Duration(std::llround(static_cast<double>(d.count()) * f)); }
}  // namespace

std::expected<std::unique_ptr<FailureDetector>, std::string> PotentiallyFailedDetector::create(
    const PluginParams& params) {
  ParamReader r("pf", params);
  PotentiallyFailedParams p;
  p.min = r.duration("min", p.min);
  p.srtt_factor = r.number("srtt_factor", p.srtt_factor, 1, 100);
  p.down_factor = r.number("down_factor", p.down_factor, 1, 100);
  if (auto ok = r.finish(); !ok) return std::unexpected(ok.error());
  if (p.min <= Duration::zero()) {
    return std::unexpected("pf: parameter min=" + params.find("min")->second + " must be positive");
  }
  return std::make_unique<PotentiallyFailedDetector>(p);
}

Duration PotentiallyFailedDetector::suspect_threshold(const DetectorInput& in) const {
  return std::max(p_.min, scaled(in.smoothed_rtt, p_.srtt_factor));
}

DetectorVerdict PotentiallyFailedDetector::assess(const DetectorInput& in) const {
  DetectorVerdict v;
  if (in.owed_packets == 0) return v;   // idle or drained: nothing to judge
  Duration s = in.silence();
  Duration ts = suspect_threshold(in);
  Duration td = scaled(ts, p_.down_factor);
  v.score = static_cast<double>(s.count()) / static_cast<double>(ts.count());
  if (s > td) {
    v.liveness = Liveness::kDown;
    return v;
  }
  v.liveness = s > ts ? Liveness::kSuspect : Liveness::kLive;
  v.next_check = first_past(std::max(in.last_progress, in.oldest_owed_sent), v.liveness == Liveness::kLive ? ts : td);
  return v;
}

}  // namespace braid::detect

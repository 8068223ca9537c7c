// BLEST's wait-or-use-the-slow-path test.
#include "core/sched/blest.h"

#include <algorithm>

#include "core/sched/affinity.h"
#include "core/sched/min_rtt.h"
#include "core/sched/usable.h"

namespace braid::sched {

namespace {
uint64_t packets(uint64_t bytes, const PathSnapshot& p) { return bytes / std::max<uint64_t>(p.max_datagram_size, 1); }

// How long a datagram sent now on s stays unacknowledged: between the lowest and highest
// smoothed RTT s has shown, by how full its window would be, and at least its srtt.
Duration linger_time(const PathSnapshot& s) {
  uint64_t inflight = packets(s.bytes_in_flight, s) + 1;
  uint64_t cwnd = std::max<uint64_t>(packets(s.congestion_window, s), 1);
  Duration estimate = s.srtt_max_seen;
  if (inflight < cwnd) {
    auto slope = s.srtt_max_seen - s.srtt_min_seen;
    estimate = s.srtt_min_seen + slope * static_cast<int64_t>(inflight) / static_cast<int64_t>(cwnd);
  }
  return std::max(s.smoothed_rtt, estimate);
}

// Bytes f would send during t, assuming Reno growth (doubling in the initial slow start).
double fast_bytes(const PathSnapshot& f, Duration t, double lambda) {
  Duration avg = (f.srtt_min_seen + f.srtt_max_seen) / 2;
  uint64_t rtts = avg > Duration::zero() ? static_cast<uint64_t>(t / avg) + 1 : 1;
  uint64_t cwnd = packets(f.congestion_window, f);
  double pkts = 0;   // in double: a large ssthresh times many RTTs would overflow
  if (f.ssthresh == UINT64_MAX) {
    pkts = static_cast<double>(cwnd) * static_cast<double>((uint64_t{1} << std::min<uint64_t>(rtts, 16)) - 1);
  } else {
    uint64_t ca = std::max(cwnd, packets(f.ssthresh, f) + 1);
    pkts = (static_cast<double>(ca) + static_cast<double>((rtts - 1) / 2)) * static_cast<double>(rtts);
  }
  return pkts * static_cast<double>(f.max_datagram_size) * lambda;
}
}  // namespace

PathChoice BlestScheduler::select(std::span<const PathSnapshot> paths, const SendIntent& intent, TimePoint) {
  if (auto pinned = pinned_choice(paths, intent)) return *pinned;
  bool tier = backup_tier(paths);
  const PathSnapshot* s = lowest_rtt(paths, tier, true);
  if (!s) return {};
  const PathSnapshot* f = lowest_rtt(paths, tier, false);
  // Without RTT samples there is nothing to weigh: min-RTT's choice (the path needs samples).
  if (f == s || !f->has_rtt_sample || !s->has_rtt_sample) return PathChoice::one(s->path_id);
  uint64_t len = intent.bytes > 0 ? std::min(intent.bytes, s->max_datagram_size) : s->max_datagram_size;
  uint64_t occupied = len + s->bytes_in_flight;
  double avail = intent.send_window > occupied ? static_cast<double>(intent.send_window - occupied) : 0.0;
  if (fast_bytes(*f, linger_time(*s), lambda_) > avail) return {};   // s would block f: wait for f
  return PathChoice::one(s->path_id);
}

}  // namespace braid::sched

// Latency percentiles (nearest rank), traffic counter sums and Jain's fairness index.
#include "sim/metrics.h"

#include <algorithm>
#include <cmath>

namespace braid::sim {

namespace {
double ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
}  // namespace

LatencySummary summarize_latencies(std::vector<Duration> samples) {
  LatencySummary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.samples = samples.size();
  double sum = 0;
  for (auto d : samples) sum += ms(d);
  s.mean_ms = sum / static_cast<double>(samples.size());
  auto rank = [&](double q) {
    size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(samples.size())));
    return ms(samples[std::clamp<size_t>(i, 1, samples.size()) - 1]);
  };
  s.p50_ms = rank(0.50);
  s.p90_ms = rank(0.90);
  s.p99_ms = rank(0.99);
  s.p999_ms = rank(0.999);
  s.max_ms = ms(samples.back());
  return s;
}

TrafficCounters& TrafficCounters::operator+=(const TrafficCounters& o) {
  bytes_sent += o.bytes_sent;
  bytes_received += o.bytes_received;
  stream_bytes_sent += o.stream_bytes_sent;
  stream_bytes_received += o.stream_bytes_received;
  duplicate_bytes_sent += o.duplicate_bytes_sent;
  reinjected_bytes_sent += o.reinjected_bytes_sent;
  duplicate_bytes_received += o.duplicate_bytes_received;
  packets_sent += o.packets_sent;
  packets_received += o.packets_received;
  packets_lost += o.packets_lost;
  return *this;
}

double jain_fairness(const std::vector<double>& values) {
  if (values.empty()) return 1;
  double sum = 0, sq = 0;
  for (double v : values) sum += v, sq += v * v;
  if (sq == 0) return 1;
  return sum * sum / (static_cast<double>(values.size()) * sq);
}

}  // namespace braid::sim

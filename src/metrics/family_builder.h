// Small helpers the family builders share: a family with its HELP text and type, and one
// sample with its labels. Internal to src/metrics.
#pragma once
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

namespace braid::metrics::detail {

using Labels = std::vector<prometheus::ClientMetric::Label>;

inline prometheus::MetricFamily family(std::string name, std::string help, prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

// One sample: the value lands in the counter or gauge slot the family's type reads.
inline void add_sample(prometheus::MetricFamily& f, Labels labels, double value) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  if (f.type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
}

inline prometheus::MetricFamily counter(std::string name, std::string help) {
  return family(std::move(name), std::move(help), prometheus::MetricType::Counter);
}
inline prometheus::MetricFamily gauge(std::string name, std::string help) {
  return family(std::move(name), std::move(help), prometheus::MetricType::Gauge);
}

}  // namespace braid::metrics::detail

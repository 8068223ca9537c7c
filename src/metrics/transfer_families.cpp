// Adaptive-transfer families (braid_transfer_*): the values src/transfer fills in.
#include <algorithm>

#include "metrics/family_builder.h"
#include "metrics/metrics_families.h"

namespace braid::metrics {

using detail::add_sample;

Families transfer_families(const TransferMetricsValues& v) {
  detail::Labels role{{"role", v.role}};
  Families out;
  auto add = [&](prometheus::MetricFamily f, double value) {
    add_sample(f, role, value);
    out.push_back(std::move(f));
  };
  add(detail::counter("braid_transfer_bytes_transferred_total", "Transfer bytes done and verified"),
      static_cast<double>(v.bytes_done));
  add(detail::gauge("braid_transfer_bytes", "Size of the transfer (0: not known yet)"), static_cast<double>(v.bytes_total));
  add(detail::gauge("braid_transfer_progress_ratio", "Bytes done over the transfer size, 0 to 1"),
      v.bytes_total ? std::min(1.0, static_cast<double>(v.bytes_done) / static_cast<double>(v.bytes_total)) : 0.0);
  add(detail::gauge("braid_transfer_active_streams", "Streams carrying chunks now"), static_cast<double>(v.active_streams));
  add(detail::counter("braid_transfer_streams_total", "Streams the transfer opened"), static_cast<double>(v.total_streams));
  add(detail::gauge("braid_transfer_throughput_bytes_per_second", "Recent transfer throughput"),
      v.throughput_bytes_per_second);
  auto chunks = detail::counter("braid_transfer_chunks_total", "Chunks finished, by result");
  for (const auto& [result, n] : {std::pair{"ok", v.chunks_ok_total}, std::pair{"failed", v.chunks_failed_total},
                                  std::pair{"retried", v.chunks_retried_total}}) {
    add_sample(chunks, {{"role", v.role}, {"result", result}}, static_cast<double>(n));
  }
  out.push_back(std::move(chunks));
  auto mode = detail::gauge("braid_transfer_mode", "1 for the transfer mode in use, 0 for the others");
  std::vector<std::string> modes = v.modes;
  if (!v.mode.empty() && std::find(modes.begin(), modes.end(), v.mode) == modes.end()) modes.push_back(v.mode);
  for (const auto& m : modes) add_sample(mode, {{"role", v.role}, {"mode", m}}, m == v.mode ? 1.0 : 0.0);
  out.push_back(std::move(mode));
  return out;
}

}  // namespace braid::metrics

// Text formatting of relay counters.
#include "netem/stats_format.h"

#include <fmt/format.h>

namespace braid::netem {

namespace {

std::string direction(const char* name, const sim::LinkCounters& c, uint64_t prev_bytes, double interval_s) {
  double mbps = interval_s > 0 ? (c.delivered_bytes - prev_bytes) * 8.0 / interval_s / 1e6 : 0;
  return fmt::format("{} in={} out={} bytes={} rate={:.2f}Mbit/s drop[queue={} loss={} down={} mtu={}] dup={} queue_hw={}B",
                     name, c.offered_packets, c.delivered_packets, c.delivered_bytes, mbps, c.dropped_queue,
                     c.dropped_loss, c.dropped_down, c.dropped_mtu, c.duplicated_packets, c.queue_high_water_bytes);
}

}  // namespace

std::string format_path_stats(size_t path, double elapsed_s, double interval_s, const PathCounters& c,
                              uint64_t prev_up_bytes, uint64_t prev_down_bytes, bool up) {
  return fmt::format("t={:.3f}s path={} state={} flows={} | {} | {} | store_full={} send_err={} flow_limit={}\n",
                     elapsed_s, path, up ? "up" : "down", c.flows, direction("up:", c.uplink, prev_up_bytes, interval_s),
                     direction("down:", c.downlink, prev_down_bytes, interval_s), c.store_full_drops, c.send_errors,
                     c.flow_limit_drops);
}

}  // namespace braid::netem

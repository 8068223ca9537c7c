// One check per [expect] key; per-client bounds apply to every client.
#include "sim/expectations.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace braid::sim {

namespace {

std::string describe(const HealthRecord& h) {
  return fmt::format("{:.3f} s {} path {}: {}", h.at_s, h.server ? "server" : "client", h.path_id, h.what);
}

// The first record about scenario path `path` saying `what`, at or after `from`.
const HealthRecord* first_after(const ClientResult& c, size_t path, std::string_view what, double from) {
  for (const auto& h : c.health) {
    if (h.path == path && h.what == what && h.at_s >= from - 1e-9) return &h;
  }
  return nullptr;
}

void check_health(const Expectations& e, const ClientResult& c, std::vector<std::string>& f) {
  if (e.max_health_transitions) {
    std::vector<std::string> seen;
    for (const auto& h : c.health) {
      if (h.what == "suspect" || h.what == "failed") seen.push_back(describe(h));
    }
    if (seen.size() > *e.max_health_transitions) {
      f.push_back(fmt::format("max_health_transitions: client {}: {} > {} ({})", c.name, seen.size(),
                              *e.max_health_transitions, fmt::join(seen, "; ")));
    }
  }
  if (e.must_degrade && !c.degraded) f.push_back(fmt::format("must_degrade: client {}: bonding never degraded", c.name));
  if (e.min_failed_paths) {
    std::set<uint64_t> failed;
    for (const auto& h : c.health) {
      if (h.what == "failed") failed.insert(h.path_id);
    }
    if (failed.size() < *e.min_failed_paths) {
      f.push_back(fmt::format("min_failed_paths: client {}: {} < {}", c.name, failed.size(), *e.min_failed_paths));
    }
  }
  for (const auto& w : c.outages) {
    const HealthRecord* failed = first_after(c, w.path, "failed", w.from_s);
    if (failed && failed->at_s > w.until_s) failed = nullptr;
    if (e.max_detection_s) {
      if (!failed) {
        f.push_back(fmt::format("max_detection_s: client {}: path {} outage at {:.3f} s never detected", c.name,
                                w.path, w.from_s));
      } else if (failed->at_s - w.from_s > *e.max_detection_s) {
        f.push_back(fmt::format("max_detection_s: client {}: path {} outage at {:.3f} s detected after {:.3f} s > {}",
                                c.name, w.path, w.from_s, failed->at_s - w.from_s, *e.max_detection_s));
      }
    }
    if (e.max_recovery_s && failed && std::isfinite(w.until_s)) {
      const HealthRecord* data = first_after(c, w.path, "carries data", w.until_s);
      if (!data) {
        f.push_back(fmt::format("max_recovery_s: client {}: path {} never carried data after its outage ended at "
                                "{:.3f} s", c.name, w.path, w.until_s));
      } else if (data->at_s - w.until_s > *e.max_recovery_s) {
        f.push_back(fmt::format("max_recovery_s: client {}: path {} carried data {:.3f} s after its outage > {}",
                                c.name, w.path, data->at_s - w.until_s, *e.max_recovery_s));
      }
    }
  }
  if (e.min_path_stream_bytes) {
    for (size_t i = 0; i < c.paths.size(); ++i) {
      uint64_t b = c.paths[i].stream_bytes_up + c.paths[i].stream_bytes_down;
      if (b < *e.min_path_stream_bytes) {
        f.push_back(fmt::format("min_path_stream_bytes: client {}: path {} ({}) carried {} < {}", c.name, i,
                                c.paths[i].name, b, *e.min_path_stream_bytes));
      }
    }
  }
}

}  // namespace

std::vector<std::string> check_expectations(const Expectations& e, const SimulationResult& r) {
  std::vector<std::string> f;
  for (const auto& c : r.clients) {
    if (e.must_complete && !c.completed) f.push_back(fmt::format("must_complete: client {}: {}", c.name, c.failure));
    if (e.must_not_complete && c.completed) {
      f.push_back(fmt::format("must_not_complete: client {} completed in {:.3f} s", c.name, c.completion_s));
    }
    if (e.min_goodput_mbps && c.goodput_mbps < *e.min_goodput_mbps) {
      f.push_back(fmt::format("min_goodput_mbps: client {}: {:.3f} < {}", c.name, c.goodput_mbps, *e.min_goodput_mbps));
    }
    if (e.max_goodput_mbps && c.goodput_mbps > *e.max_goodput_mbps) {
      f.push_back(fmt::format("max_goodput_mbps: client {}: {:.3f} > {}", c.name, c.goodput_mbps, *e.max_goodput_mbps));
    }
    if (e.max_completion_s && (!c.completed || c.completion_s > *e.max_completion_s)) {
      f.push_back(fmt::format("max_completion_s: client {}: {} > {}", c.name,
                              c.completed ? fmt::format("{:.3f}", c.completion_s) : "not completed", *e.max_completion_s));
    }
    if (e.max_stall_s && c.longest_stall_s > *e.max_stall_s) {
      f.push_back(fmt::format("max_stall_s: client {}: {:.3f} > {}", c.name, c.longest_stall_s, *e.max_stall_s));
    }
    // Message bounds apply to each workload that sends messages; a client with several
    // names the workload ("client c workload 1 (messages)").
    bool any_latency = false;
    for (size_t i = 0; i < c.workloads.size(); ++i) {
      const auto& w = c.workloads[i];
      std::string who = c.workloads.size() == 1 ? fmt::format("client {}", c.name)
                                                : fmt::format("client {} workload {} ({})", c.name, i, w.kind);
      if (w.corrupt_bytes) {
        f.push_back(fmt::format("stream content: {}: {} bytes differ from what was sent", who, w.corrupt_bytes));
      }
      if (w.messages_corrupt) {
        f.push_back(fmt::format("message content: {}: {} messages arrived corrupt", who, w.messages_corrupt));
      }
      if (!w.has_latency) continue;
      any_latency = true;
      if (e.min_delivery_ratio && w.messages_sent > 0) {
        double ratio = static_cast<double>(w.messages_delivered) / static_cast<double>(w.messages_sent);
        if (ratio < *e.min_delivery_ratio) {
          f.push_back(fmt::format("min_delivery_ratio: {}: {:.4f} < {}", who, ratio, *e.min_delivery_ratio));
        }
      }
      if (e.max_p99_latency_ms && (w.latency.samples == 0 || w.latency.p99_ms > *e.max_p99_latency_ms)) {
        f.push_back(fmt::format("max_p99_latency_ms: {}: {:.3f} > {} ({} samples)", who, w.latency.p99_ms,
                                *e.max_p99_latency_ms, w.latency.samples));
      }
    }
    if (e.max_p99_latency_ms && !any_latency) {
      f.push_back(fmt::format("max_p99_latency_ms: client {}: no workload measures latency", c.name));
    }
    check_health(e, c, f);
  }
  if (e.min_stall_s) {
    double longest = 0;
    for (const auto& c : r.clients) longest = std::max(longest, c.longest_stall_s);
    if (longest < *e.min_stall_s) f.push_back(fmt::format("min_stall_s: longest stall {:.3f} < {}", longest, *e.min_stall_s));
  }
  if (e.min_total_goodput_mbps && r.total_goodput_mbps < *e.min_total_goodput_mbps) {
    f.push_back(fmt::format("min_total_goodput_mbps: {:.3f} < {}", r.total_goodput_mbps, *e.min_total_goodput_mbps));
  }
  if (e.min_jain_fairness && r.jain_fairness < *e.min_jain_fairness) {
    f.push_back(fmt::format("min_jain_fairness: {:.4f} < {}", r.jain_fairness, *e.min_jain_fairness));
  }
  if (e.min_packets_lost) {
    uint64_t lost = 0;
    for (const auto& c : r.clients) lost += c.packets_lost;
    if (lost < *e.min_packets_lost) f.push_back(fmt::format("min_packets_lost: {} < {}", lost, *e.min_packets_lost));
  }
  return f;
}

}  // namespace braid::sim

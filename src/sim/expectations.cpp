// One check per [expect] key; per-client bounds apply to every client.
#include "sim/expectations.h"

#include <algorithm>
#include <fmt/format.h>

namespace braid::sim {

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

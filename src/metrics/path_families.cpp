// Path-level families (braid_path_*), one series per (role, path_id); the aggregation rule
// over several connections is in metrics_families.h.
#include <algorithm>
#include <array>
#include <map>

#include "braid/path.h"
#include "metrics/family_builder.h"
#include "metrics/metrics_families.h"

namespace braid::metrics {

using detail::add_sample;
using detail::Labels;

namespace {

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

struct PathSeries {
  const char* name;
  const char* help;
  double (*value)(const PathStats&);
};

// Summed over open and closed connections.
constexpr std::array kCounters{
    PathSeries{"braid_path_packets_sent_total", "QUIC packets sent on the path",
               [](const PathStats& p) { return double(p.packets_sent); }},
    PathSeries{"braid_path_packets_received_total", "QUIC packets received on the path",
               [](const PathStats& p) { return double(p.packets_received); }},
    PathSeries{"braid_path_packets_lost_total", "Packets sent on the path and declared lost",
               [](const PathStats& p) { return double(p.packets_lost); }},
    PathSeries{"braid_path_packets_missing_total", "Packet numbers the peer sent on the path that never arrived",
               [](const PathStats& p) { return double(p.packets_missing); }},
    PathSeries{"braid_path_bytes_sent_total", "UDP payload bytes sent on the path",
               [](const PathStats& p) { return double(p.bytes_sent); }},
    PathSeries{"braid_path_bytes_received_total", "UDP payload bytes received on the path",
               [](const PathStats& p) { return double(p.bytes_received); }},
    PathSeries{"braid_path_stream_bytes_sent_total", "Stream data bytes sent on the path",
               [](const PathStats& p) { return double(p.stream_bytes_sent); }},
    PathSeries{"braid_path_stream_bytes_received_total", "Stream data bytes received on the path",
               [](const PathStats& p) { return double(p.stream_bytes_received); }},
    PathSeries{"braid_path_duplicate_bytes_sent_total", "Stream bytes sent on the path as copies (duplication)",
               [](const PathStats& p) { return double(p.duplicate_bytes_sent); }},
    PathSeries{"braid_path_reinjected_bytes_total", "Bytes the path held when it stalled, queued again on others",
               [](const PathStats& p) { return double(p.reinjected_bytes_sent); }},
    PathSeries{"braid_path_duplicate_bytes_received_total", "Stream bytes received on the path that had already arrived",
               [](const PathStats& p) { return double(p.duplicate_bytes_received); }},
    PathSeries{"braid_path_suspicions_total", "Times failure detection marked the path suspect",
               [](const PathStats& p) { return double(p.suspicions); }},
    PathSeries{"braid_path_failures_total", "Times failure detection marked the path failed",
               [](const PathStats& p) { return double(p.failures); }},
    PathSeries{"braid_path_recoveries_total", "Times a suspect or failed path recovered",
               [](const PathStats& p) { return double(p.recoveries); }},
    PathSeries{"braid_path_probes_total", "PINGs sent to probe the path (idle, backup, suspect or failed)",
               [](const PathStats& p) { return double(p.probes_sent); }},
};

// Maximum over open connections.
constexpr std::array kGauges{
    PathSeries{"braid_path_rtt_smoothed_seconds", "Smoothed RTT (RFC 9002)",
               [](const PathStats& p) { return seconds(p.smoothed_rtt); }},
    PathSeries{"braid_path_rtt_min_seconds", "Minimum RTT seen", [](const PathStats& p) { return seconds(p.min_rtt); }},
    PathSeries{"braid_path_rtt_latest_seconds", "Latest RTT sample",
               [](const PathStats& p) { return seconds(p.latest_rtt); }},
    PathSeries{"braid_path_rtt_variance_seconds", "RTT variation (rttvar, RFC 9002)",
               [](const PathStats& p) { return seconds(p.rtt_variance); }},
    PathSeries{"braid_path_congestion_window_bytes", "Congestion window",
               [](const PathStats& p) { return double(p.congestion_window); }},
    PathSeries{"braid_path_bytes_in_flight", "Bytes sent and not yet acknowledged or lost",
               [](const PathStats& p) { return double(p.bytes_in_flight); }},
    PathSeries{"braid_path_pacing_rate_bytes_per_second", "Pacing rate of the congestion controller (0: unpaced)",
               [](const PathStats& p) { return double(p.pacing_rate_bytes_per_second); }},
    PathSeries{"braid_path_delivery_rate_bytes_per_second", "Newest delivery-rate sample",
               [](const PathStats& p) { return double(p.delivery_rate_bytes_per_second); }},
    PathSeries{"braid_path_mtu_bytes", "Maximum UDP payload the path carries (PMTU)",
               [](const PathStats& p) { return double(p.max_datagram_size); }},
};

constexpr std::array kPathStates{PathState::kCreated, PathState::kValidating, PathState::kValidated,
                                 PathState::kActive,  PathState::kStandby,    PathState::kClosing,
                                 PathState::kClosed,  PathState::kFailed};
constexpr std::array kHealths{PathHealth::kHealthy, PathHealth::kSuspect, PathHealth::kFailed, PathHealth::kProbing};

// The paths of one role grouped by path ID.
struct PathGroup {
  std::vector<const PathStats*> open;
  const PathStats* closed = nullptr;
};

std::map<PathId, PathGroup> group(const RoleValues& r) {
  std::map<PathId, PathGroup> g;
  for (const auto& s : r.open) {
    for (const auto& p : s.paths) g[p.path_id].open.push_back(&p);
  }
  for (const auto& p : r.closed.paths) g[p.path_id].closed = &p;
  return g;
}

Labels path_labels(const RoleValues& r, PathId id) { return {{"role", r.role}, {"path_id", std::to_string(id)}}; }

}  // namespace

Families path_families(std::span<const RoleValues> roles) {
  std::vector<std::map<PathId, PathGroup>> groups;
  for (const auto& r : roles) groups.push_back(group(r));
  Families out;
  for (const auto& c : kCounters) {
    auto f = detail::counter(c.name, c.help);
    for (size_t i = 0; i < roles.size(); ++i) {
      for (const auto& [id, g] : groups[i]) {
        double sum = g.closed ? c.value(*g.closed) : 0;
        for (const auto* p : g.open) sum += c.value(*p);
        add_sample(f, path_labels(roles[i], id), sum);
      }
    }
    out.push_back(std::move(f));
  }
  for (const auto& c : kGauges) {
    auto f = detail::gauge(c.name, std::string(c.help) + " (largest over open connections)");
    for (size_t i = 0; i < roles.size(); ++i) {
      for (const auto& [id, g] : groups[i]) {
        if (g.open.empty()) continue;
        double v = 0;
        for (const auto* p : g.open) v = std::max(v, c.value(*p));
        add_sample(f, path_labels(roles[i], id), v);
      }
    }
    out.push_back(std::move(f));
  }
  auto state = detail::gauge("braid_path_state", "Open connections whose path is in each state (one-hot for one)");
  auto health = detail::gauge("braid_path_health",
                              "Open connections whose path has each failure-detection health (one-hot for one)");
  auto backup = detail::gauge("braid_path_backup", "Open connections whose path is a backup path (0/1 for one)");
  for (size_t i = 0; i < roles.size(); ++i) {
    for (const auto& [id, g] : groups[i]) {
      if (g.open.empty()) continue;
      for (PathState s : kPathStates) {
        auto name = path_state_name(s);
        auto n = std::count_if(g.open.begin(), g.open.end(), [&](const PathStats* p) { return p->state == s; });
        auto labels = path_labels(roles[i], id);
        labels.push_back({"state", std::string(name)});
        add_sample(state, std::move(labels), static_cast<double>(n));
      }
      for (PathHealth h : kHealths) {
        auto n = std::count_if(g.open.begin(), g.open.end(), [&](const PathStats* p) { return p->health == h; });
        auto labels = path_labels(roles[i], id);
        labels.push_back({"health", std::string(path_health_name(h))});
        add_sample(health, std::move(labels), static_cast<double>(n));
      }
      auto n = std::count_if(g.open.begin(), g.open.end(), [](const PathStats* p) { return p->backup; });
      add_sample(backup, path_labels(roles[i], id), static_cast<double>(n));
    }
  }
  for (auto* f : {&state, &health, &backup}) out.push_back(std::move(*f));
  return out;
}

}  // namespace braid::metrics

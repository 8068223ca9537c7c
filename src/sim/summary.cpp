// Summary formatting with fixed precision (µs for times, kbit/s for rates).
#include "sim/summary.h"

#include <cmath>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace braid::sim {

namespace {
// Divides by the scale rather than multiplying by the unit, so 2.916256 stays 2.916256 in JSON.
double round_to(double v, double unit) {
  double scale = std::round(1 / unit);
  return std::round(v * scale) / scale;
}

std::string traffic_text(const TrafficCounters& t) {
  return fmt::format("sent {} B, received {} B, stream sent {} B, received {} B, duplicate sent {} B, "
                     "reinjected {} B, duplicate received {} B",
                     t.bytes_sent, t.bytes_received, t.stream_bytes_sent, t.stream_bytes_received,
                     t.duplicate_bytes_sent, t.reinjected_bytes_sent, t.duplicate_bytes_received);
}

std::string latency_text(const LatencySummary& l) {
  return fmt::format("latency mean {:.3f} ms, p50 {:.3f} ms, p90 {:.3f} ms, p99 {:.3f} ms, p99.9 {:.3f} ms, max {:.3f} ms",
                     l.mean_ms, l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.max_ms);
}

nlohmann::ordered_json traffic_json(const TrafficCounters& t) {
  return {{"bytes_sent", t.bytes_sent},
          {"bytes_received", t.bytes_received},
          {"stream_bytes_sent", t.stream_bytes_sent},
          {"stream_bytes_received", t.stream_bytes_received},
          {"duplicate_bytes_sent", t.duplicate_bytes_sent},
          {"reinjected_bytes_sent", t.reinjected_bytes_sent},
          {"duplicate_bytes_received", t.duplicate_bytes_received},
          {"packets_sent", t.packets_sent},
          {"packets_received", t.packets_received},
          {"packets_lost", t.packets_lost}};
}

nlohmann::ordered_json latency_json(const LatencySummary& l) {
  return {{"samples", l.samples},
          {"mean", round_to(l.mean_ms, 1e-3)},
          {"p50", round_to(l.p50_ms, 1e-3)},
          {"p90", round_to(l.p90_ms, 1e-3)},
          {"p99", round_to(l.p99_ms, 1e-3)},
          {"p99.9", round_to(l.p999_ms, 1e-3)},
          {"max", round_to(l.max_ms, 1e-3)}};
}
// Rows rather than columns: one object per (time, client, side, path), so a reader can
// filter with jq and a path that appears late needs no padding.
nlohmann::ordered_json timeseries_json(const Timeseries& ts, const SimulationResult& r) {
  nlohmann::ordered_json samples = nlohmann::ordered_json::array();
  for (const auto& s : ts.samples) {
    const ClientResult* c = s.client < r.clients.size() ? &r.clients[s.client] : nullptr;
    nlohmann::ordered_json path = nullptr, path_name = nullptr;
    if (s.path) {
      path = *s.path;
      if (c && *s.path < c->paths.size()) path_name = c->paths[*s.path].name;
    }
    samples.push_back({{"t_s", round_to(s.t_s, 1e-6)},
                       {"client", c ? c->name : std::to_string(s.client)},
                       {"side", s.server ? "server" : "client"},
                       {"path_id", s.path_id},
                       {"path", path},
                       {"path_name", path_name},
                       {"state", s.state},
                       {"health", s.health},
                       {"cwnd_bytes", s.cwnd_bytes},
                       {"bytes_in_flight", s.bytes_in_flight},
                       {"srtt_ms", round_to(s.srtt_ms, 1e-3)},
                       {"pacing_rate_bps", s.pacing_rate_bps},
                       {"delivery_rate_bps", s.delivery_rate_bps},
                       {"stream_bytes_sent", s.stream_bytes_sent},
                       {"stream_bytes_received", s.stream_bytes_received}});
  }
  return {{"interval_s", round_to(ts.interval_s, 1e-6)}, {"samples", std::move(samples)}};
}
}  // namespace

std::string format_summary_text(const SimulationResult& r) {
  std::string out;
  auto line = [&]<typename... Args>(fmt::format_string<Args...> f, Args&&... args) {
    fmt::format_to(std::back_inserter(out), f, std::forward<Args>(args)...);
    out += '\n';
  };
  line("scenario {} seed {} cc {} scheduler {}", r.scenario, r.seed, r.congestion_controller, r.scheduler);
  line("virtual time {:.6f} s{}; {} events, {} datagrams delivered", r.virtual_time_s,
       r.time_limit_reached ? " (time limit reached)" : "", r.events_run, r.datagrams_delivered);
  for (const auto& c : r.clients) {
    line("client {} ({}): {}", c.name, c.workload, c.completed ? "completed" : "NOT completed: " + c.failure);
    line("  handshake {:.6f} s, completion {:.6f} s, goodput {:.3f} Mbit/s, {} app bytes", c.handshake_s,
         c.completion_s, c.goodput_mbps, c.app_bytes);
    line("  longest stall {:.6f} s (ended at {:.6f} s)", c.longest_stall_s, c.longest_stall_end_s);
    line("  packets sent {}, lost {}; retransmitted stream bytes {}; duplicate stream bytes received {}; "
         "spurious losses (core) {}",
         c.packets_sent, c.packets_lost, c.retransmitted_stream_bytes, c.duplicate_stream_bytes, c.spurious_losses);
    if (c.messages_sent || c.messages_delivered) {
      line("  messages sent {}, delivered {}{}; {}", c.messages_sent, c.messages_delivered,
           c.messages_corrupt ? fmt::format(", CORRUPT {}", c.messages_corrupt) : "", latency_text(c.latency));
    }
    if (c.workloads.size() > 1) {
      for (size_t i = 0; i < c.workloads.size(); ++i) {
        const auto& w = c.workloads[i];
        line("  workload {} {} ({}), start {:.6f} s: {}; completion {:.6f} s, goodput {:.3f} Mbit/s, {} app bytes, "
             "longest stall {:.6f} s",
             i, w.kind, w.detail, w.start_s, w.completed ? "completed" : "NOT completed", w.completion_s,
             w.goodput_mbps, w.app_bytes, w.longest_stall_s);
        if (w.has_latency) {
          line("    messages sent {}, delivered {}{}{}; {}", w.messages_sent, w.messages_delivered,
               w.messages_corrupt ? fmt::format(", CORRUPT {}", w.messages_corrupt) : "",
               w.messages_refused ? fmt::format(", refused {}", w.messages_refused) : "", latency_text(w.latency));
        }
      }
    }
    line("  connection client: {}", traffic_text(c.client_totals));
    line("  connection server: {}", traffic_text(c.server_totals));
    line("  multipath {}, bonding {}", c.multipath ? "negotiated" : "off", c.bonding.empty() ? "-" : c.bonding);
    for (const auto& e : c.path_log) line("  path log: {}", e);
    for (size_t i = 0; i < c.paths.size(); ++i) {
      const auto& p = c.paths[i];
      std::string state = !p.used ? "unused" : fmt::format("id {} {}{}", *p.path_id, p.state, p.backup ? " backup" : "");
      line("  path {} {} ({}): {}; stream bytes up {}, down {}; sent {} B, received {} B, lost {} pkts, "
           "srtt {:.3f} ms, cwnd {} B; link up {} B (drops {}), down {} B (drops {})",
           i, p.name, p.local_address, state, p.stream_bytes_up, p.stream_bytes_down, p.bytes_sent,
           p.bytes_received, p.packets_lost, p.srtt_ms, p.cwnd_bytes, p.up_delivered_bytes, p.up_dropped,
           p.down_delivered_bytes, p.down_dropped);
      line("    client: {}", traffic_text(p.client));
      line("    server: {}", traffic_text(p.server));
    }
  }
  line("total goodput {:.3f} Mbit/s, Jain fairness {:.4f}", r.total_goodput_mbps, r.jain_fairness);
  return out;
}

std::string format_summary_json(const SimulationResult& r) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["scenario"] = r.scenario;
  j["seed"] = r.seed;
  j["congestion_controller"] = r.congestion_controller;
  j["scheduler"] = r.scheduler;
  j["virtual_time_s"] = round_to(r.virtual_time_s, 1e-6);
  j["time_limit_reached"] = r.time_limit_reached;
  j["events"] = r.events_run;
  j["datagrams_delivered"] = r.datagrams_delivered;
  j["total_goodput_mbps"] = round_to(r.total_goodput_mbps, 1e-3);
  j["jain_fairness"] = round_to(r.jain_fairness, 1e-4);
  ordered_json clients = ordered_json::array();
  for (const auto& c : r.clients) {
    ordered_json jc;
    jc["name"] = c.name;
    jc["workload"] = c.workload;
    jc["completed"] = c.completed;
    if (!c.completed) jc["failure"] = c.failure;
    jc["handshake_s"] = round_to(c.handshake_s, 1e-6);
    jc["completion_s"] = round_to(c.completion_s, 1e-6);
    jc["goodput_mbps"] = round_to(c.goodput_mbps, 1e-3);
    jc["app_bytes"] = c.app_bytes;
    jc["longest_stall_s"] = round_to(c.longest_stall_s, 1e-6);
    jc["longest_stall_end_s"] = round_to(c.longest_stall_end_s, 1e-6);
    jc["packets_sent"] = c.packets_sent;
    jc["packets_lost"] = c.packets_lost;
    jc["retransmitted_stream_bytes"] = c.retransmitted_stream_bytes;
    jc["duplicate_stream_bytes"] = c.duplicate_stream_bytes;
    jc["spurious_losses"] = c.spurious_losses;
    if (c.messages_sent || c.messages_delivered) {
      jc["messages_sent"] = c.messages_sent;
      jc["messages_delivered"] = c.messages_delivered;
      jc["messages_corrupt"] = c.messages_corrupt;
    jc["corrupt_bytes"] = c.corrupt_bytes;
      jc["latency_ms"] = latency_json(c.latency);
    }
    ordered_json workloads = ordered_json::array();
    for (const auto& w : c.workloads) {
      ordered_json jw;
      jw["kind"] = w.kind;
      jw["detail"] = w.detail;
      jw["start_s"] = round_to(w.start_s, 1e-6);
      jw["completed"] = w.completed;
      jw["completion_s"] = round_to(w.completion_s, 1e-6);
      jw["goodput_mbps"] = round_to(w.goodput_mbps, 1e-3);
      jw["app_bytes"] = w.app_bytes;
      jw["longest_stall_s"] = round_to(w.longest_stall_s, 1e-6);
      jw["longest_stall_end_s"] = round_to(w.longest_stall_end_s, 1e-6);
      if (w.has_latency) {
        jw["messages_sent"] = w.messages_sent;
        jw["messages_delivered"] = w.messages_delivered;
        jw["messages_corrupt"] = w.messages_corrupt;
        jw["messages_refused"] = w.messages_refused;
        jw["latency_ms"] = latency_json(w.latency);
      }
      if (w.has_transfer) {
        jw["corrupt_bytes"] = w.corrupt_bytes;
        jw["transfer_bytes_sent"] = w.transfer_bytes_sent;
        jw["transfer_resumed_bytes"] = w.transfer_resumed_bytes;
        jw["transfer_killed"] = w.transfer_killed;
        if (!w.transfer_error.empty()) jw["transfer_error"] = w.transfer_error;
        ordered_json modes = ordered_json::array();
        for (const auto& m : w.transfer_modes) {
          modes.push_back(ordered_json{{"at_s", round_to(m.at_s, 1e-6)},
                                       {"mode", m.mode},
                                       {"congestion_controller", m.congestion_controller},
                                       {"streams", m.streams}});
        }
        jw["transfer_modes"] = std::move(modes);
      }
      workloads.push_back(std::move(jw));
    }
    jc["workloads"] = std::move(workloads);
    jc["connection"] = {{"client", traffic_json(c.client_totals)}, {"server", traffic_json(c.server_totals)}};
    jc["multipath"] = c.multipath;
    jc["bonding"] = c.bonding;
    jc["path_log"] = c.path_log;
    jc["degraded"] = c.degraded;
    ordered_json health = ordered_json::array();
    for (const auto& h : c.health) {
      health.push_back({{"at_s", h.at_s},
                        {"side", h.server ? "server" : "client"},
                        {"path_id", h.path_id},
                        {"path", h.path ? ordered_json(*h.path) : ordered_json(nullptr)},
                        {"what", h.what}});
    }
    jc["health"] = std::move(health);
    ordered_json outages = ordered_json::array();
    for (const auto& w : c.outages) {
      outages.push_back({{"path", w.path},
                         {"from_s", w.from_s},
                         {"until_s", std::isfinite(w.until_s) ? ordered_json(w.until_s) : ordered_json(nullptr)}});
    }
    jc["outages"] = std::move(outages);
    ordered_json paths = ordered_json::array();
    for (const auto& p : c.paths) {
      paths.push_back({{"name", p.name},
                       {"local_address", p.local_address},
                       {"used", p.used},
                       {"path_id", p.path_id ? ordered_json(*p.path_id) : ordered_json(nullptr)},
                       {"state", p.state},
                       {"backup", p.backup},
                       {"stream_bytes_up", p.stream_bytes_up},
                       {"stream_bytes_down", p.stream_bytes_down},
                       {"bytes_sent", p.bytes_sent},
                       {"bytes_received", p.bytes_received},
                       {"packets_sent", p.packets_sent},
                       {"packets_received", p.packets_received},
                       {"packets_lost", p.packets_lost},
                       {"srtt_ms", round_to(p.srtt_ms, 1e-3)},
                       {"cwnd_bytes", p.cwnd_bytes},
                       {"link_up_delivered_bytes", p.up_delivered_bytes},
                       {"link_down_delivered_bytes", p.down_delivered_bytes},
                       {"link_up_dropped", p.up_dropped},
                       {"link_down_dropped", p.down_dropped},
                       {"client", traffic_json(p.client)},
                       {"server", traffic_json(p.server)}});
    }
    jc["paths"] = std::move(paths);
    clients.push_back(std::move(jc));
  }
  j["clients"] = std::move(clients);
  if (r.timeseries) j["timeseries"] = timeseries_json(*r.timeseries, r);
  return j.dump(2) + "\n";
}

}  // namespace braid::sim

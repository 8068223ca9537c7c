// `braid sim --json --timeseries` summary → PlotData. Per client, the endpoint that sent
// more stream bytes is the one whose congestion state matters (for a download, the
// server): cwnd, smoothed RTT and bytes in flight come from its samples. Throughput is what
// the other endpoint received on each path: the delta of stream_bytes_received between
// samples over the interval (it includes retransmitted and duplicated bytes that arrived).
// Marks: the sender's health records, path state changes seen between samples, the
// scenario's outages (start and end), and each workload's longest stall (≥ 250 ms).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "tools/braid/plot_data.h"

namespace braid::tool {
namespace {

using nlohmann::json;

constexpr double kStallMarkS = 0.25;

struct Sample {
  double t;
  std::string state;
  double cwnd, in_flight, srtt;
  uint64_t sent, received;
};

struct PathKey {
  std::string client;
  uint64_t path_id;
  auto operator<=>(const PathKey&) const = default;
};

double num(const json& o, const char* k) {
  auto it = o.find(k);
  return it != o.end() && it->is_number() ? it->get<double>() : 0;
}
uint64_t count(const json& o, const char* k) {
  auto it = o.find(k);
  return it != o.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

}  // namespace

std::expected<PlotData, std::string> plot_data_from_summary(const json& summary) {
  const json& ts = summary["timeseries"];
  if (!ts.is_object() || !ts.contains("samples") || !ts["samples"].is_array()) {
    return std::unexpected("\"timeseries\" has no \"samples\" array");
  }
  const double interval = num(ts, "interval_s");
  // (client, side) → path → samples in time order; scenario path per (client, path id).
  std::map<std::pair<std::string, bool>, std::map<uint64_t, std::vector<Sample>>> by_side;
  std::map<PathKey, int64_t> scenario_path;
  std::vector<std::string> client_order;
  for (const json& s : ts["samples"]) {
    if (!s.is_object() || !s.contains("path_id")) continue;
    std::string client = s.value("client", "");
    if (std::find(client_order.begin(), client_order.end(), client) == client_order.end()) client_order.push_back(client);
    bool server = s.value("side", "client") == "server";
    uint64_t id = count(s, "path_id");
    by_side[{client, server}][id].push_back(Sample{num(s, "t_s"), s.value("state", ""), num(s, "cwnd_bytes"),
                                                   num(s, "bytes_in_flight"), num(s, "srtt_ms"),
                                                   count(s, "stream_bytes_sent"), count(s, "stream_bytes_received")});
    if (s.contains("path") && s["path"].is_number_unsigned()) scenario_path[{client, id}] = s["path"].get<int64_t>();
  }
  if (by_side.empty()) return std::unexpected("\"timeseries\" has no per-path samples");

  PlotData d;
  d.source = "simulation";
  d.description = fmt::format("simulation {}", summary.value("scenario", std::string("?")));
  d.throughput_label = "received Mbit/s";
  const bool several_clients = client_order.size() > 1;
  std::map<PathKey, int> slot;
  std::map<std::string, bool> sender_is_server;
  double t_max = 0;
  for (const std::string& client : client_order) {
    auto total_sent = [&](bool server) {
      uint64_t sum = 0;
      for (auto& [id, v] : by_side[{client, server}]) sum += v.empty() ? 0 : v.back().sent;
      return sum;
    };
    const bool server_sends = total_sent(true) >= total_sent(false);
    sender_is_server[client] = server_sends;
    auto& sender = by_side[{client, server_sends}];
    auto& receiver = by_side[{client, !server_sends}];
    std::set<uint64_t> ids;
    for (auto& [id, v] : sender) ids.insert(id);
    for (auto& [id, v] : receiver) ids.insert(id);
    for (uint64_t id : ids) {
      PathSeries ps;
      ps.key = fmt::format("{}/{}", client, id);
      ps.label = several_clients ? fmt::format("{} path {}", client, id) : fmt::format("path {}", id);
      std::string last_state;
      for (const Sample& x : sender[id]) {
        ps.cwnd_kb.emplace_back(x.t, x.cwnd / 1000);
        ps.in_flight_kb.emplace_back(x.t, x.in_flight / 1000);
        if (x.srtt > 0) ps.rtt_ms.emplace_back(x.t, x.srtt);
        t_max = std::max(t_max, x.t);
      }
      const auto& rx = receiver[id];
      for (size_t k = 0; k < rx.size(); ++k) {
        double t0 = k ? rx[k - 1].t : rx[k].t - interval;
        uint64_t b0 = k ? rx[k - 1].received : 0;
        double dt = rx[k].t - t0;
        if (dt <= 0) continue;
        double bytes = rx[k].received >= b0 ? static_cast<double>(rx[k].received - b0) : 0;
        ps.throughput_mbps.emplace_back(t0, bytes * 8 / dt / 1e6);
        t_max = std::max(t_max, rx[k].t);
      }
      if (!rx.empty()) ps.throughput_mbps.emplace_back(rx.back().t, ps.throughput_mbps.empty() ? 0 : ps.throughput_mbps.back().second);
      if (ps.empty()) continue;
      slot[{client, id}] = static_cast<int>(d.paths.size());
      // State changes the sender saw, at sample resolution.
      for (const Sample& x : sender[id]) {
        if (!last_state.empty() && x.state != last_state) {
          d.marks.push_back({x.t, slot[{client, id}], fmt::format("p{} {}", id, x.state)});
        }
        last_state = x.state;
      }
      d.paths.push_back(std::move(ps));
    }
  }
  if (d.paths.empty()) return std::unexpected("\"timeseries\" has no per-path samples");

  // Health, outages and stalls from the client results.
  if (summary.contains("clients") && summary["clients"].is_array()) {
    for (const json& c : summary["clients"]) {
      if (!c.is_object()) continue;
      std::string client = c.value("name", "");
      std::string prefix = several_clients ? client + " " : "";
      bool server_sends = sender_is_server.count(client) ? sender_is_server[client] : true;
      for (const json& h : c.value("health", json::array())) {
        if ((h.value("side", "") == "server") != server_sends) continue;
        uint64_t id = count(h, "path_id");
        auto s = slot.find({client, id});
        d.marks.push_back({num(h, "at_s"), s == slot.end() ? -1 : s->second,
                           fmt::format("{}p{} {}", prefix, id, h.value("what", ""))});
      }
      for (const json& o : c.value("outages", json::array())) {
        int64_t path = o.value("path", int64_t{-1});
        int where = -1;
        std::string name = fmt::format("path {}", path);
        for (auto& [key, sp] : scenario_path) {
          if (key.client == client && sp == path && slot.count(key)) where = slot[key];
        }
        if (c.contains("paths") && c["paths"].is_array() && path >= 0 && static_cast<size_t>(path) < c["paths"].size()) {
          name = c["paths"][static_cast<size_t>(path)].value("name", name);
        }
        d.marks.push_back({num(o, "from_s"), where, fmt::format("{}{} outage", prefix, name)});
        if (o.contains("until_s") && o["until_s"].is_number()) {
          d.marks.push_back({num(o, "until_s"), where, fmt::format("{}{} back", prefix, name)});
        }
      }
      for (const json& w : c.value("workloads", json::array())) {
        double stall = num(w, "longest_stall_s");
        if (stall < kStallMarkS) continue;
        double at = num(w, "start_s") + num(w, "longest_stall_end_s") - stall;
        d.marks.push_back({at, -1, fmt::format("{}stall {:.2f} s", prefix, stall)});
      }
    }
  }
  std::stable_sort(d.marks.begin(), d.marks.end(), [](const PlotMark& a, const PlotMark& b) { return a.t_s < b.t_s; });
  d.t_min = 0;
  d.t_max = std::max(t_max, interval > 0 ? interval : 0.001);
  return d;
}

}  // namespace braid::tool

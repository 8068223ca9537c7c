// qlog → PlotData. Per path (the `path_id` braid puts on path-scoped events; events without
// one belong to path 0, the handshake path):
//  - cwnd, smoothed RTT and bytes in flight from quic:recovery_metrics_updated, which braid
//    writes at every change, so each value holds until the next record;
//  - throughput in time bins from what the trace can honestly say about delivery: a
//    receiver (it received more bytes than it sent) counts packet_received bytes; a sender
//    counts the bytes of its packets acknowledged (packets_acked joined with packet_sent's
//    raw.length, at the time of the ACK), so packets lost on a dead path never count; a
//    trace without packets_acked falls back to packet_sent bytes, and says so;
//  - marks for braid:path_state_updated, braid:path_health_updated ("pN health X"), and stalls: gaps of at
//    least 250 ms in those bytes on every path together.
#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <unordered_map>

#include "tools/braid/plot_data.h"

namespace braid::tool {
namespace {

using nlohmann::json;

constexpr double kStallGapS = 0.25;

struct PathAcc {
  PathSeries series;
  std::vector<std::pair<double, uint64_t>> sent, received, acked;   // (t, bytes)
};

uint64_t number_or(const json& o, const char* key, uint64_t fallback) {
  auto it = o.find(key);
  return it != o.end() && it->is_number_unsigned() ? it->get<uint64_t>() : fallback;
}

std::string space_of_packet_type(const std::string& type) {
  if (type == "initial") return "initial";
  if (type == "handshake") return "handshake";
  return "application_data";
}

uint64_t packet_length(const json& data) {
  auto raw = data.find("raw");
  if (raw == data.end() || !raw->is_object()) return 0;
  return number_or(*raw, "length", 0);
}

// Path state changes worth a line; the bookkeeping on the way to "active" (created,
// validating, validated), CID waits and probe bookkeeping would only crowd the picture.
bool marks_state(const std::string& s) {
  return s != "created" && s != "validating" && s != "validated" && s != "waiting_for_peer_cids" &&
         s.rfind("probe_", 0) != 0;
}

}  // namespace

std::expected<PlotData, std::string> plot_data_from_qlog(const std::vector<json>& records) {
  PlotData d;
  d.source = "qlog";
  std::string vantage = "qlog", group;
  std::map<uint64_t, PathAcc> paths;
  std::map<std::pair<uint64_t, std::string>, std::unordered_map<uint64_t, uint64_t>> sizes;   // (path, space) → pn → bytes
  struct RawMark {
    double t;
    uint64_t path;
    std::string label;
  };
  std::vector<RawMark> marks;
  bool any_acked_event = false, any_event = false;
  double t_min = 0, t_max = 0;

  for (const json& r : records) {
    if (!r.is_object()) continue;
    if (r.contains("trace") && r["trace"].is_object()) {   // the file header
      const json& tr = r["trace"];
      if (tr.contains("vantage_point") && tr["vantage_point"].is_object()) {
        std::string type = tr["vantage_point"].value("type", "");
        if (!type.empty()) vantage = type + " qlog";
      }
      if (tr.contains("common_fields") && tr["common_fields"].is_object()) {
        group = tr["common_fields"].value("group_id", "");
      }
      continue;
    }
    auto name_it = r.find("name");
    auto time_it = r.find("time");
    if (name_it == r.end() || !name_it->is_string() || time_it == r.end() || !time_it->is_number()) continue;
    const std::string name = name_it->get<std::string>();
    const double t = time_it->get<double>() / 1000;   // qlog times are milliseconds
    static const json kEmpty = json::object();
    const json& data = r.contains("data") && r["data"].is_object() ? r["data"] : kEmpty;
    if (!any_event) t_min = t_max = t;
    any_event = true;
    t_min = std::min(t_min, t);
    t_max = std::max(t_max, t);
    const uint64_t path = number_or(data, "path_id", 0);

    if (name == "quic:packet_sent" || name == "quic:packet_received") {
      const uint64_t len = packet_length(data);
      PathAcc& p = paths[path];
      if (name == "quic:packet_sent") {
        p.sent.emplace_back(t, len);
        if (data.contains("header") && data["header"].is_object() && data["header"].contains("packet_number")) {
          const auto& h = data["header"];
          sizes[{path, space_of_packet_type(h.value("packet_type", "1RTT"))}][number_or(h, "packet_number", 0)] = len;
        }
      } else {
        p.received.emplace_back(t, len);
      }
    } else if (name == "quic:packets_acked") {
      any_acked_event = true;
      auto it = sizes.find({path, data.value("packet_number_space", "application_data")});
      if (it == sizes.end() || !data.contains("packet_numbers") || !data["packet_numbers"].is_array()) continue;
      uint64_t bytes = 0;
      for (const auto& pn : data["packet_numbers"]) {
        if (!pn.is_number_unsigned()) continue;
        if (auto s = it->second.find(pn.get<uint64_t>()); s != it->second.end()) {
          bytes += s->second;
          it->second.erase(s);   // an ACK is counted once
        }
      }
      if (bytes) paths[path].acked.emplace_back(t, bytes);
    } else if (name == "quic:recovery_metrics_updated" || name == "recovery:metrics_updated") {
      PathSeries& s = paths[path].series;
      if (data.contains("congestion_window") && data["congestion_window"].is_number()) {
        s.cwnd_kb.emplace_back(t, data["congestion_window"].get<double>() / 1000);
      }
      if (data.contains("bytes_in_flight") && data["bytes_in_flight"].is_number()) {
        s.in_flight_kb.emplace_back(t, data["bytes_in_flight"].get<double>() / 1000);
      }
      if (data.contains("smoothed_rtt") && data["smoothed_rtt"].is_number()) {
        s.rtt_ms.emplace_back(t, data["smoothed_rtt"].get<double>());
      }
    } else if (name == "braid:path_state_updated") {
      std::string state = data.value("new", "");
      paths[path];
      if (marks_state(state)) marks.push_back({t, path, fmt::format("p{} {}", path, state)});
    } else if (name == "braid:path_health_updated") {
      paths[path];
      // "health" tells a verdict from the path state of the same name ("failed").
      marks.push_back({t, path, fmt::format("p{} health {}", path, data.value("new", "?"))});
    }
  }

  // Which bytes say "delivered" for this vantage point (see the top of the file).
  uint64_t total_sent = 0, total_received = 0;
  for (auto& [id, p] : paths) {
    for (auto& [t, b] : p.sent) total_sent += b;
    for (auto& [t, b] : p.received) total_received += b;
  }
  enum class Measure { kReceived, kAcked, kSent } measure =
      total_received > total_sent ? Measure::kReceived : any_acked_event ? Measure::kAcked : Measure::kSent;
  d.throughput_label = measure == Measure::kReceived ? "received Mbit/s"
                       : measure == Measure::kAcked  ? "acked Mbit/s"
                                                     : "sent Mbit/s";
  const double bin = throughput_bin_s(t_max - t_min);
  const size_t nbins = static_cast<size_t>(std::floor((t_max - t_min) / bin)) + 1;
  std::vector<double> busy;   // times with delivered bytes on any path, for stalls
  for (auto& [id, p] : paths) {
    auto& bytes = measure == Measure::kReceived ? p.received : measure == Measure::kAcked ? p.acked : p.sent;
    if (!bytes.empty()) {
      std::vector<double> sum(nbins, 0);
      for (auto& [t, b] : bytes) {
        sum[std::min(nbins - 1, static_cast<size_t>((t - t_min) / bin))] += static_cast<double>(b);
        if (b) busy.push_back(t);
      }
      for (size_t k = 0; k < nbins; ++k) p.series.throughput_mbps.emplace_back(t_min + k * bin, sum[k] * 8 / bin / 1e6);
    }
    p.series.key = std::to_string(id);
    p.series.label = fmt::format("path {}", id);
  }
  for (auto it = paths.begin(); it != paths.end();) {
    it = it->second.series.empty() ? paths.erase(it) : std::next(it);
  }
  if (paths.empty()) {
    return std::unexpected("no per-path data: the trace has no packet_sent/packet_received or "
                           "recovery_metrics_updated events");
  }
  std::map<uint64_t, int> slot;
  for (auto& [id, p] : paths) {
    slot[id] = static_cast<int>(d.paths.size());
    d.paths.push_back(std::move(p.series));
  }
  for (auto& m : marks) {
    auto s = slot.find(m.path);
    d.marks.push_back({m.t, s == slot.end() ? -1 : s->second, std::move(m.label)});
  }
  std::sort(busy.begin(), busy.end());
  for (size_t k = 1; k < busy.size(); ++k) {
    if (busy[k] - busy[k - 1] >= kStallGapS) {
      d.marks.push_back({busy[k - 1], -1, fmt::format("stall {:.2f} s", busy[k] - busy[k - 1])});
    }
  }
  std::stable_sort(d.marks.begin(), d.marks.end(), [](const PlotMark& a, const PlotMark& b) { return a.t_s < b.t_s; });
  d.t_min = t_min;
  d.t_max = std::max(t_max, t_min + bin);
  d.description = group.empty() ? vantage : fmt::format("{} {}", vantage, group);
  return d;
}

}  // namespace braid::tool

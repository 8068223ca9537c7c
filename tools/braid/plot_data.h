// What `braid plot` draws, independent of where it came from: per-path time series
// (throughput, congestion window, RTT, bytes in flight) and marks for path state and health
// changes, outages and stalls. Built from a qlog trace (plot_qlog.cpp) or from a simulator
// summary with a "timeseries" (plot_summary.cpp); drawn by plot_gnuplot.cpp.
#pragma once
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace braid::tool {

using PlotPoints = std::vector<std::pair<double, double>>;   // (time s, value)

struct PathSeries {
  std::string key;            // what identifies the path in marks ("0", or "client/0" with several clients)
  std::string label;          // legend text: "path 0", "c2 path 1", ...
  PlotPoints throughput_mbps; // one point per bin, at the bin's start (drawn as steps)
  PlotPoints cwnd_kb;         // kB (1000 bytes), at every change
  PlotPoints rtt_ms;          // smoothed RTT
  PlotPoints in_flight_kb;
  bool empty() const {
    return throughput_mbps.empty() && cwnd_kb.empty() && rtt_ms.empty() && in_flight_kb.empty();
  }
};

// A vertical line at `t_s`, in the colour of path `path` (-1: not a path's, drawn grey).
struct PlotMark {
  double t_s = 0;
  int path = -1;              // index into PlotData::paths
  std::string label;          // "p0 failed", "stall 0.42 s", ...
};

struct PlotData {
  std::string source;                 // "qlog" or "simulation"
  std::string description;            // default title ("client qlog of 8a1b...", scenario name)
  std::string throughput_label;       // y label of the throughput panel, says what it measures
  std::vector<PathSeries> paths;      // in path order
  std::vector<PlotMark> marks;        // in time order
  double t_min = 0, t_max = 0;        // the time axis
};

// Detects the format by content: JSON-SEQ qlog (records after 0x1E), a qlog JSON file
// ({"traces": [{"events": [...]}]}), or a `braid sim --json --timeseries` summary. Fails
// with a message when the text is none of these or holds no per-path data.
std::expected<PlotData, std::string> parse_plot_input(std::string_view text);
std::expected<PlotData, std::string> load_plot_input(const std::string& file);

// The sources (parse_plot_input picks one): the events of one qlog trace in file order
// (records that are not event objects are skipped), and a parsed simulator summary.
std::expected<PlotData, std::string> plot_data_from_qlog(const std::vector<nlohmann::json>& records);
std::expected<PlotData, std::string> plot_data_from_summary(const nlohmann::json& summary);

// Throughput bin width for a trace `span_s` long: the smallest of 10 ms, 20 ms, 50 ms, ...
// 10 s that gives at most ~150 bins, so the picture is neither noise nor one block.
double throughput_bin_s(double span_s);

}  // namespace braid::tool

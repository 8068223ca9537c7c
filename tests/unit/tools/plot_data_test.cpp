// `braid plot` input parsing: per-path series out of a small hand-written qlog (JSON-SEQ
// and qlog JSON) and a small simulator summary, the marks, and clear errors for inputs
// without per-path data. Also the gnuplot script: one series per path in every panel.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "tools/braid/plot_data.h"
#include "tools/braid/plot_gnuplot.h"

namespace braid::tool {
namespace {

constexpr char RS = '\x1e';

std::string seq(std::initializer_list<std::string> records) {
  std::string out;
  for (const auto& r : records) out += RS + r + "\n";
  return out;
}

// A sender: path 0 and path 1 each send two 1000-byte packets; path 0's are acknowledged,
// path 1's only one of them; metrics per path; path 1 fails and recovers.
std::string sender_qlog() {
  return seq({
      R"({"file_schema":"urn:ietf:params:qlog:file:sequential","trace":{"vantage_point":{"type":"server"},"common_fields":{"group_id":"abcd"}}})",
      R"({"time":0,"name":"quic:packet_sent","data":{"path_id":0,"header":{"packet_type":"1RTT","packet_number":0},"raw":{"length":1000}}})",
      R"({"time":1,"name":"quic:packet_sent","data":{"path_id":0,"header":{"packet_type":"1RTT","packet_number":1},"raw":{"length":1000}}})",
      R"({"time":2,"name":"quic:packet_sent","data":{"path_id":1,"header":{"packet_type":"1RTT","packet_number":0},"raw":{"length":1000}}})",
      R"({"time":3,"name":"quic:packet_sent","data":{"path_id":1,"header":{"packet_type":"1RTT","packet_number":1},"raw":{"length":1000}}})",
      R"({"time":10,"name":"quic:recovery_metrics_updated","data":{"path_id":0,"congestion_window":12000,"smoothed_rtt":20.5,"bytes_in_flight":2000}})",
      R"({"time":12,"name":"quic:recovery_metrics_updated","data":{"path_id":1,"congestion_window":24000,"smoothed_rtt":40}})",
      R"({"time":20,"name":"quic:packets_acked","data":{"path_id":0,"packet_number_space":"application_data","packet_numbers":[0,1]}})",
      R"({"time":21,"name":"quic:packets_acked","data":{"path_id":1,"packet_number_space":"application_data","packet_numbers":[1,1]}})",
      R"({"time":30,"name":"braid:path_health_updated","data":{"path_id":1,"old":"healthy","new":"failed"}})",
      R"({"time":40,"name":"braid:path_state_updated","data":{"path_id":1,"old":"failed","new":"active"}})",
      R"({"time":50,"name":"quic:recovery_metrics_updated","data":{"path_id":0,"bytes_in_flight":0}})",
      R"({"time":55,"name":"quic:packet_sent","data":{"pa)",   // truncated record: skipped
  });
}

double sum_bytes(const PlotPoints& thr, double bin) {
  double bytes = 0;
  for (auto& [t, v] : thr) bytes += v * 1e6 / 8 * bin;
  return bytes;
}

TEST(PlotQlog, PerPathSeriesFromASenderTrace) {
  auto d = parse_plot_input(sender_qlog());
  ASSERT_TRUE(d.has_value()) << d.error();
  EXPECT_EQ(d->source, "qlog");
  EXPECT_EQ(d->description, "server qlog abcd");
  EXPECT_EQ(d->throughput_label, "acked Mbit/s");
  ASSERT_EQ(d->paths.size(), 2u);
  EXPECT_EQ(d->paths[0].label, "path 0");
  EXPECT_EQ(d->paths[1].label, "path 1");
  // Metrics as logged, in kB and ms, at their times in seconds.
  ASSERT_EQ(d->paths[0].cwnd_kb.size(), 1u);
  EXPECT_DOUBLE_EQ(d->paths[0].cwnd_kb[0].first, 0.010);
  EXPECT_DOUBLE_EQ(d->paths[0].cwnd_kb[0].second, 12.0);
  ASSERT_EQ(d->paths[0].rtt_ms.size(), 1u);
  EXPECT_DOUBLE_EQ(d->paths[0].rtt_ms[0].second, 20.5);
  ASSERT_EQ(d->paths[0].in_flight_kb.size(), 2u);
  EXPECT_DOUBLE_EQ(d->paths[0].in_flight_kb[1].second, 0.0);
  EXPECT_DOUBLE_EQ(d->paths[1].cwnd_kb[0].second, 24.0);
  EXPECT_TRUE(d->paths[1].in_flight_kb.empty());
  // Acked bytes: path 0 both packets, path 1 one packet (a number acked twice counts once).
  double bin = throughput_bin_s(d->t_max - d->t_min);
  EXPECT_NEAR(sum_bytes(d->paths[0].throughput_mbps, bin), 2000, 1e-6);
  EXPECT_NEAR(sum_bytes(d->paths[1].throughput_mbps, bin), 1000, 1e-6);
  // The health and state marks, in the colour of path 1.
  ASSERT_EQ(d->marks.size(), 2u);
  EXPECT_DOUBLE_EQ(d->marks[0].t_s, 0.030);
  EXPECT_EQ(d->marks[0].label, "p1 health failed");
  EXPECT_EQ(d->marks[0].path, 1);
  EXPECT_EQ(d->marks[1].label, "p1 active");
  EXPECT_DOUBLE_EQ(d->t_min, 0.0);
  EXPECT_DOUBLE_EQ(d->t_max, 0.050);
}

TEST(PlotQlog, ReceiverCountsReceivedBytesAndMarksStalls) {
  std::vector<std::string> recs;
  // 1200 bytes on path 0 every 10 ms for 0.5 s, then nothing until 1.0 s: a 0.5 s stall.
  for (int i = 0; i <= 50; ++i) {
    recs.push_back(fmt::format(R"({{"time":{},"name":"quic:packet_received","data":{{"path_id":0,"header":{{"packet_type":"1RTT","packet_number":{}}},"raw":{{"length":1200}}}}}})",
                               i * 10, i));
  }
  recs.push_back(R"({"time":1000,"name":"quic:packet_received","data":{"path_id":1,"header":{"packet_type":"1RTT","packet_number":0},"raw":{"length":1200}}})");
  std::string text;
  for (auto& r : recs) text += RS + r + "\n";
  auto d = parse_plot_input(text);
  ASSERT_TRUE(d.has_value()) << d.error();
  EXPECT_EQ(d->throughput_label, "received Mbit/s");
  ASSERT_EQ(d->paths.size(), 2u);
  double bin = throughput_bin_s(1.0);
  EXPECT_NEAR(sum_bytes(d->paths[0].throughput_mbps, bin), 51 * 1200, 1e-6);
  EXPECT_NEAR(sum_bytes(d->paths[1].throughput_mbps, bin), 1200, 1e-6);
  ASSERT_EQ(d->marks.size(), 1u);
  EXPECT_EQ(d->marks[0].label, "stall 0.50 s");
  EXPECT_DOUBLE_EQ(d->marks[0].t_s, 0.5);
  EXPECT_EQ(d->marks[0].path, -1);
}

TEST(PlotQlog, QlogJsonFileIsAccepted) {
  std::string text = R"({"qlog_version":"0.3","traces":[{"vantage_point":{"type":"client"},"events":[
    {"time":5,"name":"quic:recovery_metrics_updated","data":{"path_id":2,"congestion_window":5000}},
    {"time":9,"name":"quic:recovery_metrics_updated","data":{"path_id":2,"congestion_window":6000}}]}]})";
  auto d = parse_plot_input(text);
  ASSERT_TRUE(d.has_value()) << d.error();
  ASSERT_EQ(d->paths.size(), 1u);
  EXPECT_EQ(d->paths[0].label, "path 2");
  ASSERT_EQ(d->paths[0].cwnd_kb.size(), 2u);
  EXPECT_DOUBLE_EQ(d->paths[0].cwnd_kb[1].second, 6.0);
}

TEST(PlotInput, ClearErrors) {
  auto none = parse_plot_input(seq({R"({"time":1,"name":"quic:connection_state_updated","data":{"new":"closed"}})"}));
  ASSERT_FALSE(none.has_value());
  EXPECT_NE(none.error().find("no per-path data"), std::string::npos) << none.error();
  EXPECT_FALSE(parse_plot_input("").has_value());
  EXPECT_FALSE(parse_plot_input("hello").has_value());
  auto plain = parse_plot_input(R"({"scenario":"x","clients":[]})");
  ASSERT_FALSE(plain.has_value());
  EXPECT_NE(plain.error().find("--timeseries"), std::string::npos) << plain.error();
  auto missing = load_plot_input("/nonexistent/trace.sqlog");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().find("cannot be read"), std::string::npos);
}

// Two samples per side and path of a download: the server sends, the client receives.
constexpr const char* kSummary = R"({
  "scenario": "tiny", "clients": [{"name": "c",
    "paths": [{"name": "fast"}, {"name": "slow"}],
    "health": [{"at_s": 0.15, "side": "server", "path_id": 1, "path": 1, "what": "suspect"},
               {"at_s": 0.16, "side": "client", "path_id": 1, "path": 1, "what": "suspect"}],
    "outages": [{"path": 1, "from_s": 0.12, "until_s": null}],
    "workloads": [{"start_s": 0, "longest_stall_s": 0.3, "longest_stall_end_s": 0.5}]}],
  "timeseries": {"interval_s": 0.1, "samples": [
    {"t_s": 0.1, "client": "c", "side": "client", "path_id": 0, "path": 0, "state": "active", "health": "healthy",
     "cwnd_bytes": 12000, "bytes_in_flight": 0, "srtt_ms": 20, "stream_bytes_sent": 0, "stream_bytes_received": 100000},
    {"t_s": 0.1, "client": "c", "side": "server", "path_id": 0, "path": 0, "state": "active", "health": "healthy",
     "cwnd_bytes": 30000, "bytes_in_flight": 20000, "srtt_ms": 22, "stream_bytes_sent": 120000, "stream_bytes_received": 0},
    {"t_s": 0.1, "client": "c", "side": "server", "path_id": 1, "path": 1, "state": "active", "health": "healthy",
     "cwnd_bytes": 15000, "bytes_in_flight": 9000, "srtt_ms": 61, "stream_bytes_sent": 50000, "stream_bytes_received": 0},
    {"t_s": 0.1, "client": "c", "side": "client", "path_id": 1, "path": 1, "state": "active", "health": "healthy",
     "cwnd_bytes": 12000, "bytes_in_flight": 0, "srtt_ms": 60, "stream_bytes_sent": 0, "stream_bytes_received": 40000},
    {"t_s": 0.2, "client": "c", "side": "client", "path_id": 0, "path": 0, "state": "active", "health": "healthy",
     "cwnd_bytes": 12000, "bytes_in_flight": 0, "srtt_ms": 20, "stream_bytes_sent": 0, "stream_bytes_received": 350000},
    {"t_s": 0.2, "client": "c", "side": "server", "path_id": 0, "path": 0, "state": "active", "health": "healthy",
     "cwnd_bytes": 40000, "bytes_in_flight": 25000, "srtt_ms": 23, "stream_bytes_sent": 380000, "stream_bytes_received": 0},
    {"t_s": 0.2, "client": "c", "side": "server", "path_id": 1, "path": 1, "state": "failed", "health": "failed",
     "cwnd_bytes": 2400, "bytes_in_flight": 0, "srtt_ms": 61, "stream_bytes_sent": 60000, "stream_bytes_received": 0},
    {"t_s": 0.2, "client": "c", "side": "client", "path_id": 1, "path": 1, "state": "active", "health": "healthy",
     "cwnd_bytes": 12000, "bytes_in_flight": 0, "srtt_ms": 60, "stream_bytes_sent": 0, "stream_bytes_received": 40000}
  ]}})";

TEST(PlotSummary, SenderMetricsAndReceiverThroughputPerPath) {
  auto d = parse_plot_input(kSummary);
  ASSERT_TRUE(d.has_value()) << d.error();
  EXPECT_EQ(d->source, "simulation");
  EXPECT_EQ(d->description, "simulation tiny");
  ASSERT_EQ(d->paths.size(), 2u);
  const auto& p0 = d->paths[0];
  const auto& p1 = d->paths[1];
  EXPECT_EQ(p0.label, "path 0");
  // The server sends: its cwnd, RTT and bytes in flight.
  ASSERT_EQ(p0.cwnd_kb.size(), 2u);
  EXPECT_DOUBLE_EQ(p0.cwnd_kb[0].second, 30.0);
  EXPECT_DOUBLE_EQ(p0.cwnd_kb[1].second, 40.0);
  EXPECT_DOUBLE_EQ(p0.in_flight_kb[1].second, 25.0);
  EXPECT_DOUBLE_EQ(p0.rtt_ms[0].second, 22.0);
  EXPECT_DOUBLE_EQ(p1.cwnd_kb[1].second, 2.4);
  // The client's received bytes per interval: path 0 100 kB then 250 kB in 0.1 s.
  ASSERT_GE(p0.throughput_mbps.size(), 2u);
  EXPECT_NEAR(p0.throughput_mbps[0].first, 0.0, 1e-9);
  EXPECT_NEAR(p0.throughput_mbps[0].second, 8.0, 1e-9);
  EXPECT_NEAR(p0.throughput_mbps[1].first, 0.1, 1e-9);
  EXPECT_NEAR(p0.throughput_mbps[1].second, 20.0, 1e-9);
  EXPECT_NEAR(p1.throughput_mbps[1].second, 0.0, 1e-9);
  // Marks: the outage, the sender's health record only, the state change, the stall.
  std::vector<std::string> labels;
  for (auto& m : d->marks) labels.push_back(m.label);
  EXPECT_EQ(labels, (std::vector<std::string>{"slow outage", "p1 suspect", "p1 failed", "stall 0.30 s"}));
  EXPECT_EQ(d->marks[0].path, 1);
  EXPECT_DOUBLE_EQ(d->t_max, 0.2);
}

TEST(PlotScript, OneSeriesPerPathInEveryPanel) {
  auto d = parse_plot_input(kSummary);
  ASSERT_TRUE(d.has_value()) << d.error();
  auto dir = std::filesystem::temp_directory_path() / fmt::format("braid-plot-script-test-{}", ::getpid());
  std::filesystem::create_directories(dir);
  std::string script = write_gnuplot_files(*d, dir.string(), PlotFormat::kSvg, "/x/out.svg", "it's a title");
  EXPECT_NE(script.find("set terminal svg size 1200,900 dynamic"), std::string::npos);
  EXPECT_NE(script.find("set output '/x/out.svg'"), std::string::npos);
  EXPECT_NE(script.find("'it''s a title'"), std::string::npos);
  size_t titled = 0, pos = 0;
  while ((pos = script.find("title 'path ", pos)) != std::string::npos) titled++, pos++;
  EXPECT_EQ(titled, 8u);   // 4 panels x 2 paths
  for (const char* f : {"p0_thr.dat", "p1_thr.dat", "p0_cwnd.dat", "p1_rtt.dat", "p1_inflight.dat"}) {
    EXPECT_TRUE(std::filesystem::exists(dir / f)) << f;
  }
  std::string png = write_gnuplot_files(*d, dir.string(), PlotFormat::kPng, "o.png", "");
  EXPECT_NE(png.find("set terminal pngcairo size 1400,1000"), std::string::npos);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(plot_format_for("a.SVG").value(), PlotFormat::kSvg);
  EXPECT_FALSE(plot_format_for("a.txt").has_value());
}

}  // namespace
}  // namespace braid::tool

// Input detection for `braid plot`: JSON-SEQ qlog, qlog JSON, or a simulator summary.
#include "tools/braid/plot_data.h"

#include <array>
#include <fstream>
#include <sstream>

namespace braid::tool {
namespace {

constexpr char kRecordSeparator = '\x1e';

// JSON-SEQ (RFC 7464): every record starts with RS. A truncated last record (a trace cut
// off by a crash) does not parse and is skipped rather than failing the whole file.
std::vector<nlohmann::json> split_json_seq(std::string_view text) {
  std::vector<nlohmann::json> out;
  size_t pos = text.find(kRecordSeparator);
  while (pos != std::string_view::npos) {
    size_t next = text.find(kRecordSeparator, pos + 1);
    std::string_view rec = text.substr(pos + 1, next == std::string_view::npos ? std::string_view::npos : next - pos - 1);
    auto j = nlohmann::json::parse(rec, nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
    pos = next;
  }
  return out;
}

}  // namespace

double throughput_bin_s(double span_s) {
  constexpr std::array<double, 10> kBins{0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10};
  for (double b : kBins) {
    if (span_s / b <= 150) return b;
  }
  return kBins.back();
}

std::expected<PlotData, std::string> parse_plot_input(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return std::unexpected("the input is empty");
  if (text[first] == kRecordSeparator) {
    auto records = split_json_seq(text);
    if (records.empty()) return std::unexpected("no JSON-SEQ record of the qlog parses");
    return plot_data_from_qlog(records);
  }
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return std::unexpected("neither a qlog (.sqlog JSON-SEQ or .qlog JSON) nor a simulator summary (JSON)");
  }
  if (j.contains("timeseries")) return plot_data_from_summary(j);
  if (j.contains("clients") && j.contains("scenario")) {
    return std::unexpected("a simulator summary without \"timeseries\": run `braid sim --json --timeseries 100ms`");
  }
  if (j.contains("traces") && j["traces"].is_array() && !j["traces"].empty()) {
    // qlog's JSON serialization: the first trace's events (one connection per trace).
    const auto& trace = j["traces"][0];
    std::vector<nlohmann::json> records;
    if (trace.contains("vantage_point")) records.push_back({{"trace", trace}});   // as the JSON-SEQ header has it
    if (trace.contains("events") && trace["events"].is_array()) {
      for (const auto& e : trace["events"]) records.push_back(e);
    }
    return plot_data_from_qlog(records);
  }
  return std::unexpected("a JSON object with neither \"traces\" (qlog) nor \"timeseries\" (simulator summary)");
}

std::expected<PlotData, std::string> load_plot_input(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::unexpected(file + ": cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::unexpected(file + ": read error");
  auto d = parse_plot_input(ss.str());
  if (!d) return std::unexpected(file + ": " + d.error());
  return d;
}

}  // namespace braid::tool

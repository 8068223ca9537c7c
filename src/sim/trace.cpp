// Mahimahi trace parsing and validation.
#include "sim/trace.h"

#include <charconv>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace braid::sim {

std::expected<Trace, std::string> Trace::parse(std::string_view text, std::string_view name) {
  std::vector<uint32_t> ms;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty()) continue;
    uint32_t value = 0;
    auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
    if (ec != std::errc{} || ptr != line.data() + line.size()) {
      return std::unexpected(fmt::format("{}:{}: expected a non-negative integer millisecond "
                                         "timestamp, got '{}'", name, line_no, line));
    }
    if (!ms.empty() && value < ms.back()) {
      return std::unexpected(fmt::format("{}:{}: timestamp {} is before the previous one ({}); "
                                         "timestamps must not decrease", name, line_no, value,
                                         ms.back()));
    }
    ms.push_back(value);
  }
  if (ms.empty()) return std::unexpected(fmt::format("{}: trace has no delivery opportunities", name));
  if (ms.back() == 0) {
    return std::unexpected(fmt::format("{}: last timestamp is 0, so the trace has no period", name));
  }
  return Trace(std::move(ms));
}

std::expected<Trace, std::string> Trace::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(fmt::format("{}: cannot open trace file", path));
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

double Trace::mean_rate_bps(uint32_t bytes_per_opportunity) const {
  double seconds = std::chrono::duration<double>(period()).count();
  return static_cast<double>(size()) * bytes_per_opportunity * 8.0 / seconds;
}

}  // namespace braid::sim

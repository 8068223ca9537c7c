// Progress bar rendering: bytes, percentage when the size is known, and a smoothed rate.
#include "tools/braid/progress.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "tools/braid/tool_support.h"

namespace braid::tool {

bool ProgressBar::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

size_t terminal_columns() {
  winsize ws{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

std::string fit_to_width(std::string line, size_t columns) {
  // One column short of the edge: a full line would make some terminals wrap the cursor.
  if (columns > 1 && line.size() >= columns) line.resize(columns - 1);
  return line;
}

namespace {
std::string percent(uint64_t part, uint64_t whole) {
  return whole ? fmt::format("{:.1f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole)) : "-";
}
}  // namespace

std::string path_summary(const PathStats& p, double rx_bps, double tx_bps, bool with_addresses) {
  std::string s = fmt::format("path {}", p.path_id);
  if (with_addresses) s += fmt::format(" {} -> {}", p.tuple.local.to_string(), p.tuple.remote.to_string());
  s += fmt::format(" {:<9} rx {:6.1f} Mbit/s  tx {:6.1f} Mbit/s  rtt {}  loss rx {} tx {}", path_state_name(p.state), rx_bps / 1e6,
                   tx_bps / 1e6, p.min_rtt.count() ? fmt::format("{:.1f} ms", to_ms(p.smoothed_rtt)) : "-",   // no sample yet: no RTT
                   percent(p.packets_missing, p.packets_missing + p.packets_received),
                   percent(p.packets_lost, p.packets_sent));
  if (p.backup) s += " (backup)";
  if (p.health != PathHealth::kHealthy) s += fmt::format(" [{}]", path_health_name(p.health));
  return s;
}

ProgressBar::ProgressBar(std::string label, uint64_t total_bytes, bool enabled)
    : label_(std::move(label)), total_(total_bytes), enabled_(enabled) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(TimePoint now, uint64_t bytes) {
  if (!enabled_) return;
  if (start_ == TimePoint{}) {
    start_ = rate_time_ = now;
    rate_bytes_ = bytes;
    return;  // the first call only starts the clock, so the first line shows a rate
  }
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  double dt = std::chrono::duration<double>(now - rate_time_).count();
  if (dt >= 0.25) {
    double inst = (bytes - rate_bytes_) * 8.0 / dt;
    rate_bps_ = rate_bps_ == 0 ? inst : 0.5 * rate_bps_ + 0.5 * inst;
    rate_time_ = now;
    rate_bytes_ = bytes;
  }
  last_draw_ = now;
  drawn_ = true;
  double shown_bps = rate_bps_;
  if (shown_bps == 0) {  // no smoothed sample yet: average since the start
    double since = std::chrono::duration<double>(now - start_).count();
    shown_bps = since > 0 ? bytes * 8.0 / since : 0;
  }
  std::string line;
  if (total_ > 0) {
    constexpr int kWidth = 30;
    double frac = std::min(1.0, double(bytes) / double(total_));
    int filled = static_cast<int>(frac * kWidth);
    line = fmt::format("\r{} [{}{}] {:5.1f}% {} / {}  {:.1f} Mbit/s ", label_, std::string(filled, '#'),
                       std::string(kWidth - filled, '.'), frac * 100, format_bytes(bytes), format_bytes(total_),
                       shown_bps / 1e6);
  } else {
    line = fmt::format("\r{} {}  {:.1f} Mbit/s ", label_, format_bytes(bytes), shown_bps / 1e6);
  }
  // Clear what a longer earlier line left behind, and never wrap.
  line = "\r\x1b[2K" + fit_to_width(line.substr(1), terminal_columns());
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (!enabled_ || !drawn_) return;
  std::fputs("\r\x1b[2K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

PathLines::PathLines(bool terminal, TimePoint start) : terminal_(terminal), start_(start) {}

PathLines::~PathLines() { finish(); }

void PathLines::update(TimePoint now, const ConnectionStats& stats) {
  for (const auto& p : stats.paths) {
    auto& r = rates_[p.path_id];
    if (r.at == TimePoint{}) {
      r.at = now;
      r.rx_bytes = p.stream_bytes_received;
      r.tx_bytes = p.stream_bytes_sent;
      continue;
    }
    double dt = std::chrono::duration<double>(now - r.at).count();
    if (dt < 0.25) continue;
    r.rx_bps = 0.5 * r.rx_bps + 0.5 * (p.stream_bytes_received - r.rx_bytes) * 8.0 / dt;
    r.tx_bps = 0.5 * r.tx_bps + 0.5 * (p.stream_bytes_sent - r.tx_bytes) * 8.0 / dt;
    r.at = now;
    r.rx_bytes = p.stream_bytes_received;
    r.tx_bytes = p.stream_bytes_sent;
  }
  auto interval = terminal_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(1000);
  if (last_draw_ != TimePoint{} && now - last_draw_ < interval) return;
  last_draw_ = now;
  auto summary = [&](const PathStats& p, bool addresses) {
    auto it = rates_.find(p.path_id);
    return path_summary(p, it == rates_.end() ? 0 : it->second.rx_bps, it == rates_.end() ? 0 : it->second.tx_bps,
                        addresses);
  };
  std::string bonding = stats.multipath ? std::string(bonding_state_name(stats.bonding)) : "single-path";
  if (!terminal_) {
    std::string line = fmt::format("[{:5.1f} s]", std::chrono::duration<double>(now - start_).count());
    for (const auto& p : stats.paths) line += " | " + summary(p, false);
    line += fmt::format(" | {}\n", bonding);
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    return;
  }
  // The bar is the current line; the path lines go below it, then the cursor returns. Lines
  // are cut to the terminal width: a wrapped line would shift everything drawn after it.
  size_t columns = terminal_columns();
  std::string out = "\n";
  for (const auto& p : stats.paths) out += "\r\x1b[2K" + fit_to_width("  " + summary(p, true), columns) + "\n";
  out += "\r\x1b[2K" + fit_to_width("  bonding " + bonding, columns) + "\n";
  size_t lines = stats.paths.size() + 1;
  for (size_t i = lines; i < drawn_lines_; ++i) out += "\r\x1b[2K\n";
  lines = std::max(drawn_lines_, lines);
  drawn_lines_ = lines;
  out += fmt::format("\x1b[{}A\r", lines + 1);  // relative, so scrolling cannot misplace it
  std::fputs(out.c_str(), stderr);
  std::fflush(stderr);
}

void PathLines::finish() {
  if (!terminal_ || drawn_lines_ == 0) return;
  std::fputs("\r\x1b[J", stderr);
  std::fflush(stderr);
  drawn_lines_ = 0;
}

}  // namespace braid::tool

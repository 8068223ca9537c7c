// Progress bar rendering: bytes, percentage when the size is known, and a smoothed rate.
#include "tools/braid/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "tools/braid/tool_support.h"

namespace braid::tool {

bool ProgressBar::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

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
    auto& r = rates_[p.id];
    if (r.at == TimePoint{}) {
      r.at = now;
      r.bytes = p.stream_bytes_received;
      continue;
    }
    double dt = std::chrono::duration<double>(now - r.at).count();
    if (dt < 0.25) continue;
    double inst = (p.stream_bytes_received - r.bytes) * 8.0 / dt;
    r.bps = 0.5 * r.bps + 0.5 * inst;
    r.at = now;
    r.bytes = p.stream_bytes_received;
  }
  auto interval = terminal_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(1000);
  if (last_draw_ != TimePoint{} && now - last_draw_ < interval) return;
  last_draw_ = now;
  auto rate = [&](PathId id) { return rates_.count(id) ? rates_[id].bps / 1e6 : 0.0; };
  if (!terminal_) {
    std::string line = fmt::format("[{:5.1f} s]", std::chrono::duration<double>(now - start_).count());
    for (const auto& p : stats.paths) {
      line += fmt::format(" | path {} {} {:.1f} Mbit/s rtt {:.0f} ms lost {}", p.id, p.state, rate(p.id),
                          to_ms(p.smoothed_rtt), p.packets_lost);
    }
    line += fmt::format(" | {}\n", stats.bonding.empty() ? "single-path" : stats.bonding);
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    return;
  }
  // The bar is the current line; the path lines go below it, then the cursor returns.
  std::string out = "\n";
  for (const auto& p : stats.paths) {
    out += fmt::format("\r\x1b[2K  path {} {} -> {}  {:<10} {:6.1f} Mbit/s  rtt {:6.1f} ms  cwnd {:>9}  lost {}\n", p.id,
                       p.tuple.local.to_string(), p.tuple.remote.to_string(), p.state, rate(p.id),
                       to_ms(p.smoothed_rtt), format_bytes(p.congestion_window), p.packets_lost);
  }
  for (size_t i = stats.paths.size(); i < drawn_lines_; ++i) out += "\r\x1b[2K\n";
  size_t lines = std::max(drawn_lines_, stats.paths.size());
  drawn_lines_ = lines;
  out += fmt::format("\x1b[{}A", lines + 1);  // relative, so scrolling cannot misplace it
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

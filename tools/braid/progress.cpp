// Progress bar rendering: bytes, percentage when the size is known, and a smoothed rate.
#include "tools/braid/progress.h"

#include <fmt/format.h>
#include <unistd.h>

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

}  // namespace braid::tool

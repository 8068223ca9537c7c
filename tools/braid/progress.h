// A one-line transfer progress bar on stderr, drawn only when stderr is a terminal, and the
// per-path lines under it (or, without a terminal, one summary line per second).
#pragma once
#include <cstdint>
#include <string>

#include <map>
#include <vector>

#include "braid/connection.h"
#include "braid/time.h"

namespace braid::tool {

class ProgressBar {
 public:
  // `total_bytes` 0: unknown size (no percentage). `enabled` false: never draws.
  ProgressBar(std::string label, uint64_t total_bytes, bool enabled);
  ~ProgressBar();
  void set_total(uint64_t total_bytes) { total_ = total_bytes; }
  // Redraws at most every 100 ms.
  void update(TimePoint now, uint64_t bytes);
  void finish();  // clears the line
  static bool stderr_is_terminal();

 private:
  std::string label_;
  uint64_t total_;
  bool enabled_;
  bool drawn_ = false;
  TimePoint start_{}, last_draw_{}, rate_time_{};
  uint64_t rate_bytes_ = 0;
  double rate_bps_ = 0;
};

// One line per path: id, local -> remote, state, goodput (stream bytes received), smoothed
// RTT, congestion window, losses. On a terminal the lines sit under the progress bar and are
// redrawn in place; otherwise a single line with every path is printed each second.
class PathLines {
 public:
  PathLines(bool terminal, TimePoint start);
  ~PathLines();
  void update(TimePoint now, const ConnectionStats& stats);
  void finish();  // clears the lines (terminal)

 private:
  struct Rate {
    uint64_t bytes = 0;
    TimePoint at{};
    double bps = 0;
  };
  bool terminal_;
  TimePoint start_, last_draw_{};
  size_t drawn_lines_ = 0;
  std::map<PathId, Rate> rates_;
};

}  // namespace braid::tool

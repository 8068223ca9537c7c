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

// Columns of the terminal on stderr (80 when unknown).
size_t terminal_columns();
// `line` cut to `columns` visible characters (plain ASCII text, no escapes).
std::string fit_to_width(std::string line, size_t columns);
// One path's summary, e.g. "path 1 active  rx 38.2 Mbit/s  tx 0.1 Mbit/s  rtt 41.3 ms  loss rx 0.2% tx 0.0%".
std::string path_summary(const PathStats& p, double rx_bps, double tx_bps, bool with_addresses);

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

// One line per path with what the user can act on, whichever side sends: id, local ->
// remote, state, receive and send goodput (stream bytes), smoothed RTT, and loss both ways
// (receive side: packet numbers that never arrived; send side: packets declared lost),
// then the bonding state. On a terminal the lines sit under the progress bar, cut to the
// terminal width so nothing wraps, and are redrawn in place; otherwise a single line with
// every path is printed each second.
class PathLines {
 public:
  PathLines(bool terminal, TimePoint start);
  ~PathLines();
  void update(TimePoint now, const ConnectionStats& stats);
  void finish();  // clears the lines (terminal)

 private:
  struct Rate {
    uint64_t rx_bytes = 0, tx_bytes = 0;
    TimePoint at{};
    double rx_bps = 0, tx_bps = 0;
  };
  bool terminal_;
  TimePoint start_, last_draw_{};
  size_t drawn_lines_ = 0;
  std::map<PathId, Rate> rates_;
};

}  // namespace braid::tool

// A one-line transfer progress bar on stderr, drawn only when stderr is a terminal.
#pragma once
#include <cstdint>
#include <string>

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

}  // namespace braid::tool

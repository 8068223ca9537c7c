// CLOCK_MONOTONIC read for the runtime; the core and simulator never call this.
#include "io/monotonic_clock.h"

namespace braid::io {

TimePoint monotonic_now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return TimePoint{std::chrono::nanoseconds{int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec}};
}

timespec to_timespec(Duration d) {
  int64_t ns = d.count();
  if (ns < 0) ns = 0;
  timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  return ts;
}

}  // namespace braid::io

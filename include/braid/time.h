// Time as the protocol core sees it: a monotonic time point handed in by the caller.
// MonoClock deliberately has no now(): only the runtime and the simulator make time points.
#pragma once
#include <chrono>
#include <cstdint>

namespace braid {

struct MonoClock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<MonoClock, duration>;
  static constexpr bool is_steady = true;
};

using TimePoint = MonoClock::time_point;
using Duration = std::chrono::nanoseconds;
using namespace std::chrono_literals;

inline constexpr TimePoint kNever = TimePoint::max();

inline constexpr TimePoint time_from_us(int64_t us) { return TimePoint{std::chrono::microseconds{us}}; }
inline constexpr int64_t to_us(Duration d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); }
inline constexpr int64_t to_us(TimePoint t) { return to_us(t.time_since_epoch()); }

}  // namespace braid

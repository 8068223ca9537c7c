// The runtime's only reader of the clock: CLOCK_MONOTONIC as a braid::TimePoint
// (nanoseconds since boot), plus conversions to the kernel's timespec.
#pragma once
#include <ctime>

#include "braid/time.h"

namespace braid::io {

TimePoint monotonic_now();

// Clamps negative durations to zero; kNever maps to a far-future timespec.
timespec to_timespec(Duration d);

}  // namespace braid::io

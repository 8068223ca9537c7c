// The runtime clock: nanoseconds since boot, never going backwards.
#include "io/monotonic_clock.h"

#include <gtest/gtest.h>

namespace braid::io {
namespace {

TEST(MonotonicClock, MatchesClockMonotonicAndAdvances) {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  TimePoint a = monotonic_now();
  int64_t kernel_ns = int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  EXPECT_GE(a.time_since_epoch().count(), kernel_ns);
  EXPECT_LT(a.time_since_epoch().count() - kernel_ns, 1'000'000'000);
  TimePoint b = monotonic_now();
  EXPECT_GE(b, a);
}

TEST(MonotonicClock, ToTimespecClampsNegative) {
  timespec t = to_timespec(Duration{-5});
  EXPECT_EQ(t.tv_sec, 0);
  EXPECT_EQ(t.tv_nsec, 0);
  t = to_timespec(std::chrono::milliseconds{1500});
  EXPECT_EQ(t.tv_sec, 1);
  EXPECT_EQ(t.tv_nsec, 500'000'000);
}

}  // namespace
}  // namespace braid::io

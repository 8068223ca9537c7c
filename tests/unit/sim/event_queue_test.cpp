// Event queue: time order, FIFO among equal times, cancellation, clock movement.
#include "sim/event_queue.h"

#include <gtest/gtest.h>

#include <string>

namespace braid::sim {
namespace {

TEST(EventQueue, RunsInTimeOrderAndFifoForEqualTimes) {
  EventQueue q;
  std::string order;
  q.schedule(time_from_us(30), [&] { order += 'c'; });
  q.schedule(time_from_us(10), [&] { order += 'a'; });
  q.schedule(time_from_us(20), [&] { order += 'b'; });
  q.schedule(time_from_us(20), [&] { order += 'B'; });
  q.schedule(time_from_us(20), [&] { order += '2'; });
  EXPECT_EQ(q.run_until(time_from_us(100)), 5u);
  EXPECT_EQ(order, "abB2c");
  EXPECT_EQ(q.now(), time_from_us(100));
}

TEST(EventQueue, CancelPreventsRun) {
  EventQueue q;
  int ran = 0;
  auto id = q.schedule(time_from_us(5), [&] { ran += 1; });
  q.schedule(time_from_us(6), [&] { ran += 10; });
  EXPECT_TRUE(q.cancel(id));
  EXPECT_FALSE(q.cancel(id));
  EXPECT_EQ(q.pending(), 1u);
  EXPECT_EQ(q.next_time(), time_from_us(6));
  q.run_until(time_from_us(10));
  EXPECT_EQ(ran, 10);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.next_time(), kNever);
}

TEST(EventQueue, RunNextAdvancesClockAndCallbacksMayScheduleAtNow) {
  EventQueue q(time_from_us(1000));
  std::string order;
  q.schedule(time_from_us(1500), [&] {
    order += 'x';
    q.schedule(q.now(), [&] { order += 'z'; });
  });
  q.schedule(time_from_us(1500), [&] { order += 'y'; });
  EXPECT_TRUE(q.run_next());
  EXPECT_EQ(q.now(), time_from_us(1500));
  EXPECT_TRUE(q.run_next());
  EXPECT_TRUE(q.run_next());
  EXPECT_FALSE(q.run_next());
  EXPECT_EQ(order, "xyz");
}

TEST(EventQueue, PastTimesRunAtNowAndRunUntilStopsAtLimit) {
  EventQueue q(time_from_us(100));
  int ran = 0;
  q.schedule(time_from_us(50), [&] { ++ran; });
  q.schedule_after(std::chrono::microseconds{200}, [&] { ++ran; });
  EXPECT_EQ(q.run_until(time_from_us(150)), 1u);
  EXPECT_EQ(q.now(), time_from_us(150));
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(q.next_time(), time_from_us(300));
}

}  // namespace
}  // namespace braid::sim

// The epoll loop: timer order and precision, cancellation, cross-thread post/stop, fd callbacks.
#include "io/event_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "io/monotonic_clock.h"
#include "io_test_util.h"

namespace braid::io {
namespace {

std::unique_ptr<EventLoop> make_loop() {
  auto loop = EventLoop::create();
  if (!loop) ADD_FAILURE() << loop.error().message();
  return std::move(*loop);
}

// Runs one attempt of timers at the given offsets; returns the worst lateness, or a negative
// value if any fired early or out of order.
Duration timer_attempt(const std::vector<Duration>& offsets) {
  auto loop = make_loop();
  const TimePoint start = monotonic_now();
  std::vector<std::pair<TimePoint, TimePoint>> fired;  // deadline, actual
  for (Duration off : offsets) {
    TimePoint deadline = start + off;
    loop->add_timer(deadline, [&fired, deadline] { fired.emplace_back(deadline, monotonic_now()); });
  }
  bool done = loop->run_until([&] { return fired.size() == offsets.size(); }, start + 1s);
  if (!done) return Duration{-1};
  Duration worst{0};
  for (size_t i = 0; i < fired.size(); ++i) {
    if (fired[i].second < fired[i].first) return Duration{-1};
    if (i > 0 && fired[i].first < fired[i - 1].first) return Duration{-1};
    worst = std::max(worst, fired[i].second - fired[i].first);
  }
  return worst;
}

TEST(EventLoop, TimersFireInDeadlineOrderWithinTwoMilliseconds) {
  std::vector<Duration> offsets{5ms, 1ms, 3ms, 2ms, 500us, 4ms, 2500us, 1200us, 10ms, 300us};
  // The loop itself wakes within ~100 us here, but on two cores shared with compilers a
  // runnable thread can wait several ms for a CPU. Retry, spaced out, before calling the
  // loop imprecise: a bug in the loop fails every attempt, preemption does not.
  Duration best = Duration::max();
  for (int attempt = 0; attempt < 8 && best >= 2ms; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(30ms);
    Duration worst = timer_attempt(offsets);
    ASSERT_GE(worst.count(), 0) << "a timer fired early, out of order, or not at all";
    best = std::min(best, worst);
  }
  EXPECT_LT(best, 2ms) << "worst lateness " << to_us(best) << " us";
}

TEST(EventLoop, SameDeadlineRunsInInsertionOrderAndCancelWorks) {
  auto loop = make_loop();
  TimePoint at = monotonic_now() + 1ms;
  std::vector<int> order;
  loop->add_timer(at, [&] { order.push_back(1); });
  auto cancelled = loop->add_timer(at, [&] { order.push_back(99); });
  loop->add_timer(at, [&] { order.push_back(2); });
  loop->add_timer(at, [&] { order.push_back(3); });
  EXPECT_TRUE(loop->cancel_timer(cancelled));
  EXPECT_FALSE(loop->cancel_timer(cancelled));
  EXPECT_EQ(loop->pending_timers(), 3u);
  ASSERT_TRUE(loop->run_until([&] { return order.size() == 3; }, monotonic_now() + 1s));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(loop->pending_timers(), 0u);
}

TEST(EventLoop, TimerCanCancelAnotherDueTimerAndRearmItself) {
  auto loop = make_loop();
  TimePoint now = monotonic_now();
  int second_ran = 0, rearms = 0;
  EventLoop::TimerId second = EventLoop::kNoTimer;
  loop->add_timer(now, [&] { loop->cancel_timer(second); });
  second = loop->add_timer(now, [&] { ++second_ran; });
  std::function<void()> rearm = [&] {
    if (++rearms < 100) loop->add_timer(monotonic_now(), rearm);
  };
  loop->add_timer(now, rearm);
  bool posted_ran = false;
  loop->post([&] { posted_ran = true; });
  ASSERT_TRUE(loop->run_until([&] { return rearms == 100; }, now + 1s));
  EXPECT_EQ(second_ran, 0);
  EXPECT_TRUE(posted_ran);  // a timer re-arming at "now" does not starve other work
}

TEST(EventLoop, PostFromAnotherThreadRunsOnTheLoopThread) {
  auto loop = make_loop();
  const auto loop_thread = std::this_thread::get_id();
  std::atomic<int> ran{0};
  std::atomic<bool> on_loop_thread{true};
  std::thread poster([&] {
    for (int i = 0; i < 1000; ++i) {
      loop->post([&] {
        if (std::this_thread::get_id() != loop_thread || !loop->in_loop_thread()) on_loop_thread = false;
        ++ran;
      });
    }
  });
  bool done = loop->run_until([&] { return ran.load() == 1000; }, monotonic_now() + 5s);
  poster.join();
  EXPECT_TRUE(done);
  EXPECT_TRUE(on_loop_thread);
  EXPECT_FALSE(loop->in_loop_thread());  // no longer running
}

TEST(EventLoop, StopFromAnotherThreadEndsRun) {
  auto loop = make_loop();
  std::thread stopper([&] {
    std::this_thread::sleep_for(20ms);
    loop->stop();
  });
  TimePoint start = monotonic_now();
  loop->run();
  stopper.join();
  EXPECT_LT(monotonic_now() - start, 2s);
}

TEST(EventLoop, RunUntilDeadlineReturnsOnTime) {
  auto loop = make_loop();
  TimePoint start = monotonic_now();
  loop->run_until(start + 5ms);
  Duration took = monotonic_now() - start;
  EXPECT_GE(took, 5ms);
  EXPECT_LT(took, 100ms);
}

TEST(EventLoop, FdCallbacksReadWriteAndRemoveInsideCallback) {
  auto loop = make_loop();
  auto rx = UdpSocket::open(test::loopback4());
  auto tx = UdpSocket::open(test::loopback4());
  ASSERT_TRUE(rx && tx);
  ReceiveBatch batch(4);
  int readable = 0, writable = 0;
  size_t datagrams = 0;
  ASSERT_TRUE(loop->add_fd(rx->fd(), {[&] {
                                        ++readable;
                                        while (auto n = rx->receive(batch)) {
                                          if (*n == 0) break;
                                          datagrams += *n;
                                        }
                                      },
                                      nullptr}));
  EXPECT_FALSE(loop->add_fd(rx->fd(), {}));  // duplicate registration is refused
  ASSERT_TRUE(loop->add_fd(tx->fd(), {nullptr, [&] {
                                        ++writable;
                                        auto body = test::payload(1, 10);
                                        OutgoingDatagram d{rx->local_address(), std::nullopt, 0,
                                                           body.data(), body.size(), 0};
                                        tx->send({&d, 1});
                                        loop->remove_fd(tx->fd());  // removing self is safe
                                      }},
                           /*want_write=*/true));
  ASSERT_TRUE(loop->run_until([&] { return datagrams == 1; }, monotonic_now() + 2s));
  EXPECT_EQ(writable, 1);
  EXPECT_GE(readable, 1);
  EXPECT_FALSE(loop->set_want_write(tx->fd(), true));  // no longer registered
  ASSERT_TRUE(loop->set_want_write(rx->fd(), false));
  loop->remove_fd(rx->fd());
}

}  // namespace
}  // namespace braid::io

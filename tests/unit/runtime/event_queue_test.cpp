// EventQueue: order, the eventfd readable exactly while events wait, wait() timing out
// empty, and the drain callback firing once after full() when the bytes fall below half.
#include "runtime/event_queue.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <thread>

namespace braid::runtime {
namespace {

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

RuntimeEvent data_event(size_t bytes, StreamId s) {
  RuntimeEvent ev{.type = RuntimeEventType::kStreamData, .conn = 1, .stream = s};
  ev.data.assign(bytes, 0xab);
  return ev;
}

TEST(EventQueue, KeepsOrderAndTheFdFollowsEmptiness) {
  EventQueue q(1 << 20, nullptr);
  ASSERT_TRUE(q.valid());
  EXPECT_FALSE(readable(q.fd()));
  EXPECT_FALSE(q.pop());
  for (StreamId s = 0; s < 3; ++s) q.push(data_event(10, s));
  EXPECT_TRUE(readable(q.fd()));
  for (StreamId s = 0; s < 3; ++s) {
    auto ev = q.pop();
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->stream, s);
    EXPECT_EQ(readable(q.fd()), s < 2);
  }
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(q.wait(std::chrono::milliseconds(30)));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(25));
}

TEST(EventQueue, WaitWakesForAPushFromAnotherThread) {
  EventQueue q(1 << 20, nullptr);
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    q.push(data_event(1, 7));
  });
  auto ev = q.wait(std::chrono::seconds(5));
  producer.join();
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->stream, 7u);
}

TEST(EventQueue, DrainCallbackFiresOnceBelowHalfAfterFull) {
  int drained = 0;
  EventQueue q(100, [&] { drained++; });
  for (int i = 0; i < 4; ++i) q.push(data_event(30, 0));   // 120 bytes
  EXPECT_TRUE(q.full());
  q.pop();   // 90: below the mark, not below half
  EXPECT_EQ(drained, 0);
  q.pop();   // 60
  EXPECT_EQ(drained, 0);
  q.pop();   // 30 < 50
  EXPECT_EQ(drained, 1);
  q.pop();
  EXPECT_EQ(drained, 1);
  EXPECT_FALSE(q.full());
  // Without full() having said so, nobody waits: no callback.
  for (int i = 0; i < 4; ++i) q.push(data_event(30, 0));
  while (q.pop()) {
  }
  EXPECT_EQ(drained, 1);
}

}  // namespace
}  // namespace braid::runtime

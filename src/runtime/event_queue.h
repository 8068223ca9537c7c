// The runtime's event queue between the loop thread (producer) and the application
// (consumer, any thread): a locked deque, a condition variable for wait_event() and an
// eventfd that is readable exactly while the deque is not empty, so the application can
// put it into its own poll/epoll set. It also counts the payload bytes it holds, which the
// loop uses to stop reading streams while the application lags behind.
#pragma once
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>

#include "braid/runtime.h"

namespace braid::runtime {

class EventQueue {
 public:
  // `low_water_bytes`: after a pop takes the held bytes from at least `high_water` to
  // below this, `on_drained` runs (on the popping thread, outside the lock).
  EventQueue(size_t high_water_bytes, std::function<void()> on_drained);
  ~EventQueue();
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  void push(RuntimeEvent ev);
  std::optional<RuntimeEvent> pop();
  std::optional<RuntimeEvent> wait(std::chrono::milliseconds timeout);
  // True when the held payload bytes reached the high-water mark; the loop then stops
  // reading and remembers that a drain must wake it (see on_drained).
  bool full();

 private:
  std::optional<RuntimeEvent> take_locked(std::unique_lock<std::mutex>& lock);

  int fd_ = -1;
  size_t high_water_;
  std::function<void()> on_drained_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<RuntimeEvent> events_;
  size_t bytes_ = 0;
  bool blocked_ = false;   // full() said yes since the last drain callback
};

}  // namespace braid::runtime

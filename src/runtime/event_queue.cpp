// EventQueue: the eventfd mirrors emptiness under the same lock as the deque, so a reader
// woken by the fd always finds an event and an empty queue never leaves the fd readable.
#include "runtime/event_queue.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace braid::runtime {

EventQueue::EventQueue(size_t high_water_bytes, std::function<void()> on_drained)
    : high_water_(high_water_bytes == 0 ? 1 : high_water_bytes), on_drained_(std::move(on_drained)) {
  fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

EventQueue::~EventQueue() {
  if (fd_ >= 0) ::close(fd_);
}

void EventQueue::push(RuntimeEvent ev) {
  std::lock_guard lock(mutex_);
  bytes_ += ev.data.size();
  events_.push_back(std::move(ev));
  if (events_.size() == 1) {
    uint64_t one = 1;
    (void)!::write(fd_, &one, sizeof one);
  }
  ready_.notify_one();
}

bool EventQueue::full() {
  std::lock_guard lock(mutex_);
  if (bytes_ < high_water_) return false;
  blocked_ = true;
  return true;
}

std::optional<RuntimeEvent> EventQueue::take_locked(std::unique_lock<std::mutex>& lock) {
  if (events_.empty()) return std::nullopt;
  RuntimeEvent ev = std::move(events_.front());
  events_.pop_front();
  bytes_ -= ev.data.size();
  if (events_.empty()) {
    uint64_t v;
    (void)!::read(fd_, &v, sizeof v);
  }
  // Resume the loop's reading at half the mark, not right below it, so it reads in
  // large batches instead of one chunk per pop.
  bool wake = blocked_ && bytes_ < high_water_ / 2;
  if (wake) blocked_ = false;
  lock.unlock();
  if (wake && on_drained_) on_drained_();
  return ev;
}

std::optional<RuntimeEvent> EventQueue::pop() {
  std::unique_lock lock(mutex_);
  return take_locked(lock);
}

std::optional<RuntimeEvent> EventQueue::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [this] { return !events_.empty(); });
  return take_locked(lock);
}

}  // namespace braid::runtime

// epoll-based loop. Timers live in an ordered map and set the epoll_pwait2 timeout directly,
// so they cost no extra syscalls and keep nanosecond resolution (no timerfd re-arming).
#include "io/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

#include "io/monotonic_clock.h"

namespace braid::io {
namespace {

constexpr uint64_t kWakeRegistration = 0;
constexpr int kMaxEvents = 64;

std::error_code errno_code(int e) { return {e, std::system_category()}; }

uint32_t interest(bool want_write) { return EPOLLIN | EPOLLRDHUP | (want_write ? EPOLLOUT : 0u); }

void signal_eventfd(int fd) {
  uint64_t one = 1;
  // EAGAIN only when the counter is saturated, which still leaves the fd readable.
  [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof(one));
}

}  // namespace

std::expected<std::unique_ptr<EventLoop>, std::error_code> EventLoop::create() {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return std::unexpected(errno_code(errno));
  int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake < 0) {
    int e = errno;
    ::close(ep);
    return std::unexpected(errno_code(e));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeRegistration;
  if (epoll_ctl(ep, EPOLL_CTL_ADD, wake, &ev) != 0) {
    int e = errno;
    ::close(wake);
    ::close(ep);
    return std::unexpected(errno_code(e));
  }
  return std::unique_ptr<EventLoop>(new EventLoop(ep, wake));
}

EventLoop::EventLoop(int epoll_fd, int wake_fd) : epoll_fd_(epoll_fd), wake_fd_(wake_fd) {}

EventLoop::~EventLoop() {
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

// ---- fds ----------------------------------------------------------------------------------

std::expected<void, std::error_code> EventLoop::add_fd(int fd, FdHandlers handlers, bool want_write) {
  if (fds_.contains(fd)) return std::unexpected(errno_code(EEXIST));
  auto entry = std::make_shared<FdEntry>(FdEntry{fd, next_registration_++, std::move(handlers)});
  epoll_event ev{};
  ev.events = interest(want_write);
  ev.data.u64 = entry->registration;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) return std::unexpected(errno_code(errno));
  by_registration_.emplace(entry->registration, entry);
  fds_.emplace(fd, std::move(entry));
  return {};
}

std::expected<void, std::error_code> EventLoop::set_want_write(int fd, bool want_write) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return std::unexpected(errno_code(ENOENT));
  epoll_event ev{};
  ev.events = interest(want_write);
  ev.data.u64 = it->second->registration;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0) return std::unexpected(errno_code(errno));
  return {};
}

void EventLoop::remove_fd(int fd) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  by_registration_.erase(it->second->registration);
  fds_.erase(it);  // a callback still running keeps its entry alive through its own reference
}

// ---- timers -------------------------------------------------------------------------------

EventLoop::TimerId EventLoop::add_timer(TimePoint deadline, Task fn) {
  TimerId id = next_timer_++;
  timers_.emplace(std::make_pair(deadline, id), std::move(fn));
  timer_deadlines_.emplace(id, deadline);
  return id;
}

bool EventLoop::cancel_timer(TimerId id) {
  auto it = timer_deadlines_.find(id);
  if (it == timer_deadlines_.end()) return false;
  timers_.erase(std::make_pair(it->second, id));
  timer_deadlines_.erase(it);
  return true;
}

void EventLoop::run_expired_timers() {
  if (timers_.empty()) return;
  const TimePoint now = monotonic_now();
  // Timers added by callbacks in this pass wait for the next iteration, so a callback that
  // re-arms itself for "now" cannot starve I/O.
  const TimerId first_new = next_timer_;
  while (!timers_.empty()) {
    auto it = timers_.begin();
    if (it->first.first > now || it->first.second >= first_new) break;
    Task fn = std::move(it->second);
    timer_deadlines_.erase(it->first.second);
    timers_.erase(it);
    fn();
  }
}

// ---- cross-thread -------------------------------------------------------------------------

void EventLoop::post(Task fn) {
  {
    std::lock_guard lock(post_mutex_);
    posted_.push_back(std::move(fn));
  }
  if (!wake_pending_.exchange(true)) signal_eventfd(wake_fd_);
}

void EventLoop::stop() {
  stop_requested_.store(true);
  signal_eventfd(wake_fd_);
}

bool EventLoop::take_stop_request() { return stop_requested_.exchange(false); }

void EventLoop::run_posted_tasks() {
  {
    std::lock_guard lock(post_mutex_);
    if (posted_.empty()) return;
    running_.swap(posted_);
  }
  for (Task& t : running_) t();
  running_.clear();
}

// ---- the loop -----------------------------------------------------------------------------

void EventLoop::wait_and_dispatch(TimePoint wait_deadline) {
  TimePoint deadline = wait_deadline;
  if (!timers_.empty()) deadline = std::min(deadline, timers_.begin()->first.first);

  timespec ts{};
  timespec* timeout = nullptr;
  if (deadline != kNever) {
    ts = to_timespec(deadline - monotonic_now());
    timeout = &ts;
  }

  epoll_event events[kMaxEvents];
  static std::atomic<bool> have_pwait2{true};
  int n;
  if (have_pwait2.load(std::memory_order_relaxed)) {
    n = epoll_pwait2(epoll_fd_, events, kMaxEvents, timeout, nullptr);
    if (n < 0 && errno == ENOSYS) {
      have_pwait2.store(false, std::memory_order_relaxed);
      return;  // caller loops; the next wait takes the fallback
    }
  } else {
    // Kernels before 5.11: millisecond timeouts, rounded up so timers never fire early.
    int ms = -1;
    if (timeout) ms = static_cast<int>((ts.tv_sec * 1'000'000'000LL + ts.tv_nsec + 999'999) / 1'000'000);
    n = epoll_wait(epoll_fd_, events, kMaxEvents, ms);
  }
  if (n < 0) return;  // EINTR

  for (int i = 0; i < n; ++i) {
    const uint64_t reg = events[i].data.u64;
    if (reg == kWakeRegistration) {
      wake_pending_.store(false);
      uint64_t count;
      [[maybe_unused]] ssize_t r = ::read(wake_fd_, &count, sizeof(count));
      continue;
    }
    auto it = by_registration_.find(reg);
    if (it == by_registration_.end()) continue;  // removed by an earlier callback
    std::shared_ptr<FdEntry> entry = it->second;
    const uint32_t ev = events[i].events;
    if ((ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) && entry->handlers.on_readable) {
      entry->handlers.on_readable();
    }
    if ((ev & EPOLLOUT) && entry->handlers.on_writable && by_registration_.contains(reg)) {
      entry->handlers.on_writable();
    }
  }
}

void EventLoop::run_once(TimePoint wait_deadline) {
  ++iterations_;
  wait_and_dispatch(wait_deadline);
  run_expired_timers();
  run_posted_tasks();
}

void EventLoop::run() {
  loop_thread_.store(std::this_thread::get_id());
  while (!take_stop_request()) run_once(kNever);
  loop_thread_.store(std::thread::id{});
}

bool EventLoop::run_until(const std::function<bool()>& done, TimePoint deadline) {
  loop_thread_.store(std::this_thread::get_id());
  bool result = false;
  while (true) {
    if (done()) {
      result = true;
      break;
    }
    if (take_stop_request() || monotonic_now() >= deadline) break;
    run_once(deadline);
  }
  loop_thread_.store(std::thread::id{});
  return result;
}

void EventLoop::run_until(TimePoint deadline) {
  run_until([] { return false; }, deadline);
}

}  // namespace braid::io

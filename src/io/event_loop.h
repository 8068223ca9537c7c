// Single-threaded epoll event loop: fd readiness callbacks, high-resolution timers
// (epoll_pwait2, nanosecond timeouts) and a thread-safe task queue woken through an eventfd.
//
// Thread rules: everything except post() and stop() must be called on the loop thread (the
// one inside run*/run_once, or any single thread before the loop starts). post() and stop()
// may be called from any thread; posted tasks run on the loop thread in posting order.
#pragma once
#include <atomic>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include "braid/time.h"

namespace braid::io {

class EventLoop {
 public:
  using Task = std::function<void()>;
  using TimerId = uint64_t;
  static constexpr TimerId kNoTimer = 0;

  // Callbacks for one fd. Errors and hang-ups are reported as readable so the reader sees them.
  struct FdHandlers {
    std::function<void()> on_readable;
    std::function<void()> on_writable;
  };

  static std::expected<std::unique_ptr<EventLoop>, std::error_code> create();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Level-triggered. Write interest starts off; turn it on after a send hit EAGAIN.
  std::expected<void, std::error_code> add_fd(int fd, FdHandlers handlers, bool want_write = false);
  std::expected<void, std::error_code> set_want_write(int fd, bool want_write);
  void remove_fd(int fd);  // safe from inside that fd's own callback

  // Runs `fn` once at or after `deadline` (a monotonic_now() time). Timers due at the same
  // time run in the order they were added. Cancelling an unknown or fired id is a no-op.
  TimerId add_timer(TimePoint deadline, Task fn);
  bool cancel_timer(TimerId id);
  size_t pending_timers() const { return timer_deadlines_.size(); }

  void post(Task fn);  // thread-safe
  void stop();         // thread-safe; the running (or next) run* call returns

  // Runs until stop(). run_until returns true when `done()` became true, false on stop() or
  // when `deadline` passed. `done` is checked after every loop iteration.
  void run();
  bool run_until(const std::function<bool()>& done, TimePoint deadline = kNever);
  void run_until(TimePoint deadline);
  // One iteration: waits for I/O at most until `wait_deadline` (earlier if a timer is due),
  // then dispatches I/O, expired timers and posted tasks.
  void run_once(TimePoint wait_deadline = kNever);

  bool in_loop_thread() const { return std::this_thread::get_id() == loop_thread_.load(); }
  uint64_t iterations() const { return iterations_; }

 private:
  struct FdEntry {
    int fd;
    uint64_t registration;
    FdHandlers handlers;
  };

  EventLoop(int epoll_fd, int wake_fd);
  void wait_and_dispatch(TimePoint wait_deadline);
  void run_expired_timers();
  void run_posted_tasks();
  bool take_stop_request();

  int epoll_fd_;
  int wake_fd_;
  std::atomic<std::thread::id> loop_thread_{};
  uint64_t iterations_ = 0;

  uint64_t next_registration_ = 1;
  std::unordered_map<int, std::shared_ptr<FdEntry>> fds_;
  std::unordered_map<uint64_t, std::shared_ptr<FdEntry>> by_registration_;

  TimerId next_timer_ = 1;
  std::map<std::pair<TimePoint, TimerId>, Task> timers_;
  std::unordered_map<TimerId, TimePoint> timer_deadlines_;

  std::mutex post_mutex_;
  std::vector<Task> posted_;
  std::vector<Task> running_;  // swapped with posted_ so tasks run outside the lock
  std::atomic<bool> wake_pending_{false};
  std::atomic<bool> stop_requested_{false};
};

}  // namespace braid::io

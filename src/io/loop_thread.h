// A thread-safe application handle over the single-threaded runtime: an EventLoop running
// on its own thread, with post() (fire and forget) and call() (run on the loop thread and
// wait for the result). ConnectionHandle adds per-connection commands that are serviced
// (output drained, timer re-armed) right after they run.
#pragma once
#include <expected>
#include <functional>
#include <future>
#include <memory>
#include <system_error>
#include <thread>
#include <type_traits>

#include "braid/connection.h"
#include "io/endpoint_driver.h"
#include "io/event_loop.h"

namespace braid::io {

class LoopThread {
 public:
  static std::expected<std::unique_ptr<LoopThread>, std::error_code> start();
  ~LoopThread();  // stops the loop and joins; objects living on the loop must be gone first
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  EventLoop& loop() { return *loop_; }
  void post(EventLoop::Task task) { loop_->post(std::move(task)); }

  // Runs `fn` on the loop thread and returns its result (directly when already there).
  // Must not be called after stop().
  template <typename F>
  std::invoke_result_t<F> call(F&& fn) {
    using R = std::invoke_result_t<F>;
    if (loop_->in_loop_thread()) return fn();
    std::packaged_task<R()> task(std::forward<F>(fn));
    auto fut = task.get_future();
    loop_->post([&task] { task(); });
    return fut.get();
  }

  void stop();  // idempotent; returns once the thread has ended

 private:
  explicit LoopThread(std::unique_ptr<EventLoop> loop);
  std::unique_ptr<EventLoop> loop_;
  std::thread thread_;
};

// Refers to one connection of an EndpointDriver that runs on a LoopThread. Commands run on
// the loop thread; a connection that has gone away makes them no-ops (call() returns false).
class ConnectionHandle {
 public:
  ConnectionHandle() = default;
  ConnectionHandle(LoopThread& thread, EndpointDriver& driver, uint64_t id)
      : thread_(&thread), driver_(&driver), id_(id) {}

  bool valid() const { return thread_ != nullptr && id_ != 0; }
  void post(std::function<void(Connection&)> fn) const;
  bool call(const std::function<void(Connection&)>& fn) const;

 private:
  LoopThread* thread_ = nullptr;
  EndpointDriver* driver_ = nullptr;
  uint64_t id_ = 0;
};

}  // namespace braid::io

// LoopThread and ConnectionHandle: cross-thread access to the loop and its connections.
#include "io/loop_thread.h"

namespace braid::io {

std::expected<std::unique_ptr<LoopThread>, std::error_code> LoopThread::start() {
  auto loop = EventLoop::create();
  if (!loop) return std::unexpected(loop.error());
  std::unique_ptr<LoopThread> t(new LoopThread(std::move(*loop)));
  t->thread_ = std::thread([p = t.get()] { p->loop_->run(); });
  return t;
}

LoopThread::LoopThread(std::unique_ptr<EventLoop> loop) : loop_(std::move(loop)) {}

LoopThread::~LoopThread() { stop(); }

void LoopThread::stop() {
  if (!thread_.joinable()) return;
  loop_->stop();
  thread_.join();
}

void ConnectionHandle::post(std::function<void(Connection&)> fn) const {
  if (!valid()) return;
  thread_->post([d = driver_, id = id_, fn = std::move(fn)] {
    if (Connection* c = d->find(id)) {
      fn(*c);
      d->service(*c);
    }
  });
}

bool ConnectionHandle::call(const std::function<void(Connection&)>& fn) const {
  if (!valid()) return false;
  return thread_->call([&]() -> bool {
    Connection* c = driver_->find(id_);
    if (!c) return false;
    fn(*c);
    driver_->service(*c);
    return true;
  });
}

}  // namespace braid::io

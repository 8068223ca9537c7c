// Discrete-event engine: a min-heap of (time, id) with lazy removal of cancelled events.
#include "sim/event_queue.h"

namespace braid::sim {

EventQueue::EventId EventQueue::schedule(TimePoint at, Callback cb) {
  if (at < now_) at = now_;
  EventId id = next_id_++;
  heap_.push({at, id});
  callbacks_.emplace(id, std::move(cb));
  return id;
}

bool EventQueue::cancel(EventId id) { return callbacks_.erase(id) > 0; }

void EventQueue::drop_cancelled() {
  while (!heap_.empty() && !callbacks_.contains(heap_.top().id)) heap_.pop();
}

TimePoint EventQueue::next_time() {
  drop_cancelled();
  return heap_.empty() ? kNever : heap_.top().at;
}

bool EventQueue::run_next() {
  drop_cancelled();
  if (heap_.empty()) return false;
  Entry e = heap_.top();
  heap_.pop();
  auto it = callbacks_.find(e.id);
  Callback cb = std::move(it->second);
  callbacks_.erase(it);
  now_ = e.at;
  cb();
  return true;
}

size_t EventQueue::run_until(TimePoint t) {
  size_t ran = 0;
  while (next_time() <= t) {
    run_next();
    ++ran;
  }
  if (t > now_ && t != kNever) now_ = t;
  return ran;
}

}  // namespace braid::sim

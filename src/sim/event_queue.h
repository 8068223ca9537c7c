// Discrete-event engine with a virtual clock: callbacks run in time order, and events due
// at the same time run in the order they were scheduled, so every run is reproducible.
#pragma once
#include <cstdint>
#include <functional>
#include <queue>
#include <unordered_map>
#include <vector>

#include "braid/time.h"

namespace braid::sim {

class EventQueue {
 public:
  using EventId = uint64_t;  // never 0, never reused
  using Callback = std::function<void()>;

  explicit EventQueue(TimePoint start = TimePoint{}) : now_(start) {}

  TimePoint now() const { return now_; }
  // Schedules `cb` at `at`; a time in the past runs at now(). Callbacks may schedule and
  // cancel other events, including ones due at the current time (they run afterwards).
  EventId schedule(TimePoint at, Callback cb);
  EventId schedule_after(Duration delay, Callback cb) { return schedule(now_ + delay, std::move(cb)); }
  // True when the event was still pending (it will not run).
  bool cancel(EventId id);

  // Time of the next pending event, kNever when none.
  TimePoint next_time();
  // Runs the next event, advancing the clock to its time. False when none is pending.
  bool run_next();
  // Runs every event due at or before `t`, then sets the clock to `t` (if later).
  // Returns the number of events run.
  size_t run_until(TimePoint t);
  size_t pending() const { return callbacks_.size(); }
  bool empty() const { return callbacks_.empty(); }

 private:
  struct Entry {
    TimePoint at;
    EventId id;  // ids grow with insertion, so they double as the FIFO tie-break
    bool operator>(const Entry& o) const { return at != o.at ? at > o.at : id > o.id; }
  };
  void drop_cancelled();

  TimePoint now_;
  EventId next_id_ = 1;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap_;
  std::unordered_map<EventId, Callback> callbacks_;
};

}  // namespace braid::sim

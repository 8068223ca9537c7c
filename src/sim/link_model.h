// One direction of an emulated link: drop-tail queue, serialization at a rate or along a
// Mahimahi trace, propagation delay with jitter, random and burst loss, duplication, MTU and
// scheduled events. Deterministic: time comes in as arguments, randomness from a seeded
// generator the link owns. Payloads stay with the caller, keyed by packet_id.
//
// Call order: enqueue(now, ...) for each packet offered; pop_delivered(now) whenever the
// clock reaches next_delivery_time(); take_discarded() to release payloads of packets that
// were queued but later dropped because the link went down. `now` must not go backwards.
#pragma once
#include <cstdint>
#include <deque>
#include <memory>
#include <queue>
#include <random>
#include <unordered_set>
#include <vector>

#include "braid/time.h"
#include "sim/link_events.h"
#include "sim/trace.h"

namespace braid::sim {

// Two-state burst loss model. Before each packet the state may flip (good→bad with
// p_good_to_bad, bad→good with p_bad_to_good); the packet is then lost with the loss
// probability of the state. Mean burst length in the bad state is 1 / p_bad_to_good.
struct GilbertElliott {
  double p_good_to_bad = 0;
  double p_bad_to_good = 1;
  double loss_in_bad = 1;
  double loss_in_good = 0;
  bool enabled() const { return p_good_to_bad > 0 || loss_in_good > 0; }
};

struct LinkConfig {
  uint64_t rate_bps = 0;        // 0 = unlimited (ignored while a trace drives the link)
  Duration delay{};             // one-way propagation delay
  Duration jitter{};            // each packet's delay varies uniformly in ±jitter
  bool jitter_reorders = false; // false: delivery order = arrival order (FIFO)
  uint64_t queue_bytes = 0;     // drop-tail limit on bytes waiting to serialize; 0 = unbounded
  double loss = 0;              // independent random loss probability
  GilbertElliott burst_loss;    // in addition to `loss`
  double duplicate = 0;         // probability a delivered packet arrives twice
  uint32_t mtu = 1500;          // larger packets are dropped; trace opportunity size
  std::vector<LinkEvent> events;
  std::shared_ptr<const Trace> trace;  // when set, capacity follows the trace
};

enum class EnqueueResult : uint8_t { kQueued, kDroppedQueue, kDroppedLoss, kDroppedDown, kDroppedMtu };
const char* to_string(EnqueueResult r);

struct Delivery {
  uint64_t packet_id;
  TimePoint time;       // when the packet reaches the far end
  uint32_t bytes;
  bool duplicate;       // the extra copy of a duplicated packet
  bool last_copy;       // no further delivery of this packet_id follows: release its payload
};

struct LinkCounters {
  uint64_t offered_packets = 0, offered_bytes = 0;    // every enqueue() call
  uint64_t enqueued_packets = 0, enqueued_bytes = 0;  // accepted into the queue
  uint64_t delivered_packets = 0, delivered_bytes = 0;  // including duplicates
  uint64_t duplicated_packets = 0;
  uint64_t dropped_queue = 0, dropped_loss = 0, dropped_down = 0, dropped_mtu = 0;
  uint64_t queue_high_water_bytes = 0;
};

class Link {
 public:
  // `origin` anchors scheduled events and the trace (trace time 0 = origin).
  Link(LinkConfig config, uint64_t seed, TimePoint origin = TimePoint{});

  EnqueueResult enqueue(TimePoint now, size_t bytes, uint64_t packet_id);

  // Earliest time at which pop_delivered() may return something or the link's state may
  // change (serialization end, scheduled event); kNever when idle. Never later than the
  // next delivery, so a caller that wakes up then and pops loses no precision.
  TimePoint next_delivery_time() const;
  // Deliveries due at or before `now`, in time order (ties: order of serialization).
  std::vector<Delivery> pop_delivered(TimePoint now);
  void pop_delivered(TimePoint now, std::vector<Delivery>& out);  // appends
  // Ids of packets accepted earlier but dropped when they left the queue while the link was
  // down or blackholed (counted in dropped_down). Each id appears once.
  std::vector<uint64_t> take_discarded();
  // Applies scheduled events and finished serializations up to `now` without popping, so
  // that is_up() and counters() reflect `now`.
  void advance_to(TimePoint now) { advance(now); }

  // Runtime changes take effect at `now` (for packets that start serializing from then on).
  void set_rate(TimePoint now, uint64_t rate_bps);  // also stops a trace
  void set_delay(TimePoint now, Duration delay);
  void set_jitter(TimePoint now, Duration jitter);
  void set_loss(TimePoint now, double loss);
  void set_up(TimePoint now, bool up);

  bool is_up() const { return up_ && !blackholed_; }
  const LinkConfig& config() const { return config_; }  // current values
  const LinkCounters& counters() const { return counters_; }
  uint64_t queued_bytes() const { return queued_bytes_; }
  size_t queued_packets() const { return queue_.size(); }
  size_t in_flight_packets() const { return in_flight_.size(); }

 private:
  struct Pending {
    uint64_t id;
    uint32_t bytes;
    uint32_t remaining;  // bytes not yet serialized (a trace may split a packet)
    TimePoint arrival;
    TimePoint tx_end;    // rate mode: fixed once serialization starts; kNever before
    Duration jitter;
    Duration duplicate_jitter;
    bool duplicate;
  };
  struct InFlight {
    TimePoint at;
    uint64_t seq;
    uint64_t id;
    uint32_t bytes;
    bool duplicate;
    bool paired;  // one of two copies
    bool operator>(const InFlight& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  void advance(TimePoint now);
  // Completes serializations ending before `t` (or at `t` when inclusive).
  void serialize(TimePoint t, bool inclusive);
  void serialize_at_rate(TimePoint t, bool inclusive);
  void serialize_along_trace(TimePoint t, bool inclusive);
  void complete(const Pending& p, TimePoint done);
  void apply(const LinkAction& a);
  TimePoint head_completion() const;
  Duration tx_time(uint64_t bytes) const;
  TimePoint opportunity_time(uint64_t index) const;
  uint64_t first_opportunity_at_or_after(TimePoint t) const;
  Duration draw_jitter();
  bool draw(double p);

  LinkConfig config_;
  TimePoint origin_;
  std::mt19937_64 rng_;
  LinkTimeline timeline_;
  TimePoint clock_;
  bool up_ = true;
  bool blackholed_ = false;
  bool ge_bad_ = false;

  std::deque<Pending> queue_;
  uint64_t queued_bytes_ = 0;
  TimePoint serializer_free_at_;
  uint64_t opportunity_ = 0;          // trace mode: next usable opportunity (absolute index)
  uint32_t opportunity_budget_ = 0;   // bytes left in it

  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<>> in_flight_;
  uint64_t seq_ = 0;
  TimePoint last_delivery_;
  std::unordered_set<uint64_t> first_copy_delivered_;
  std::vector<uint64_t> discarded_;
  LinkCounters counters_;
};

}  // namespace braid::sim

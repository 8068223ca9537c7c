// Link model mechanics: lazy advancement of the serializer and the event timeline to the
// time the caller passes in, so one model serves virtual and real time alike.
#include "sim/link_model.h"

#include <algorithm>
#include <utility>

namespace braid::sim {

const char* to_string(EnqueueResult r) {
  switch (r) {
    case EnqueueResult::kQueued: return "queued";
    case EnqueueResult::kDroppedQueue: return "dropped-queue";
    case EnqueueResult::kDroppedLoss: return "dropped-loss";
    case EnqueueResult::kDroppedDown: return "dropped-down";
    case EnqueueResult::kDroppedMtu: return "dropped-mtu";
  }
  return "?";
}

Link::Link(LinkConfig config, uint64_t seed, TimePoint origin)
    : config_(std::move(config)),
      origin_(origin),
      rng_(seed),
      timeline_(config_.events, origin),
      clock_(origin),
      serializer_free_at_(origin),
      last_delivery_(origin) {
  if (config_.mtu == 0) config_.mtu = 1500;
  opportunity_budget_ = config_.mtu;
}

bool Link::draw(double p) {
  if (p <= 0) return false;
  if (p >= 1) return true;
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < p;
}

Duration Link::draw_jitter() {
  int64_t j = config_.jitter.count();
  if (j <= 0) return Duration{};
  return Duration{std::uniform_int_distribution<int64_t>(-j, j)(rng_)};
}

Duration Link::tx_time(uint64_t bytes) const {
  if (config_.rate_bps == 0) return Duration{};
  // bytes * 8e9 stays far below 2^64 for any datagram.
  return Duration{static_cast<int64_t>(bytes * 8'000'000'000ull / config_.rate_bps)};
}

EnqueueResult Link::enqueue(TimePoint now, size_t bytes, uint64_t packet_id) {
  advance(now);
  counters_.offered_packets++;
  counters_.offered_bytes += bytes;
  if (bytes > config_.mtu) {
    counters_.dropped_mtu++;
    return EnqueueResult::kDroppedMtu;
  }
  if (!is_up()) {
    counters_.dropped_down++;
    return EnqueueResult::kDroppedDown;
  }
  bool lost = false;
  const auto& ge = config_.burst_loss;
  if (ge.enabled()) {
    ge_bad_ = ge_bad_ ? !draw(ge.p_bad_to_good) : draw(ge.p_good_to_bad);
    lost = draw(ge_bad_ ? ge.loss_in_bad : ge.loss_in_good);
  }
  if (draw(config_.loss)) lost = true;
  bool duplicate = draw(config_.duplicate);
  Duration jitter = draw_jitter();
  Duration duplicate_jitter = duplicate && config_.jitter_reorders ? draw_jitter() : jitter;
  if (lost) {
    counters_.dropped_loss++;
    return EnqueueResult::kDroppedLoss;
  }
  if (config_.queue_bytes > 0 && !queue_.empty() && queued_bytes_ + bytes > config_.queue_bytes) {
    counters_.dropped_queue++;
    return EnqueueResult::kDroppedQueue;
  }
  auto b = static_cast<uint32_t>(bytes);
  queue_.push_back({packet_id, b, b, clock_, kNever, jitter, duplicate_jitter, duplicate});
  queued_bytes_ += bytes;
  counters_.enqueued_packets++;
  counters_.enqueued_bytes += bytes;
  counters_.queue_high_water_bytes = std::max(counters_.queue_high_water_bytes, queued_bytes_);
  return EnqueueResult::kQueued;
}

void Link::advance(TimePoint now) {
  if (now < clock_) now = clock_;
  // Events due at time t take effect before serializations that end at t.
  while (timeline_.next_time() <= now) {
    TimePoint te = timeline_.next_time();
    serialize(te, /*inclusive=*/false);
    apply(*timeline_.pop_due(te));
  }
  serialize(now, /*inclusive=*/true);
  clock_ = now;
}

void Link::apply(const LinkAction& a) {
  switch (a.kind) {
    case LinkAction::Kind::kBlackholeOn: blackholed_ = true; break;
    case LinkAction::Kind::kBlackholeOff: blackholed_ = false; break;
    case LinkAction::Kind::kDown: up_ = false; break;
    case LinkAction::Kind::kUp: up_ = true; break;
    case LinkAction::Kind::kRate:
      if (config_.trace) {
        config_.trace.reset();
        serializer_free_at_ = std::max(serializer_free_at_, a.at);
      }
      config_.rate_bps = a.rate_bps;
      break;
    case LinkAction::Kind::kDelay: config_.delay = a.delay; break;
    case LinkAction::Kind::kLoss: config_.loss = a.loss; break;
  }
}

void Link::serialize(TimePoint t, bool inclusive) {
  if (config_.trace) serialize_along_trace(t, inclusive);
  else serialize_at_rate(t, inclusive);
}

void Link::serialize_at_rate(TimePoint t, bool inclusive) {
  auto due = [&](TimePoint x) { return x < t || (inclusive && x == t); };
  while (!queue_.empty()) {
    Pending& head = queue_.front();
    if (head.tx_end == kNever) {
      TimePoint start = std::max(serializer_free_at_, head.arrival);
      if (!due(start)) break;
      head.tx_end = start + tx_time(head.remaining);
    }
    if (!due(head.tx_end)) break;
    Pending p = head;
    queue_.pop_front();
    serializer_free_at_ = p.tx_end;
    complete(p, p.tx_end);
  }
}

TimePoint Link::opportunity_time(uint64_t index) const {
  const auto& ms = config_.trace->opportunities_ms();
  uint64_t n = ms.size();
  auto cycle = static_cast<int64_t>(index / n);
  return origin_ + cycle * config_.trace->period() + std::chrono::milliseconds{ms[index % n]};
}

uint64_t Link::first_opportunity_at_or_after(TimePoint t) const {
  const auto& ms = config_.trace->opportunities_ms();
  Duration rel = t > origin_ ? t - origin_ : Duration{};
  Duration period = config_.trace->period();
  int64_t cycle = rel / period;
  Duration within = rel - cycle * period;
  auto need_ms = static_cast<uint32_t>((within + std::chrono::milliseconds{1} - Duration{1}) /
                                       std::chrono::milliseconds{1});
  auto i = static_cast<uint64_t>(std::lower_bound(ms.begin(), ms.end(), need_ms) - ms.begin());
  if (i == ms.size()) {
    ++cycle;
    i = 0;
  }
  return static_cast<uint64_t>(cycle) * ms.size() + i;
}

void Link::serialize_along_trace(TimePoint t, bool inclusive) {
  auto due = [&](TimePoint x) { return x < t || (inclusive && x == t); };
  while (!queue_.empty()) {
    Pending& head = queue_.front();
    TimePoint opp = opportunity_time(opportunity_);
    if (opp < head.arrival) {  // opportunities that passed with nothing queued are wasted
      opportunity_ = first_opportunity_at_or_after(head.arrival);
      opportunity_budget_ = config_.mtu;
      opp = opportunity_time(opportunity_);
    }
    if (!due(opp)) break;
    uint32_t used = std::min(opportunity_budget_, head.remaining);
    head.remaining -= used;
    opportunity_budget_ -= used;
    if (opportunity_budget_ == 0) {
      ++opportunity_;
      opportunity_budget_ = config_.mtu;
    }
    if (head.remaining == 0) {
      Pending p = head;
      queue_.pop_front();
      complete(p, opp);
    }
  }
}

void Link::complete(const Pending& p, TimePoint done) {
  queued_bytes_ -= p.bytes;
  if (!is_up()) {
    counters_.dropped_down++;
    discarded_.push_back(p.id);
    return;
  }
  auto arrival = [&](Duration jitter) { return done + std::max(Duration{}, config_.delay + jitter); };
  TimePoint at = arrival(p.jitter);
  if (!config_.jitter_reorders) {
    at = std::max(at, last_delivery_);
    last_delivery_ = at;
  }
  in_flight_.push({at, seq_++, p.id, p.bytes, false, p.duplicate});
  if (p.duplicate) {
    TimePoint dup_at = config_.jitter_reorders ? arrival(p.duplicate_jitter) : at;
    in_flight_.push({dup_at, seq_++, p.id, p.bytes, true, true});
    counters_.duplicated_packets++;
  }
}

TimePoint Link::head_completion() const {
  const Pending& head = queue_.front();
  if (!config_.trace) {
    if (head.tx_end != kNever) return head.tx_end;
    return std::max(serializer_free_at_, head.arrival) + tx_time(head.remaining);
  }
  uint64_t index = opportunity_;
  uint32_t budget = opportunity_budget_;
  TimePoint opp = opportunity_time(index);
  if (opp < head.arrival) {
    index = first_opportunity_at_or_after(head.arrival);
    budget = config_.mtu;
    opp = opportunity_time(index);
  }
  uint32_t remaining = head.remaining;
  while (remaining > budget) {
    remaining -= budget;
    budget = config_.mtu;
    opp = opportunity_time(++index);
  }
  return opp;
}

TimePoint Link::next_delivery_time() const {
  TimePoint next = in_flight_.empty() ? kNever : in_flight_.top().at;
  if (!queue_.empty()) {
    TimePoint done = head_completion();
    TimePoint candidate = done;
    if (!config_.jitter_reorders) {
      candidate = std::max(last_delivery_,
                           done + std::max(Duration{}, config_.delay + queue_.front().jitter));
    }
    next = std::min({next, candidate, timeline_.next_time()});
  }
  return next;
}

void Link::pop_delivered(TimePoint now, std::vector<Delivery>& out) {
  advance(now);
  while (!in_flight_.empty() && in_flight_.top().at <= now) {
    InFlight f = in_flight_.top();
    in_flight_.pop();
    bool last = true;
    if (f.paired) last = !first_copy_delivered_.insert(f.id).second;
    if (f.paired && last) first_copy_delivered_.erase(f.id);
    counters_.delivered_packets++;
    counters_.delivered_bytes += f.bytes;
    out.push_back({f.id, f.at, f.bytes, f.duplicate, last});
  }
}

std::vector<Delivery> Link::pop_delivered(TimePoint now) {
  std::vector<Delivery> out;
  pop_delivered(now, out);
  return out;
}

std::vector<uint64_t> Link::take_discarded() { return std::exchange(discarded_, {}); }

void Link::set_rate(TimePoint now, uint64_t rate_bps) {
  advance(now);
  apply({LinkAction::Kind::kRate, clock_, rate_bps});
}

void Link::set_delay(TimePoint now, Duration delay) {
  advance(now);
  config_.delay = delay;
}

void Link::set_jitter(TimePoint now, Duration jitter) {
  advance(now);
  config_.jitter = jitter;
}

void Link::set_loss(TimePoint now, double loss) {
  advance(now);
  config_.loss = loss;
}

void Link::set_up(TimePoint now, bool up) {
  advance(now);
  up_ = up;
}

}  // namespace braid::sim

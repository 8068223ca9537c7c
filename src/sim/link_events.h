// Scheduled link events (outage, down/up, rate/delay/loss change at a time) and the
// timeline that hands them to a Link in time order as its clock passes them.
#pragma once
#include <cstdint>
#include <vector>

#include "braid/time.h"

namespace braid::sim {

// Times are offsets from the link's origin (the TimePoint given to its constructor).
struct LinkEvent {
  enum class Kind : uint8_t {
    kOutage,  // blackhole from `at` to `until`: every packet is dropped
    kDown,    // link down at `at` (until a kUp or set_up(true))
    kUp,
    kRate,   // rate_bps from `at` on (0 = unlimited)
    kDelay,  // one-way delay from `at` on
    kLoss,   // random loss probability from `at` on
  };
  Kind kind = Kind::kDown;
  Duration at{};
  Duration until{};  // kOutage only
  uint64_t rate_bps = 0;
  Duration delay{};
  double loss = 0;

  static LinkEvent outage(Duration from, Duration to) { return {Kind::kOutage, from, to}; }
  static LinkEvent down(Duration at) { return {Kind::kDown, at}; }
  static LinkEvent up(Duration at) { return {Kind::kUp, at}; }
  static LinkEvent rate(Duration at, uint64_t bps) { return {Kind::kRate, at, {}, bps}; }
  static LinkEvent delay_change(Duration at, Duration d) { return {Kind::kDelay, at, {}, 0, d}; }
  static LinkEvent loss_change(Duration at, double p) { return {Kind::kLoss, at, {}, 0, {}, p}; }
};

// One state change a Link applies; an outage becomes a blackhole-on and a blackhole-off.
struct LinkAction {
  enum class Kind : uint8_t { kBlackholeOn, kBlackholeOff, kDown, kUp, kRate, kDelay, kLoss };
  Kind kind;
  TimePoint at;
  uint64_t rate_bps = 0;
  Duration delay{};
  double loss = 0;
};

class LinkTimeline {
 public:
  LinkTimeline() = default;
  LinkTimeline(const std::vector<LinkEvent>& events, TimePoint origin);

  // Time of the next action not yet taken, kNever when done.
  TimePoint next_time() const { return next_ < actions_.size() ? actions_[next_].at : kNever; }
  // The next action if it is due at or before `now`; actions at equal times keep the
  // order of the configuration.
  const LinkAction* pop_due(TimePoint now);

 private:
  std::vector<LinkAction> actions_;
  size_t next_ = 0;
};

}  // namespace braid::sim

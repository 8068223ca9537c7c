// Receive-side bookkeeping for one packet-number space: received packet numbers as
// descending ranges, ECN counts, and the RFC 9000 §13.2 rules for when an ACK is owed, as
// the peer may tune them with draft-ietf-quic-ack-frequency.
#include "core/recovery/ack_tracker.h"

#include <algorithm>

namespace braid::recovery {

namespace {
// Index of the first range (ranges are descending) whose smallest is <= pn.
size_t first_at_or_below(const std::deque<wire::AckRange>& ranges, uint64_t pn) {
  auto it = std::partition_point(ranges.begin(), ranges.end(),
                                 [pn](const wire::AckRange& r) { return r.smallest > pn; });
  return static_cast<size_t>(it - ranges.begin());
}
}  // namespace

AckTracker::AckTracker(bool immediate, Duration max_ack_delay, size_t max_ranges)
    : immediate_(immediate), max_ack_delay_(max_ack_delay), max_ranges_(std::max<size_t>(max_ranges, 1)) {}

bool AckTracker::is_duplicate(uint64_t pn) const {
  if (pn < floor_) return true;
  size_t i = first_at_or_below(ranges_, pn);
  return i < ranges_.size() && ranges_[i].largest >= pn;
}

std::optional<uint64_t> AckTracker::largest_received() const {
  if (ranges_.empty()) return std::nullopt;
  return ranges_.front().largest;
}

bool AckTracker::on_packet_received(uint64_t pn, TimePoint now, bool ack_eliciting, Ecn ecn) {
  if (is_duplicate(pn)) return false;
  received_count_++;
  if (pn < ack_floor_) ack_floor_ = pn;   // a late packet below what was acknowledged: report it

  std::optional<uint64_t> largest_before = largest_received();
  if (!largest_before || pn > *largest_before) largest_recv_time_ = now;

  size_t i = first_at_or_below(ranges_, pn);
  bool joins_below = i < ranges_.size() && ranges_[i].largest + 1 == pn;
  bool joins_above = i > 0 && ranges_[i - 1].smallest == pn + 1;
  if (joins_below && joins_above) {
    ranges_[i - 1].smallest = ranges_[i].smallest;
    ranges_.erase(ranges_.begin() + static_cast<std::ptrdiff_t>(i));
  } else if (joins_below) {
    ranges_[i].largest = pn;
  } else if (joins_above) {
    ranges_[i - 1].smallest = pn;
  } else {
    ranges_.insert(ranges_.begin() + static_cast<std::ptrdiff_t>(i), wire::AckRange{pn, pn});
  }
  // Bound memory: forget the oldest range and refuse anything at or below it from now on
  // (§13.2.3 allows a rising floor instead of keeping every range).
  while (ranges_.size() > max_ranges_) {
    floor_ = std::max(floor_, ranges_.back().largest + 1);
    ranges_.pop_back();
  }

  switch (ecn) {
    case Ecn::kEct0: ++ecn_.ect0; ecn_seen_ = true; break;
    case Ecn::kEct1: ++ecn_.ect1; ecn_seen_ = true; break;
    case Ecn::kCe: ++ecn_.ce; ecn_seen_ = true; break;
    case Ecn::kNotEct: break;
  }
  // CE is reported without delay (§13.2.1); above an Ack-Eliciting Threshold of 1 only the
  // change from unmarked to marked is (ack frequency §6.3).
  bool ce = ecn == Ecn::kCe;
  bool ce_now = ce && (ack_eliciting_threshold_ <= 1 || !last_was_ce_);
  last_was_ce_ = ce;

  ack_owed_ = true;
  if (ack_eliciting) {
    ++eliciting_since_ack_;
    if (first_unacked_eliciting_ == kNever) first_unacked_eliciting_ = now;
    if (!largest_eliciting_ || pn > *largest_eliciting_) largest_eliciting_ = pn;
    if (immediate_ || ce_now || eliciting_since_ack_ > ack_eliciting_threshold_ || out_of_order(pn, largest_before))
      immediate_owed_ = true;
  }
  return true;
}

bool AckTracker::out_of_order(uint64_t pn, std::optional<uint64_t> largest_before) const {
  if (reordering_threshold_ == 0 || !largest_before) return false;
  if (reordering_threshold_ == 1) {
    // §13.2.1: a packet below the largest, or one that leaves a gap, is acknowledged at
    // once so that the sender's loss detection sees the hole quickly.
    return pn < *largest_before || pn > *largest_before + 1;
  }
  // Ack frequency §6.2: only reordering the sender could act on. A packet the sender has
  // already given up on (spurious loss), or a gap as deep as the threshold.
  uint64_t t = reordering_threshold_;
  std::optional<uint64_t> reported_missing;   // Largest Reported Missing
  if (largest_acked_sent_ && *largest_acked_sent_ >= t) {
    reported_missing = *largest_acked_sent_ - t;
    if (pn <= *reported_missing) return true;
  }
  auto missing = smallest_missing_above(reported_missing);
  return missing && largest_eliciting_ && *largest_eliciting_ >= *missing && *largest_eliciting_ - *missing >= t;
}

std::optional<uint64_t> AckTracker::smallest_missing_above(std::optional<uint64_t> floor) const {
  // Gaps lie between neighbouring ranges (descending); walk from the newest down to the
  // floor, so the cost is the number of gaps not yet behind the floor.
  std::optional<uint64_t> smallest;
  for (size_t i = 0; i + 1 < ranges_.size(); ++i) {
    uint64_t gap_low = ranges_[i + 1].largest + 1, gap_high = ranges_[i].smallest - 1;
    if (floor && gap_high <= *floor) break;
    smallest = floor ? std::max(gap_low, *floor + 1) : gap_low;
  }
  return smallest;
}

void AckTracker::set_ack_frequency(uint64_t ack_eliciting_threshold, Duration max_ack_delay,
                                   uint64_t reordering_threshold) {
  ack_eliciting_threshold_ = ack_eliciting_threshold;
  max_ack_delay_ = max_ack_delay;
  reordering_threshold_ = reordering_threshold;
  // Packets already waiting may be past the new threshold.
  if (eliciting_since_ack_ > ack_eliciting_threshold_) immediate_owed_ = true;
}

void AckTracker::request_immediate_ack() {
  if (eliciting_since_ack_ > 0) immediate_owed_ = true;
}

TimePoint AckTracker::ack_deadline() const {
  // Non-ack-eliciting packets never cause an ACK on their own (§13.2.1).
  if (eliciting_since_ack_ == 0) return kNever;
  if (immediate_owed_) return first_unacked_eliciting_;
  return first_unacked_eliciting_ + max_ack_delay_;
}

std::optional<wire::AckFrame> AckTracker::build_ack(TimePoint now, uint64_t ack_delay_exponent) const {
  if (ranges_.empty()) return std::nullopt;
  wire::AckFrame f;
  for (const auto& r : ranges_) {
    if (r.largest < ack_floor_) break;   // descending: the rest is older still
    f.ranges.push_back(wire::AckRange{std::max(r.smallest, ack_floor_), r.largest});
  }
  if (f.ranges.empty()) return std::nullopt;
  int64_t delay_us = now > largest_recv_time_ ? to_us(now - largest_recv_time_) : 0;
  f.ack_delay = static_cast<uint64_t>(delay_us) >> std::min<uint64_t>(ack_delay_exponent, 63);
  if (ecn_seen_) f.ecn = ecn_;
  return f;
}

void AckTracker::on_ack_sent() {
  if (!ranges_.empty()) largest_acked_sent_ = ranges_.front().largest;
  ack_owed_ = false;
  immediate_owed_ = false;
  eliciting_since_ack_ = 0;
  first_unacked_eliciting_ = kNever;
}

void AckTracker::on_ack_of_ack(uint64_t largest) {
  if (ranges_.empty()) return;
  // Ranges at or below `largest` are known to the peer: ACK frames stop repeating them
  // (the newest packet is always reported). They stay for duplicate detection: packets
  // of one number space can arrive over two network paths (a probe of a new address)
  // and so far out of order that a late one lands below what was already acknowledged.
  ack_floor_ = std::max(ack_floor_, std::min(largest + 1, ranges_.front().largest));
}

}  // namespace braid::recovery

// Receive-side bookkeeping for one packet-number space: received packet numbers as
// descending ranges, ECN counts, and the RFC 9000 §13.2 rules for when an ACK is owed.
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

  // §13.2.1: a packet below the largest, or one that leaves a gap, is acknowledged at once
  // so that the sender's loss detection sees the hole quickly.
  bool out_of_order = false;
  if (!ranges_.empty()) {
    uint64_t largest = ranges_.front().largest;
    out_of_order = pn < largest || pn > largest + 1;
  }
  if (ranges_.empty() || pn > ranges_.front().largest) largest_recv_time_ = now;

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

  ack_owed_ = true;
  if (ack_eliciting) {
    ++eliciting_since_ack_;
    if (first_unacked_eliciting_ == kNever) first_unacked_eliciting_ = now;
    // CE marks are reported without delay as well (§13.2.1).
    if (immediate_ || out_of_order || ecn == Ecn::kCe || eliciting_since_ack_ >= 2) immediate_owed_ = true;
  }
  return true;
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

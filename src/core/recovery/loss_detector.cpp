// RFC 9002 §6 and Appendix A for one packet-number space: ACK processing into newly acked
// and lost packets, packet- and time-threshold loss, the loss timer, persistent congestion,
// and exact bytes-in-flight accounting.
#include "core/recovery/loss_detector.h"

#include <algorithm>

namespace braid::recovery {

void LossDetector::skip_packet_number() {
  skipped_.push_back(next_pn_++);
  if (skipped_.size() > 32) skipped_.pop_front();
}

void LossDetector::on_packet_sent(SentPacket pkt) {
  next_pn_ = std::max(next_pn_, pkt.pn + 1);
  if (pkt.in_flight) {
    bytes_in_flight_ += pkt.size;
    if (pkt.ack_eliciting) {
      ++ack_eliciting_in_flight_;
      eliciting_.push_back(pkt.pn);
    }
  }
  if (pkt.ack_eliciting) last_ack_eliciting_time_ = pkt.time_sent;
  uint64_t pn = pkt.pn;
  auto [it, inserted] = sent_.insert_or_assign(pn, std::move(pkt));
  (void)it;
  (void)inserted;
}

void LossDetector::remove_from_flight(const SentPacket& p) {
  if (!p.in_flight) return;
  bytes_in_flight_ -= std::min<uint64_t>(bytes_in_flight_, p.size);
  if (p.ack_eliciting && ack_eliciting_in_flight_ > 0) --ack_eliciting_in_flight_;
}

void LossDetector::record_acked(uint64_t smallest, uint64_t largest) {
  // Merge [smallest, largest] into the disjoint range map, joining adjacent ranges.
  auto it = acked_.upper_bound(smallest);
  if (it != acked_.begin()) {
    auto prev = std::prev(it);
    if (prev->second + 1 >= smallest) {  // overlaps or touches the previous range
      smallest = prev->first;
      largest = std::max(largest, prev->second);
      it = acked_.erase(prev);
    }
  }
  while (it != acked_.end() && it->first <= largest + 1) {
    largest = std::max(largest, it->second);
    it = acked_.erase(it);
  }
  acked_.emplace(smallest, largest);
}

bool LossDetector::any_acked_between(uint64_t lo, uint64_t hi) const {
  if (hi <= lo + 1) return false;
  // The first range ending above lo must start below hi to intersect (lo, hi).
  auto it = acked_.upper_bound(lo);
  if (it != acked_.begin()) {
    auto prev = std::prev(it);
    if (prev->second > lo) return true;  // starts at or below lo, ends above it
  }
  return it != acked_.end() && it->first < hi;
}

bool LossDetector::in_persistent_congestion(const std::vector<SentPacket>& lost, Duration pto,
                                            TimePoint first_rtt_sample) const {
  if (first_rtt_sample == kNever) return false;
  const Duration period = pto * kPersistentCongestionThreshold;
  const SentPacket* start = nullptr;  // oldest packet of the current unbroken run
  const SentPacket* prev = nullptr;
  for (const SentPacket& p : lost) {
    if (!p.ack_eliciting || p.time_sent <= first_rtt_sample) continue;
    if (start == nullptr || any_acked_between(prev->pn, p.pn)) {
      start = &p;
    } else if (p.time_sent - start->time_sent > period) {
      return true;
    }
    prev = &p;
  }
  return false;
}

std::vector<SentPacket> LossDetector::detect_lost_locked(TimePoint now, const RttEstimator& rtt) {
  std::vector<SentPacket> lost;
  loss_time_ = kNever;
  if (!largest_acked_) return lost;
  const uint64_t largest = *largest_acked_;
  Duration base = std::max(rtt.latest(), rtt.smoothed());
  auto loss_delay = std::chrono::duration_cast<Duration>(base * kTimeThreshold);
  loss_delay = std::max(loss_delay, kGranularity);
  const TimePoint lost_send_time = now - loss_delay;

  for (auto it = sent_.begin(); it != sent_.end() && it->first <= largest;) {
    const SentPacket& p = it->second;
    if (p.time_sent <= lost_send_time || largest >= p.pn + kPacketThreshold) {
      remove_from_flight(p);
      lost.push_back(std::move(it->second));
      it = sent_.erase(it);
    } else {
      loss_time_ = std::min(loss_time_, p.time_sent + loss_delay);
      ++it;
    }
  }
  return lost;
}

std::vector<SentPacket> LossDetector::detect_lost(TimePoint now, const RttEstimator& rtt) {
  return detect_lost_locked(now, rtt);
}

Result<AckOutcome> LossDetector::on_ack_received(const wire::AckFrame& ack, Duration ack_delay, TimePoint now,
                                                 RttEstimator& rtt, bool handshake_confirmed,
                                                 Duration max_ack_delay, Duration pto_for_persistent_congestion,
                                                 TimePoint first_rtt_sample) {
  AckOutcome out;
  if (ack.ranges.empty()) return out;
  // Ranges must be well formed, descending and disjoint (RFC 9000 §19.3.1).
  for (size_t i = 0; i < ack.ranges.size(); ++i) {
    const auto& r = ack.ranges[i];
    if (r.smallest > r.largest || (i > 0 && r.largest >= ack.ranges[i - 1].smallest)) {
      return fail(TransportErrorCode::kFrameEncodingError, "malformed ACK ranges");
    }
  }
  if (ack.largest() >= next_pn_) {
    return fail(TransportErrorCode::kProtocolViolation, "ACK of a packet number never sent");
  }
  for (uint64_t s : skipped_) {
    for (const auto& r : ack.ranges) {
      if (s >= r.smallest && s <= r.largest) {
        return fail(TransportErrorCode::kProtocolViolation, "ACK of a skipped packet number");
      }
    }
  }

  largest_acked_ = std::max(largest_acked_.value_or(0), ack.largest());
  // Acked ranges below the oldest tracked packet can never sit between two packets that
  // this ACK declares lost, so they need not be remembered.
  if (sent_.empty()) {
    acked_.clear();
  } else {
    const uint64_t oldest = sent_.begin()->first;
    while (!acked_.empty() && acked_.begin()->second < oldest) acked_.erase(acked_.begin());
  }

  for (const auto& r : ack.ranges) {
    record_acked(r.smallest, r.largest);
    for (auto it = sent_.lower_bound(r.smallest); it != sent_.end() && it->first <= r.largest;) {
      remove_from_flight(it->second);
      if (it->second.in_flight) out.acked_in_flight_bytes += it->second.size;
      out.newly_acked.push_back(std::move(it->second));
      it = sent_.erase(it);
    }
  }
  if (out.newly_acked.empty()) return out;  // nothing new: no RTT sample, no loss detection
  std::sort(out.newly_acked.begin(), out.newly_acked.end(),
            [](const SentPacket& a, const SentPacket& b) { return a.pn < b.pn; });
  const SentPacket& newest = out.newly_acked.back();
  out.largest_newly_acked = newest.pn;

  // §5.1: sample only when the largest acknowledged is newly acked and at least one newly
  // acked packet is ack-eliciting.
  bool any_eliciting = std::any_of(out.newly_acked.begin(), out.newly_acked.end(),
                                   [](const SentPacket& p) { return p.ack_eliciting; });
  if (newest.pn == ack.largest() && any_eliciting) {
    rtt.update(now - newest.time_sent, ack_delay, handshake_confirmed, max_ack_delay);
    out.rtt_updated = true;
  }

  out.lost = detect_lost_locked(now, rtt);
  for (const SentPacket& p : out.lost) {
    if (p.in_flight) out.lost_in_flight_bytes += p.size;
  }
  out.persistent_congestion = in_persistent_congestion(out.lost, pto_for_persistent_congestion, first_rtt_sample);

  return out;
}

std::vector<SentPacket> LossDetector::take_all() {
  std::vector<SentPacket> all;
  all.reserve(sent_.size());
  for (auto& [pn, p] : sent_) all.push_back(std::move(p));
  sent_.clear();
  acked_.clear();
  eliciting_.clear();
  bytes_in_flight_ = 0;
  ack_eliciting_in_flight_ = 0;
  loss_time_ = kNever;
  return all;
}

std::vector<const SentPacket*> LossDetector::oldest_unacked(size_t max) const {
  std::vector<const SentPacket*> out;
  for (auto it = sent_.begin(); it != sent_.end() && out.size() < max; ++it) {
    if (it->second.ack_eliciting) out.push_back(&it->second);
  }
  return out;
}

LossDetector::Owed LossDetector::owed(uint32_t cap) const {
  Owed o;
  if (ack_eliciting_in_flight_ == 0) {
    eliciting_.clear();
    return o;
  }
  while (!eliciting_.empty() && largest_acked_ && eliciting_.front() <= *largest_acked_) eliciting_.pop_front();
  for (uint64_t pn : eliciting_) {
    if (o.packets >= cap) break;
    auto it = sent_.find(pn);
    if (it == sent_.end() || !it->second.in_flight) continue;   // declared lost since
    if (o.packets == 0) o.oldest_sent = it->second.time_sent;
    if (o.packets < Owed::kMax) o.sent[o.packets] = it->second.time_sent;
    o.packets++;
  }
  return o;
}

}  // namespace braid::recovery

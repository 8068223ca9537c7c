// Ack frequency requests: the policy and the bookkeeping of ACK_FREQUENCY frames in flight.
#include "core/conn/ack_frequency.h"

#include <algorithm>

namespace braid::conn {

std::optional<AckFrequencyRequest> choose_ack_frequency(std::span<const AckFrequencyPathInput> paths,
                                                        const AckFrequencyLimits& limits) {
  std::optional<AckFrequencyRequest> out;
  // The peer's own max_ack_delay, never shorter: a quarter of the smoothed RTT (below 25 ms
  // on any path under 100 ms) made a sparse sender's peer ACK more often, not less, and
  // changed loss-based control enough to overflow a slow path's queue (docs/ack-frequency.md).
  const Duration delay = std::max(limits.peer_min_ack_delay, limits.peer_max_ack_delay);
  for (const auto& p : paths) {
    uint64_t packets = p.congestion_window / std::max<uint64_t>(p.max_datagram_size, 1);
    uint64_t most = std::max<uint64_t>(limits.max_threshold, 1);
    if (p.recently_lost) most = std::min(most, std::max<uint64_t>(limits.lossy_threshold, 1));
    uint64_t threshold = p.window_growing ? 1 : std::clamp<uint64_t>(packets / 4, 1, most);
    if (!out) {
      out = AckFrequencyRequest{threshold, delay, limits.packet_threshold};
    } else {
      out->ack_eliciting_threshold = std::min(out->ack_eliciting_threshold, threshold);
    }
  }
  if (out) out->max_ack_delay = std::chrono::duration_cast<std::chrono::microseconds>(out->max_ack_delay);
  return out;
}

namespace {
bool off_by_a_quarter(uint64_t have, uint64_t want) { return want * 4 >= have * 5 || want * 5 <= have * 4; }
}  // namespace

bool ack_frequency_changed(const AckFrequencyRequest& have, const AckFrequencyRequest& want) {
  return have.reordering_threshold != want.reordering_threshold ||
         off_by_a_quarter(have.ack_eliciting_threshold, want.ack_eliciting_threshold) ||
         off_by_a_quarter(static_cast<uint64_t>(to_us(have.max_ack_delay)),
                          static_cast<uint64_t>(to_us(want.max_ack_delay)));
}

void AckFrequencySender::enable(Duration peer_max_ack_delay) {
  enabled_ = true;
  acked_delay_ = peer_max_ack_delay;
}

void AckFrequencySender::consider(TimePoint now, const AckFrequencyRequest& want, Duration min_interval) {
  if (!enabled_) return;
  if (last_ && !ack_frequency_changed(*last_, want)) return;
  if (last_ && now < last_sent_at_ + min_interval) return;
  pending_ = want;
  last_ = want;
  last_sent_at_ = now;
}

wire::AckFrequencyFrame AckFrequencySender::take_frame() {
  AckFrequencyRequest r = pending_.value_or(last_.value_or(AckFrequencyRequest{}));
  pending_.reset();
  wire::AckFrequencyFrame f;
  f.sequence = next_sequence_++;
  f.ack_eliciting_threshold = r.ack_eliciting_threshold;
  f.requested_max_ack_delay_us = static_cast<uint64_t>(to_us(r.max_ack_delay));
  f.reordering_threshold = r.reordering_threshold;
  in_flight_[f.sequence] = r.max_ack_delay;
  frames_sent_++;
  return f;
}

void AckFrequencySender::on_acked(uint64_t sequence) {
  auto it = in_flight_.find(sequence);
  if (it == in_flight_.end()) return;
  if (!acked_sequence_ || sequence > *acked_sequence_) {
    acked_sequence_ = sequence;
    acked_delay_ = it->second;
  }
  // Anything older is overridden at the peer, acknowledged or not.
  in_flight_.erase(in_flight_.begin(), std::next(it));
}

void AckFrequencySender::on_lost(uint64_t sequence) {
  if (in_flight_.erase(sequence) == 0) return;
  if (sequence + 1 == next_sequence_ && !pending_) pending_ = last_;
}

Duration AckFrequencySender::peer_max_ack_delay() const {
  Duration d = acked_delay_;
  for (auto& [seq, delay] : in_flight_) d = std::max(d, delay);
  return d;
}

}  // namespace braid::conn

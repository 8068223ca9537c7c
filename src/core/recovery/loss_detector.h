// Send side of one packet-number space (RFC 9002 §6, Appendix A): packets in flight,
// processing of ACK frames into newly-acked and lost packets, time- and packet-threshold
// loss detection, and persistent-congestion detection. PTO arming across spaces is done by
// the owner (see pto_deadline); this class supplies the per-space inputs.
#pragma once
#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "braid/error.h"
#include "braid/time.h"
#include "core/recovery/rtt_estimator.h"
#include "core/recovery/sent_packet.h"
#include "core/wire/frame.h"

namespace braid::recovery {

inline constexpr uint64_t kPacketThreshold = 3;
inline constexpr double kTimeThreshold = 9.0 / 8.0;
inline constexpr uint32_t kPersistentCongestionThreshold = 3;

struct AckOutcome {
  std::vector<SentPacket> newly_acked;     // ascending pn
  std::vector<SentPacket> lost;            // ascending pn
  bool rtt_updated = false;                // the largest acked was newly acked and ack-eliciting
  uint64_t acked_in_flight_bytes = 0;
  uint64_t lost_in_flight_bytes = 0;
  bool persistent_congestion = false;
  std::optional<uint64_t> largest_newly_acked;
};

class LossDetector {
 public:
  uint64_t next_packet_number() const { return next_pn_; }
  // Reserves the next packet number (the packet is recorded with on_packet_sent).
  uint64_t take_packet_number() { return next_pn_++; }
  // Optimistic-ACK defence: an ACK covering a skipped number is a PROTOCOL_VIOLATION.
  void skip_packet_number();

  void on_packet_sent(SentPacket pkt);

  // Processes an ACK frame for this space. Updates `rtt` when RFC 9002 §5.1 says so (the
  // largest acknowledged is newly acked and any newly acked packet is ack-eliciting).
  // Acknowledging a packet number never sent is a PROTOCOL_VIOLATION.
  // `first_rtt_sample` is the time of the path's first RTT sample (for persistent
  // congestion, §7.6.2); pass kNever if none yet.
  Result<AckOutcome> on_ack_received(const wire::AckFrame& ack, Duration ack_delay, TimePoint now,
                                     RttEstimator& rtt, bool handshake_confirmed,
                                     Duration max_ack_delay, Duration pto_for_persistent_congestion,
                                     TimePoint first_rtt_sample);

  // Loss-timer expiry: packets lost by the time threshold at `now`.
  std::vector<SentPacket> detect_lost(TimePoint now, const RttEstimator& rtt);
  // Earliest time-threshold loss time, or kNever.
  TimePoint loss_time() const { return loss_time_; }

  // RFC 9002 §7.6.2 over packets declared lost together (ascending pn): two ack-eliciting
  // packets sent after first_rtt_sample, more than pto * kPersistentCongestionThreshold
  // apart, with no packet between them acknowledged. on_ack_received applies it itself;
  // owners call it for the packets detect_lost returns.
  bool in_persistent_congestion(const std::vector<SentPacket>& lost, Duration pto,
                                TimePoint first_rtt_sample) const;

  // Removes every packet (keys discarded, path abandoned); returns them so that their
  // frames can be resent elsewhere.
  std::vector<SentPacket> take_all();
  // The oldest ack-eliciting packets still in flight (for PTO probes that resend data).
  std::vector<const SentPacket*> oldest_unacked(size_t max) const;

  uint64_t bytes_in_flight() const { return bytes_in_flight_; }
  size_t ack_eliciting_in_flight() const { return ack_eliciting_in_flight_; }
  TimePoint time_of_last_ack_eliciting() const { return last_ack_eliciting_time_; }
  std::optional<uint64_t> largest_acked() const { return largest_acked_; }
  // Ack-eliciting packets in flight sent after the largest acknowledged one (all of them
  // before any ACK), counted up to `cap`, and the send time of the oldest: what a failure
  // detector waits for.
  struct Owed {
    static constexpr uint32_t kMax = 16;
    uint32_t packets = 0;
    TimePoint oldest_sent{};
    std::array<TimePoint, kMax> sent{};   // send times, oldest first (the first `packets`)
  };
  Owed owed(uint32_t cap) const;
  bool empty() const { return sent_.empty(); }
  size_t size() const { return sent_.size(); }

 private:
  std::vector<SentPacket> detect_lost_locked(TimePoint now, const RttEstimator& rtt);
  void remove_from_flight(const SentPacket& p);
  void record_acked(uint64_t smallest, uint64_t largest);
  bool any_acked_between(uint64_t lo, uint64_t hi) const;  // exclusive bounds

  // Acknowledged packet numbers as disjoint ranges (smallest -> largest), kept only above
  // the oldest packet still tracked: persistent congestion needs "nothing acked between".
  std::map<uint64_t, uint64_t> acked_;
  std::deque<uint64_t> skipped_;  // recent skipped packet numbers
  // Ack-eliciting in-flight packet numbers in send order, for owed(): entries at or below
  // the largest acknowledged are dropped as it passes them, entries no longer in flight
  // (lost) are skipped. A receiver's many ACK-only packets never enter it.
  mutable std::deque<uint64_t> eliciting_;

  std::map<uint64_t, SentPacket> sent_;
  uint64_t next_pn_ = 0;
  std::optional<uint64_t> largest_acked_;
  uint64_t bytes_in_flight_ = 0;
  size_t ack_eliciting_in_flight_ = 0;
  TimePoint last_ack_eliciting_time_{};
  TimePoint loss_time_ = kNever;
};

}  // namespace braid::recovery

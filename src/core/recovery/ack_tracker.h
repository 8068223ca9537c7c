// Receive side of one packet-number space: which packet numbers arrived (as ranges, for
// duplicate detection and ACK frames), ECN counts, and when an ACK must be sent
// (RFC 9000 §13.2: immediately for Initial/Handshake and out-of-order packets, after every
// second ack-eliciting packet, otherwise within max_ack_delay), and the peer's requests under
// draft-ietf-quic-ack-frequency: an Ack-Eliciting Threshold, a max_ack_delay and a Reordering
// Threshold from its ACK_FREQUENCY frames, an immediate ACK for IMMEDIATE_ACK.
#pragma once
#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>

#include "braid/time.h"
#include "core/wire/frame.h"

namespace braid::recovery {

enum class Ecn : uint8_t { kNotEct = 0, kEct1 = 1, kEct0 = 2, kCe = 3 };  // IP TOS low bits

class AckTracker {
 public:
  // immediate: acknowledge every ack-eliciting packet at once (Initial/Handshake spaces).
  explicit AckTracker(bool immediate = false, Duration max_ack_delay = std::chrono::milliseconds(25),
                      size_t max_ranges = 256);

  bool is_duplicate(uint64_t pn) const;
  // Records an authenticated packet. Returns false if it was a duplicate (already recorded
  // or below the pruned floor).
  bool on_packet_received(uint64_t pn, TimePoint now, bool ack_eliciting, Ecn ecn);

  // When an ACK should be sent: kNever if none is owed, `now`-or-earlier if immediately.
  TimePoint ack_deadline() const;
  bool ack_pending() const { return ack_owed_; }     // anything new to acknowledge at all
  bool has_received() const { return !ranges_.empty(); }
  std::optional<uint64_t> largest_received() const;
  // Distinct packets recorded, and the packet numbers below the largest that never came:
  // the receive-side view of loss (a sender that skips numbers adds to it).
  uint64_t received_count() const { return received_count_; }
  uint64_t missing_count() const {
    return ranges_.empty() ? 0 : ranges_.front().largest + 1 - std::min(received_count_, ranges_.front().largest + 1);
  }

  // Builds an ACK (ranges newest first, ack_delay encoded with `ack_delay_exponent`, ECN
  // counts if any ECN codepoint was seen). nullopt if nothing was received.
  std::optional<wire::AckFrame> build_ack(TimePoint now, uint64_t ack_delay_exponent) const;
  // Call after an ACK built by build_ack was sent.
  void on_ack_sent();
  // Our ACK whose largest acknowledged was `largest` has itself been acknowledged:
  // ranges at or below it need not be reported again (RFC 9000 §13.2.4).
  void on_ack_of_ack(uint64_t largest);
  void set_max_ack_delay(Duration d) { max_ack_delay_ = d; }
  Duration max_ack_delay() const { return max_ack_delay_; }
  // Ack frequency §4/§6: ACK once more than `ack_eliciting_threshold` ack-eliciting packets
  // arrived (1: RFC 9000's every second packet; 0: every packet), and at once for reordering
  // beyond `reordering_threshold` (0: never for reordering; 1: RFC 9000's any gap).
  void set_ack_frequency(uint64_t ack_eliciting_threshold, Duration max_ack_delay, uint64_t reordering_threshold);
  uint64_t ack_eliciting_threshold() const { return ack_eliciting_threshold_; }
  uint64_t reordering_threshold() const { return reordering_threshold_; }
  // IMMEDIATE_ACK: the packet just recorded asked to be acknowledged without delay.
  void request_immediate_ack();

 private:
  bool immediate_;
  Duration max_ack_delay_;
  size_t max_ranges_;
  std::deque<wire::AckRange> ranges_;  // descending
  uint64_t floor_ = 0;                 // pns below this are treated as duplicates (memory bound)
  uint64_t ack_floor_ = 0;             // ACK frames report ranges from here up (ack of ack)
  TimePoint largest_recv_time_{};
  wire::EcnCounts ecn_{};
  bool ecn_seen_ = false;
  bool ack_owed_ = false;
  bool immediate_owed_ = false;
  unsigned eliciting_since_ack_ = 0;
  uint64_t received_count_ = 0;
  TimePoint first_unacked_eliciting_ = kNever;
  uint64_t ack_eliciting_threshold_ = 1;
  uint64_t reordering_threshold_ = 1;
  std::optional<uint64_t> largest_eliciting_;     // Largest Unacked of the draft
  std::optional<uint64_t> largest_acked_sent_;    // Largest Acknowledged of the last ACK sent
  bool last_was_ce_ = false;

  bool out_of_order(uint64_t pn, std::optional<uint64_t> largest_before) const;
  // Smallest packet number above `floor` and below the largest received that has not
  // arrived (nullopt: no gap there).
  std::optional<uint64_t> smallest_missing_above(std::optional<uint64_t> floor) const;
};

}  // namespace braid::recovery

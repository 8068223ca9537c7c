// The sending side of draft-ietf-quic-ack-frequency: what to ask the peer for (a pure
// function of the paths' windows and RTTs) and the state of the ACK_FREQUENCY frames sent
// (sequence numbers, requests in flight, the max_ack_delay the PTO must assume).
//
// One ACK_FREQUENCY frame covers the whole connection: under multipath the peer applies it
// to every path's packet number space separately, so the request is sized for the most
// demanding path (the smallest window, the shortest RTT).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <span>

#include "braid/time.h"
#include "core/wire/frame.h"

namespace braid::conn {

struct AckFrequencyRequest {
  uint64_t ack_eliciting_threshold = 1;
  Duration max_ack_delay{};
  uint64_t reordering_threshold = 1;
  bool operator==(const AckFrequencyRequest&) const = default;
};

// One path that carries data, as the policy sees it.
struct AckFrequencyPathInput {
  uint64_t congestion_window = 0;   // bytes
  uint64_t max_datagram_size = 1200;
  // Slow start (or BBR's Startup): the window grows with every ACK and HyStart++ needs its
  // RTT samples, so the path keeps RFC 9000's every second packet.
  bool window_growing = false;
  // A packet on it was declared lost within the last few round trips: the sender's loss
  // recovery (and BBR's loss-bounded model) reacts one ACK later per skipped ACK, which cost
  // BBR 4-5% of its goodput at 1% random loss with 8 packets per ACK (docs/ack-frequency.md),
  // so a lossy path asks for at most lossy_threshold.
  bool recently_lost = false;
};

struct AckFrequencyLimits {
  Duration peer_min_ack_delay{};    // the peer's min_ack_delay transport parameter
  Duration peer_max_ack_delay{};    // its max_ack_delay transport parameter
  uint64_t max_threshold = 32;      // ack-eliciting packets per ACK at most
  uint64_t lossy_threshold = 2;     // at most this on a path with recent losses
  uint64_t packet_threshold = 3;    // our loss detection's reordering threshold
};

// An ACK about four times per round trip: after a quarter of the window in packets (at
// least every second packet, at most max_threshold, at most lossy_threshold on a path with
// recent losses; every second packet while a window grows in slow start) or after the
// peer's own max_ack_delay, whichever comes first; immediate ACKs only
// for reordering our loss detection acts on (the packet threshold, draft §8). nullopt
// without a path to size it from.
std::optional<AckFrequencyRequest> choose_ack_frequency(std::span<const AckFrequencyPathInput> paths,
                                                        const AckFrequencyLimits& limits);

// True when `want` differs from `have` enough to be worth a frame: a threshold or delay
// off by a quarter or more, or another reordering threshold.
bool ack_frequency_changed(const AckFrequencyRequest& have, const AckFrequencyRequest& want);

class AckFrequencySender {
 public:
  // The peer accepts ACK_FREQUENCY (it sent min_ack_delay); its max_ack_delay until then.
  void enable(Duration peer_max_ack_delay);
  bool enabled() const { return enabled_; }

  // Queues `want` if it differs enough from the last request and `min_interval` passed.
  void consider(TimePoint now, const AckFrequencyRequest& want, Duration min_interval);
  bool pending() const { return pending_.has_value(); }
  // The frame to send now (a fresh sequence number); the request counts as in flight.
  wire::AckFrequencyFrame take_frame();
  void on_acked(uint64_t sequence);
  // A lost frame is sent again only if nothing newer went out.
  void on_lost(uint64_t sequence);

  // The max_ack_delay the PTO must allow for: the acknowledged request, or larger while a
  // request is in flight (draft §7).
  Duration peer_max_ack_delay() const;
  std::optional<AckFrequencyRequest> last_requested() const { return last_; }
  uint64_t frames_sent() const { return frames_sent_; }

 private:
  bool enabled_ = false;
  Duration acked_delay_{};
  std::optional<uint64_t> acked_sequence_;
  std::map<uint64_t, Duration> in_flight_;         // sequence -> requested delay
  std::optional<AckFrequencyRequest> last_;        // last sent or queued
  std::optional<AckFrequencyRequest> pending_;
  uint64_t next_sequence_ = 0;
  TimePoint last_sent_at_{};
  uint64_t frames_sent_ = 0;
};

}  // namespace braid::conn

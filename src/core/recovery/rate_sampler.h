// Per-path delivery-rate sampling (draft-ietf-ccwg-bbr §"Delivery Rate Samples", after
// draft-cheng-iccrg-delivery-rate-estimation). Every in-flight packet is stamped at send
// with the path's delivered count and times; each ACK yields one RateSample from the
// newest packet it acknowledged. App-limited periods are marked by the sender when it has
// nothing to send while the window has room, and last until the data sent in them is
// delivered. Packet numbers are per path (each path has its own space under multipath).
#pragma once
#include <cstdint>

#include "braid/congestion_controller.h"
#include "braid/time.h"
#include "core/recovery/sent_packet.h"

namespace braid::recovery {

class RateSampler {
 public:
  // Stamps `p`, about to be sent. `bytes_in_flight` is the path's in-flight bytes before
  // it (all spaces).
  void on_packet_sent(SentPacket& p, uint64_t bytes_in_flight);
  // Per ACK: first the packets it makes lost (on_packet_lost), then each newly acknowledged
  // in-flight packet in any order, then take_sample.
  void on_packet_acked(const SentPacket& p, TimePoint now);
  // A packet declared lost (in flight only).
  void on_packet_lost(const SentPacket& p);
  // The sample of the ACK just processed; resets the per-ACK state. `min_rtt` is the path's
  // minimum RTT: shorter intervals are discarded (ACK compression would inflate the rate).
  RateSample take_sample(Duration min_rtt);

  // The sender found nothing to send while the window had room: everything now in flight
  // and sent until it is delivered was sent app-limited.
  void mark_app_limited(uint64_t bytes_in_flight);
  bool app_limited() const { return app_limited_until_ != 0; }

  uint64_t delivered() const { return delivered_; }
  uint64_t lost() const { return lost_; }
  // The newest valid sample's rate (bytes/s), and the highest one not taken app-limited.
  uint64_t delivery_rate() const { return last_rate_; }
  uint64_t max_delivery_rate() const { return max_rate_; }
  // Back to the start (the path moved: its samples describe another network path).
  void reset() { *this = RateSampler{}; }

 private:
  uint64_t delivered_ = 0;            // C.delivered
  TimePoint delivered_time_{};        // C.delivered_time
  TimePoint first_sent_time_{};       // C.first_send_time
  uint64_t app_limited_until_ = 0;    // C.app_limited: delivered mark ending the period
  uint64_t lost_ = 0;                 // C.lost
  uint64_t last_rate_ = 0;
  uint64_t max_rate_ = 0;

  // The ACK being processed.
  bool have_newest_ = false;
  uint64_t newest_pn_ = 0;
  TimePoint newest_sent_{};
  RateSample rs_;
  uint64_t lost_at_ack_start_ = 0;
  bool lost_mark_set_ = false;
};

}  // namespace braid::recovery

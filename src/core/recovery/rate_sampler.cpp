// Delivery-rate sampling: the draft's per-packet snapshot at send, the newest-acked rule
// at ACK time, and interval = max(send_elapsed, ack_elapsed) so that neither a compressed
// send burst nor aggregated ACKs overstate the rate.
#include "core/recovery/rate_sampler.h"

#include <algorithm>

namespace braid::recovery {

void RateSampler::on_packet_sent(SentPacket& p, uint64_t bytes_in_flight) {
  if (bytes_in_flight == 0) {
    // Nothing in flight: a new flight starts, its intervals are measured from here.
    first_sent_time_ = p.time_sent;
    delivered_time_ = p.time_sent;
  }
  p.delivered = delivered_;
  p.delivered_time = delivered_time_;
  p.first_sent_time = first_sent_time_;
  p.is_app_limited = app_limited_until_ != 0;
  p.tx_in_flight = bytes_in_flight + p.size;
  p.lost = lost_;
}

void RateSampler::on_packet_acked(const SentPacket& p, TimePoint now) {
  if (!lost_mark_set_) {
    lost_at_ack_start_ = lost_;
    lost_mark_set_ = true;
  }
  delivered_ += p.size;
  delivered_time_ = now;
  rs_.newly_acked += p.size;
  // The sample comes from the most recently sent packet acknowledged (send time, then PN).
  bool newer = !have_newest_ || p.time_sent > newest_sent_ || (p.time_sent == newest_sent_ && p.pn > newest_pn_);
  if (!newer) return;
  have_newest_ = true;
  newest_pn_ = p.pn;
  newest_sent_ = p.time_sent;
  rs_.prior_delivered = p.delivered;
  rs_.prior_time = p.delivered_time;
  rs_.is_app_limited = p.is_app_limited;
  rs_.send_elapsed = p.time_sent - p.first_sent_time;
  rs_.ack_elapsed = now - p.delivered_time;
  rs_.tx_in_flight = p.tx_in_flight;
  rs_.lost = lost_ >= p.lost ? lost_ - p.lost : 0;
  rs_.rtt = now - p.time_sent;
  first_sent_time_ = p.time_sent;
}

void RateSampler::on_packet_lost(const SentPacket& p) {
  if (!lost_mark_set_) {
    lost_at_ack_start_ = lost_;
    lost_mark_set_ = true;
  }
  lost_ += p.size;
}

RateSample RateSampler::take_sample(Duration min_rtt) {
  RateSample rs = rs_;
  rs.newly_lost = lost_mark_set_ ? lost_ - lost_at_ack_start_ : 0;
  bool had_packet = have_newest_;
  rs_ = RateSample{};
  have_newest_ = false;
  lost_mark_set_ = false;
  if (app_limited_until_ != 0 && delivered_ > app_limited_until_) app_limited_until_ = 0;
  if (!had_packet) return rs;
  rs.delivered = delivered_ - rs.prior_delivered;
  rs.interval = std::max(rs.send_elapsed, rs.ack_elapsed);
  if (rs.interval <= Duration::zero() || rs.interval < min_rtt) return rs;  // not valid
  double seconds = std::chrono::duration<double>(rs.interval).count();
  rs.delivery_rate = static_cast<uint64_t>(static_cast<double>(rs.delivered) / seconds);
  rs.valid = true;
  last_rate_ = rs.delivery_rate;
  if (!rs.is_app_limited || rs.delivery_rate > max_rate_) max_rate_ = std::max(max_rate_, rs.delivery_rate);
  return rs;
}

void RateSampler::mark_app_limited(uint64_t bytes_in_flight) {
  app_limited_until_ = std::max<uint64_t>(delivered_ + bytes_in_flight, 1);
}

}  // namespace braid::recovery

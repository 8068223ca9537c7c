// BBRv3 network path model: see bbr_model.h. Pseudocode references are to
// draft-ietf-ccwg-bbr-06.
#include "core/cc/bbr/bbr_model.h"

#include <algorithm>
#include <chrono>

namespace braid::cc {

namespace {
double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }
}  // namespace

void WindowedMaxFilter::reset(uint64_t value, uint64_t time) { s_[0] = s_[1] = s_[2] = Sample{value, time}; }

uint64_t WindowedMaxFilter::update(uint64_t value, uint64_t time, uint64_t window) {
  const Sample sample{value, time};
  // A new overall max, or a window with nothing left in it, restarts the filter.
  if (value >= s_[0].value || time - s_[2].time > window) {
    reset(value, time);
    return get();
  }
  if (value >= s_[1].value) {
    s_[2] = s_[1] = sample;
  } else if (value >= s_[2].value) {
    s_[2] = sample;
  }
  age(sample, window);
  return get();
}

void WindowedMaxFilter::age(const Sample& sample, uint64_t window) {
  const uint64_t dt = sample.time - s_[0].time;
  if (dt > window) {
    // The best sample left the window: promote the runners-up (twice if needed).
    s_[0] = s_[1];
    s_[1] = s_[2];
    s_[2] = sample;
    if (sample.time - s_[0].time > window) {
      s_[0] = s_[1];
      s_[1] = s_[2];
      s_[2] = sample;
    }
  } else if (s_[1].time == s_[0].time && dt > window / 4) {
    // A quarter of the window passed without a second choice: take this one.
    s_[2] = s_[1] = sample;
  } else if (s_[2].time == s_[1].time && dt > window / 2) {
    s_[2] = sample;
  }
}

void BbrModel::init(TimePoint now) {
  *this = BbrModel{};
  min_rtt_stamp_ = now;
  probe_rtt_min_stamp_ = now;
  extra_acked_interval_start_ = now;
}

bool BbrModel::update_round(uint64_t prior_delivered, uint64_t delivered) {
  round_start_ = prior_delivered >= next_round_delivered_;
  if (round_start_) {
    start_round(delivered);
    ++round_count_;
  }
  return round_start_;
}

void BbrModel::update_max_bw(const RateSample& rs) {
  // App-limited samples only count when they show more than we already believe.
  if (rs.delivery_rate == 0) return;
  if (rs.delivery_rate < max_bw() && rs.is_app_limited) return;
  bw_hi_[1] = std::max(bw_hi_[1], rs.delivery_rate);
}

void BbrModel::advance_max_bw_filter() {
  // The filter's virtual clock ticks once per ProbeBW cycle. A cycle without samples keeps
  // the older slot, so that an idle or app-limited cycle does not forget the bandwidth.
  ++cycle_count_;
  if (bw_hi_[1] == 0) return;
  bw_hi_[0] = bw_hi_[1];
  bw_hi_[1] = 0;
}

void BbrModel::update_latest_delivery_signals(const RateSample& rs, uint64_t delivered) {
  loss_round_start_ = false;
  bw_latest_ = std::max(bw_latest_, rs.delivery_rate);
  inflight_latest_ = std::max(inflight_latest_, rs.delivered);
  if (rs.prior_delivered >= loss_round_delivered_) {
    loss_round_delivered_ = delivered;
    loss_round_start_ = true;
  }
}

void BbrModel::advance_latest_delivery_signals(const RateSample& rs) {
  if (!loss_round_start_) return;
  bw_latest_ = rs.delivery_rate;
  inflight_latest_ = rs.delivered;
}

void BbrModel::reset_congestion_signals() {
  is_loss_in_round_ = false;
  bw_latest_ = 0;
  inflight_latest_ = 0;
}

bool BbrModel::note_loss(uint64_t delivered) {
  const bool first = !is_loss_in_round_;
  if (first) loss_round_delivered_ = delivered;
  is_loss_in_round_ = true;
  return first;
}

void BbrModel::adapt_lower_bounds(uint64_t cwnd) {
  // The first congestion of the cycle starts the bounds from the long-term values.
  if (bw_shortterm_ == kBbrUnbounded) bw_shortterm_ = max_bw();
  if (inflight_shortterm_ == kBbrUnbounded) inflight_shortterm_ = cwnd;
  bw_shortterm_ = std::max(bw_latest_, static_cast<uint64_t>(kBbrBeta * static_cast<double>(bw_shortterm_)));
  inflight_shortterm_ =
      std::max(inflight_latest_, static_cast<uint64_t>(kBbrBeta * static_cast<double>(inflight_shortterm_)));
}

uint64_t BbrModel::bdp_multiple(double gain, uint64_t initial_cwnd) const {
  if (!has_min_rtt()) return initial_cwnd;
  return static_cast<uint64_t>(gain * static_cast<double>(bw_) * seconds(min_rtt_));
}

void BbrModel::update_min_rtt(TimePoint now, Duration rtt) {
  probe_rtt_expired_ = now > probe_rtt_min_stamp_ + kBbrProbeRttInterval;
  if (rtt > Duration::zero() && (rtt < probe_rtt_min_delay_ || probe_rtt_expired_)) {
    probe_rtt_min_delay_ = rtt;
    probe_rtt_min_stamp_ = now;
  }
  const bool min_rtt_expired = now > min_rtt_stamp_ + kBbrMinRttFilterLen;
  if (probe_rtt_min_delay_ < min_rtt_ || min_rtt_expired) {
    min_rtt_ = probe_rtt_min_delay_;
    min_rtt_stamp_ = probe_rtt_min_stamp_;
  }
}

void BbrModel::update_ack_aggregation(TimePoint now, uint64_t newly_acked, uint64_t cwnd, bool full_bw_reached) {
  // Data ACKed beyond what bw explains over this interval measures ACK aggregation.
  double expected = static_cast<double>(bw_) * seconds(now - extra_acked_interval_start_);
  if (static_cast<double>(extra_acked_delivered_) <= expected) {
    // The ACK rate fell to the expected rate: a new aggregation epoch starts here.
    restart_aggregation_epoch(now);
    expected = 0;
  }
  extra_acked_delivered_ += newly_acked;
  const double excess = static_cast<double>(extra_acked_delivered_) - expected;
  const uint64_t extra = std::min(static_cast<uint64_t>(std::max(excess, 0.0)), cwnd);
  // In Startup the bandwidth grows every round, so only the last round is meaningful.
  const uint64_t window = full_bw_reached ? kBbrExtraAckedFilterLen : 1;
  extra_acked_filter_.update(extra, round_count_, window);
}

void BbrModel::restart_aggregation_epoch(TimePoint now) {
  extra_acked_delivered_ = 0;
  extra_acked_interval_start_ = now;
}

}  // namespace braid::cc

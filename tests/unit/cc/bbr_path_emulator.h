// A small deterministic path emulator for the BBR tests: one bottleneck of fixed rate with a
// drop-tail FIFO, a fixed base RTT, one ACK per packet, and a sender-side delivery-rate
// sampler written after the draft's "Delivery Rate Samples" pseudocode, so the controller
// sees realistic RateSample, LostPacket and AckSample values.
#pragma once
#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "core/cc/bbr/bbr.h"

namespace braid::cc::bbr_testing {

using std::chrono::milliseconds;

inline constexpr uint64_t kMds = 1200;
inline constexpr double kRateBps = 10e6;                  // 10 Mbit/s
inline constexpr double kRateBytes = kRateBps / 8.0;      // 1.25 MB/s
inline constexpr Duration kBaseRtt = milliseconds(40);
inline constexpr uint64_t kBdp = static_cast<uint64_t>(kRateBytes * 0.040);  // 50 000 bytes

inline double to_s(Duration d) { return std::chrono::duration<double>(d).count(); }
inline Duration from_s(double s) { return Duration(static_cast<int64_t>(std::llround(s * 1e9))); }

class PathEmulator {
 public:
  struct Config {
    double rate_bps = kRateBps;
    Duration base_rtt = kBaseRtt;
    uint64_t queue_limit = 4 * kBdp;  // bytes waiting at the bottleneck (drop-tail)
    double random_loss = 0.0;         // after the bottleneck (a lossy last hop)
    uint64_t seed = 1;
  };

  PathEmulator(CongestionController& cc, Config cfg) : cc_(cc), cfg_(cfg), rng_(cfg.seed) {}

  void run_until(TimePoint end) {
    for (;;) {
      const TimePoint t_ack = pending_.empty() ? kNever : packet(pending_.front()).ack_at;
      const TimePoint t_send = can_send() ? std::max(now_, next_send_) : kNever;
      const TimePoint t_tail = tail_timer();
      const TimePoint t = std::min({t_ack, t_send, t_tail});
      if (t > end) {
        now_ = end;
        return;
      }
      now_ = t;
      if (t == t_ack) {
        on_ack_arrival();
      } else if (t == t_send) {
        send_packet();
      } else {
        on_tail_timeout();
      }
    }
  }
  void run_for(Duration d) { run_until(now_ + d); }
  // Runs until pred() holds after an event, or `limit` passes; returns whether it held.
  bool run_until_pred(const std::function<bool()>& pred, Duration limit) {
    const TimePoint end = now_ + limit;
    while (now_ < end) {
      run_for(std::chrono::microseconds(500));
      if (pred()) return true;
    }
    return false;
  }

  TimePoint now() const { return now_; }
  TimePoint start() const { return start_; }
  uint64_t bytes_in_flight() const { return inflight_; }
  uint64_t delivered() const { return delivered_; }
  uint64_t lost() const { return lost_; }
  void drop_next(int n) { drop_next_ = n; }
  void set_base_rtt(Duration d) { cfg_.base_rtt = d; }
  void inject_ce() {
    LossSample l;
    l.now = now_;
    l.largest_lost_sent_time = last_sent_;
    l.bytes_in_flight = inflight_;
    l.ecn_ce = true;
    l.delivered = delivered_;
    l.lost = lost_;
    cc_.on_congestion_event(l);
  }

  // Statistics from start_stats() on.
  void start_stats() {
    stats_delivered_ = delivered_;
    stats_start_ = now_;
    rtt_sum_ = 0;
    rtt_count_ = 0;
  }
  double avg_rtt_s() const { return rtt_count_ ? rtt_sum_ / static_cast<double>(rtt_count_) : 0; }
  double goodput_bytes_per_s() const {
    return static_cast<double>(delivered_ - stats_delivered_) / to_s(now_ - stats_start_);
  }

  std::function<void()> after_ack;
  std::function<void()> after_loss;

 private:
  struct Packet {
    uint64_t pn = 0;
    TimePoint sent{};
    uint32_t size = 0;
    uint64_t delivered = 0;
    TimePoint delivered_time{};
    TimePoint first_send_time{};
    bool app_limited = false;
    uint64_t tx_in_flight = 0;
    uint64_t lost_at_send = 0;
    TimePoint ack_at = kNever;  // kNever: dropped
    bool done = false;
  };

  Packet& packet(uint64_t pn) { return window_[pn - base_pn_]; }
  bool can_send() const { return inflight_ + kMds <= cc_.window(); }

  void send_packet() {
    Packet p;
    p.pn = next_pn_++;
    p.sent = now_;
    p.size = kMds;
    // Delivery-rate sampling, OnPacketSent.
    if (inflight_ == 0) first_send_time_ = delivered_time_ = now_;
    p.first_send_time = first_send_time_;
    p.delivered_time = delivered_time_;
    p.delivered = delivered_;
    p.app_limited = false;  // the application always has data
    inflight_ += p.size;
    p.tx_in_flight = inflight_;
    p.lost_at_send = lost_;
    enqueue_at_bottleneck(p);
    window_.push_back(p);
    last_sent_ = now_;
    cc_.on_packet_sent(SentSample{now_, p.size, inflight_, false});
    // Pacing: the next departure is one packet time at the controller's rate later.
    const auto rate = cc_.pacing_rate();
    const double bps = rate ? rate->bytes_per_second() : 0;
    next_send_ = std::max(now_, next_send_);
    if (bps > 0) next_send_ += from_s(static_cast<double>(p.size) / bps);
  }

  void enqueue_at_bottleneck(Packet& p) {
    const double rate = cfg_.rate_bps / 8.0;
    const double backlog = link_free_at_ > now_ ? to_s(link_free_at_ - now_) * rate : 0.0;
    bool drop = backlog > static_cast<double>(cfg_.queue_limit);  // drop-tail
    if (drop_next_ > 0) {
      --drop_next_;
      drop = true;
    }
    if (drop) return;
    link_free_at_ = std::max(now_, link_free_at_) + from_s(static_cast<double>(p.size) / rate);
    if (cfg_.random_loss > 0 && rng_.uniform01() < cfg_.random_loss) return;  // lost after the link
    // FIFO: ACKs return in order even if the base RTT changes.
    p.ack_at = std::max(link_free_at_ + cfg_.base_rtt, last_ack_at_);
    last_ack_at_ = p.ack_at;
    pending_.push_back(p.pn);
  }

  void update_rtt(Duration rtt) {
    latest_rtt_ = rtt;
    min_rtt_ = std::min(min_rtt_, rtt);
    srtt_ = srtt_ == Duration::zero() ? rtt : (7 * srtt_ + rtt) / 8;
  }

  void on_ack_arrival() {
    Packet& p = packet(pending_.front());
    pending_.pop_front();
    last_progress_ = now_;
    // UpdateRateSample for the (only, so newest) acknowledged packet.
    delivered_ += p.size;
    delivered_time_ = now_;
    RateSample rs;
    rs.prior_delivered = p.delivered;
    rs.prior_time = p.delivered_time;
    rs.is_app_limited = p.app_limited;
    rs.send_elapsed = p.sent - p.first_send_time;
    rs.ack_elapsed = delivered_time_ - p.delivered_time;
    first_send_time_ = p.sent;
    p.done = true;
    inflight_ -= p.size;
    const Duration rtt = now_ - p.sent;
    update_rtt(rtt);
    rtt_sum_ += to_s(rtt);
    ++rtt_count_;
    // RFC 9002 order: losses this ACK reveals are reported before the ACK itself.
    const uint64_t lost_before = lost_;
    detect_losses(p.pn);
    // GenerateRateSample.
    rs.interval = std::max(rs.send_elapsed, rs.ack_elapsed);
    rs.delivered = delivered_ - rs.prior_delivered;
    rs.tx_in_flight = p.tx_in_flight;
    rs.lost = lost_ - p.lost_at_send;
    rs.rtt = rtt;
    rs.newly_acked = p.size;
    rs.newly_lost = lost_ - lost_before;
    if (rs.interval >= min_rtt_ && rs.interval > Duration::zero()) {
      rs.valid = true;
      rs.delivery_rate = static_cast<uint64_t>(static_cast<double>(rs.delivered) / to_s(rs.interval));
    }
    AckSample a;
    a.now = now_;
    a.sent_time = p.sent;
    a.bytes_acked = p.size;
    a.packets_acked = 1;
    a.latest_rtt = latest_rtt_;
    a.smoothed_rtt = srtt_;
    a.min_rtt = min_rtt_;
    a.bytes_in_flight = inflight_;
    a.app_limited = rs.is_app_limited;
    a.delivered = delivered_;
    a.lost = lost_;
    a.rate = rs;
    cc_.on_ack(a);
    trim();
    if (after_ack) after_ack();
  }

  void detect_losses(uint64_t largest_acked) {
    const Duration thresh = 9 * std::max(srtt_, latest_rtt_) / 8;
    std::vector<LostPacket> lost;
    for (Packet& p : window_) {
      if (p.pn >= largest_acked) break;
      if (p.done) continue;
      if (p.pn + 3 <= largest_acked || p.sent + thresh <= now_) declare_lost(p, lost);
    }
    report(lost);
  }

  void declare_lost(Packet& p, std::vector<LostPacket>& out) {
    p.done = true;
    inflight_ -= p.size;
    lost_ += p.size;
    out.push_back(LostPacket{p.pn, p.sent, p.size, p.tx_in_flight, p.lost_at_send, p.delivered, p.app_limited});
  }

  void report(const std::vector<LostPacket>& lost) {
    if (lost.empty()) return;
    LossSample l;
    l.now = now_;
    l.largest_lost_sent_time = lost.back().time_sent;
    for (const auto& p : lost) l.bytes_lost += p.size;
    l.packets_lost = lost.size();
    l.bytes_in_flight = inflight_;
    l.delivered = delivered_;
    l.lost = lost_;
    l.packets = lost;
    cc_.on_congestion_event(l);
    if (after_loss) after_loss();
  }

  // Nothing left that will be ACKed but packets outstanding: a PTO-like timer declares them.
  TimePoint tail_timer() const {
    if (!pending_.empty() || inflight_ == 0) return kNever;
    const Duration wait = srtt_ > Duration::zero() ? 2 * srtt_ : milliseconds(200);
    return std::max(last_progress_, last_sent_) + wait;
  }

  void on_tail_timeout() {
    std::vector<LostPacket> lost;
    for (Packet& p : window_) {
      if (!p.done) declare_lost(p, lost);
    }
    last_progress_ = now_;
    report(lost);
    trim();
  }

  void trim() {
    while (!window_.empty() && window_.front().done) {
      window_.pop_front();
      ++base_pn_;
    }
  }

  CongestionController& cc_;
  Config cfg_;
  SplitMix64 rng_;
  TimePoint start_ = time_from_us(1'000'000);
  TimePoint now_ = start_;
  TimePoint next_send_ = start_;
  TimePoint link_free_at_ = start_;
  TimePoint last_ack_at_ = start_;
  TimePoint last_sent_ = start_;
  TimePoint last_progress_ = start_;
  std::deque<Packet> window_;
  std::deque<uint64_t> pending_;  // packet numbers that will be ACKed, in arrival order
  uint64_t base_pn_ = 0;
  uint64_t next_pn_ = 0;
  int drop_next_ = 0;
  // Rate sampler and RTT estimator state (C.*).
  uint64_t delivered_ = 0;
  uint64_t lost_ = 0;
  uint64_t inflight_ = 0;
  TimePoint delivered_time_{};
  TimePoint first_send_time_{};
  Duration min_rtt_ = Duration::max();
  Duration srtt_{};
  Duration latest_rtt_{};
  // Statistics.
  uint64_t stats_delivered_ = 0;
  TimePoint stats_start_ = start_;
  double rtt_sum_ = 0;
  uint64_t rtt_count_ = 0;
};

inline CcContext context(PathId id = 0) {
  CcContext c;
  c.max_datagram_size = kMds;
  c.initial_window_packets = 10;
  c.path_id = id;
  return c;
}

inline PathEmulator::Config path(uint64_t queue_limit = 4 * kBdp) {
  PathEmulator::Config c;
  c.queue_limit = queue_limit;
  return c;
}

// Consecutive distinct states seen after each ACK.
struct StateTrace {
  std::vector<BbrState> states;
  std::vector<TimePoint> times;
  void note(BbrState s, TimePoint t) {
    if (states.empty() || states.back() != s) {
      states.push_back(s);
      times.push_back(t);
    }
  }
};

}  // namespace braid::cc::bbr_testing

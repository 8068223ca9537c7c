// Token bucket for RFC 9002 §7.7 pacing: tokens accrue at the pacing rate up to one burst;
// a packet may leave when the bucket holds its size. Without an RTT sample nothing is paced.
#include "core/cc/pacer.h"

#include <algorithm>
#include <cmath>

namespace braid::cc {

namespace {
constexpr double kPacingGain = 1.25;  // N in RFC 9002 §7.7
constexpr double kBurstInterval_s = 0.002;
constexpr uint64_t kMaxBurstPackets = 1024;
constexpr double kWakeBatch_s = 0.001;  // when blocked, wait for ~1 ms worth of tokens
}

uint64_t Pacer::capacity() const {
  uint64_t base = burst_packets_ * mds_;
  if (rate_ <= 0) return base;
  auto by_rate = static_cast<uint64_t>(rate_ * kBurstInterval_s);
  return std::clamp(by_rate, base, std::max(base, kMaxBurstPackets * mds_));
}

Pacer::Pacer(uint64_t max_datagram_size, uint64_t burst_packets)
    : mds_(max_datagram_size), burst_packets_(std::max<uint64_t>(burst_packets, 1)),
      tokens_(static_cast<double>(capacity())) {}

void Pacer::update(uint64_t cwnd, Duration smoothed_rtt, std::optional<Bandwidth> explicit_rate) {
  if (explicit_rate && explicit_rate->bits_per_second > 0) {
    rate_ = static_cast<double>(explicit_rate->bits_per_second) / 8.0;
  } else if (smoothed_rtt <= Duration::zero()) {
    rate_ = 0;
  } else {
    rate_ = kPacingGain * static_cast<double>(cwnd) / std::chrono::duration<double>(smoothed_rtt).count();
  }
}

void Pacer::refill(TimePoint now) const {
  if (started_ && now > last_ && rate_ > 0) {
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(static_cast<double>(capacity()), tokens_ + rate_ * elapsed);
  }
  if (rate_ <= 0) tokens_ = static_cast<double>(capacity());  // unpaced: bucket stays full
  if (!started_ || now > last_) last_ = now;
  started_ = true;
}

TimePoint Pacer::next_send_time(TimePoint now, uint64_t bytes) const {
  if (rate_ <= 0) return now;
  refill(now);
  // A packet larger than the bucket only needs a full bucket.
  double cap = static_cast<double>(capacity());
  double need = std::min(static_cast<double>(bytes), cap);
  if (tokens_ >= need) return now;
  // Blocked: on fast paths wake when about 1 ms of tokens has accrued rather than for every
  // packet (fewer timers, larger GSO trains); slow paths stay spaced per packet.
  need = std::min(cap, std::max(need, rate_ * kWakeBatch_s));
  double wait_s = (need - tokens_) / rate_;
  auto wait = Duration(static_cast<Duration::rep>(std::ceil(wait_s * 1e9)));
  return last_ + wait;
}

void Pacer::on_packet_sent(TimePoint now, uint64_t bytes) {
  refill(now);
  tokens_ -= static_cast<double>(bytes);
  // Bound the debt so one oversized send cannot stall the path for long.
  tokens_ = std::max(tokens_, -static_cast<double>(capacity()));
}

void Pacer::set_max_datagram_size(uint64_t bytes) {
  if (bytes == 0) return;
  mds_ = bytes;
  tokens_ = std::min(tokens_, static_cast<double>(capacity()));
}

}  // namespace braid::cc

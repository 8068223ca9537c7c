// Ack frequency (draft-ietf-quic-ack-frequency) in the connection: negotiation by the
// min_ack_delay transport parameter, the peer's ACK_FREQUENCY and IMMEDIATE_ACK frames
// applied to every path's acknowledgements, and our own requests sized from the paths'
// windows and RTTs (ack_frequency.h) whenever an ACK shows they changed.
#include <fmt/format.h>

#include "core/conn/connection_impl.h"

namespace braid::conn {

namespace {
constexpr uint64_t kMaxAckDelayLimitUs = (uint64_t{1} << 14) * 1000;   // RFC 9000 §18.2: below 2^14 ms
constexpr size_t kAckFrequencyFrameMax = 1 + 4 * 8;
}  // namespace

void ConnectionImpl::negotiate_ack_frequency(const wire::TransportParameters& peer) {
  if (!cfg_.ack_frequency || !peer.min_ack_delay_us) return;
  peer_min_ack_delay_ = std::chrono::microseconds(static_cast<int64_t>(*peer.min_ack_delay_us));
  ack_freq_.enable(std::chrono::milliseconds(peer.max_ack_delay_ms));
}

Duration ConnectionImpl::peer_max_ack_delay() const {
  if (ack_freq_.enabled()) return ack_freq_.peer_max_ack_delay();
  return std::chrono::milliseconds(peer_params_applied_ ? peer_params_.max_ack_delay_ms : 25);
}

Status ConnectionImpl::on_ack_frequency(const wire::AckFrequencyFrame& f, uint64_t ftype) {
  if (!cfg_.ack_frequency) {
    return fail(TransportErrorCode::kProtocolViolation, "ACK_FREQUENCY without min_ack_delay", ftype);
  }
  // §4: the requested delay is a max_ack_delay (below 2^14 ms) and not below our minimum.
  if (f.requested_max_ack_delay_us >= kMaxAckDelayLimitUs ||
      f.requested_max_ack_delay_us < static_cast<uint64_t>(to_us(cfg_.min_ack_delay))) {
    return fail(TransportErrorCode::kProtocolViolation,
                fmt::format("ACK_FREQUENCY requests a max ack delay of {} us", f.requested_max_ack_delay_us), ftype);
  }
  if (peer_ack_frequency_seq_ && f.sequence <= *peer_ack_frequency_seq_) return {};   // obsolete or repeated
  peer_ack_frequency_seq_ = f.sequence;
  peer_ack_request_ = AckFrequencyRequest{f.ack_eliciting_threshold,
                                          std::chrono::microseconds(static_cast<int64_t>(f.requested_max_ack_delay_us)),
                                          f.reordering_threshold};
  for (auto& [id, p] : paths_) apply_peer_ack_request(*p);
  return {};
}

Status ConnectionImpl::on_immediate_ack(uint64_t ftype) {
  if (!cfg_.ack_frequency) {
    return fail(TransportErrorCode::kProtocolViolation, "IMMEDIATE_ACK without min_ack_delay", ftype);
  }
  immediate_ack_asked_ = true;   // applied once the packet is recorded in its space
  return {};
}

void ConnectionImpl::apply_peer_ack_request(path::Path& p) const {
  if (!peer_ack_request_) return;
  p.app.acks.set_ack_frequency(peer_ack_request_->ack_eliciting_threshold, peer_ack_request_->max_ack_delay,
                               peer_ack_request_->reordering_threshold);
}

// A loss this many smoothed RTTs ago still makes a path "lossy" for the policy.
constexpr int kLossMemoryRtts = 8;

void ConnectionImpl::update_ack_frequency(TimePoint now) {
  if (!ack_freq_.enabled() || !handshake_confirmed_ || is_draining()) return;
  std::vector<AckFrequencyPathInput> in;
  Duration slowest{};
  for (auto& [id, p] : paths_) {
    if (!p->usable() || !p->rtt.has_sample()) continue;
    CcState st = p->cc->metrics().state;
    bool growing = st == CcState::kSlowStart || st == CcState::kConservativeSlowStart || st == CcState::kStartup;
    bool lossy = p->last_loss != kNever && now < p->last_loss + kLossMemoryRtts * p->rtt.smoothed();
    in.push_back({p->cc->window(), p->mtu, growing, lossy});
    slowest = std::max(slowest, p->rtt.smoothed());
  }
  AckFrequencyLimits limits;
  limits.peer_min_ack_delay = peer_min_ack_delay_;
  limits.peer_max_ack_delay = std::chrono::milliseconds(peer_params_.max_ack_delay_ms);
  limits.max_threshold = cfg_.ack_frequency_max_threshold;
  limits.packet_threshold = recovery::kPacketThreshold;
  if (auto want = choose_ack_frequency(in, limits)) ack_freq_.consider(now, *want, slowest);
}

void ConnectionImpl::write_ack_frequency(wire::Writer& w, std::vector<recovery::SentFrame>& sent) {
  if (!ack_freq_.pending() || w.remaining() < kAckFrequencyFrameMax) return;
  wire::AckFrequencyFrame f = ack_freq_.take_frame();
  wire::encode_frame(w, f);
  recovery::SentFrame sf{recovery::SentFrame::Kind::kAckFrequency};
  sf.id = f.sequence;
  sent.push_back(sf);
  if (qlog_) {
    qlog_->generic(now_, "braid:ack_frequency_requested",
                   {{"sequence_number", f.sequence},
                    {"ack_eliciting_threshold", f.ack_eliciting_threshold},
                    {"request_max_ack_delay_ms", static_cast<double>(f.requested_max_ack_delay_us) / 1000.0},
                    {"reordering_threshold", f.reordering_threshold}});
  }
}

}  // namespace braid::conn

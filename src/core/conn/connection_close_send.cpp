// CONNECTION_CLOSE datagrams: one packet per encryption level the peer may be able to read,
// application details hidden below 1-RTT (RFC 9000 §10.2.3), Initial padded for the client.
#include "core/conn/connection_impl.h"
#include "core/crypto/packet_protection.h"
#include "core/qlog/qlog_frames.h"
#include "core/wire/frame_codec.h"

namespace braid::conn {

size_t ConnectionImpl::build_close_datagram(TimePoint now, path::Path& p, std::span<uint8_t> out) {
  if (!local_close_) return 0;
  const auto& e = *local_close_;
  size_t used = 0;
  // Before the handshake is confirmed the peer may lack 1-RTT keys: close at every level we
  // have, hiding application details in Initial/Handshake (RFC 9000 §10.2.3).
  constexpr EncryptionLevel kLevels[3] = {EncryptionLevel::kInitial, EncryptionLevel::kHandshake,
                                          EncryptionLevel::kApplication};
  for (auto level : kLevels) {
    bool have = level == EncryptionLevel::kApplication
                    ? (keys_.can_seal_1rtt() && (handshake_complete_ || perspective_ == Perspective::kClient))
                    : (!keys_.levels[level_index(level)].discarded && keys_.levels[level_index(level)].write.has_value());
    if (!have) continue;
    if (level == EncryptionLevel::kApplication && !handshake_complete_) continue;
    auto& space = space_for(level, p);
    size_t room = out.size() - used;
    if (room < 64) break;
    uint64_t pn = space.sent.take_packet_number();
    size_t pn_len = 4;
    wire::Writer w(out.subspan(used, room - crypto::kAeadTagLen));
    std::optional<wire::LongHeaderLayout> layout;
    size_t pn_offset;
    if (level != EncryptionLevel::kApplication) {
      layout = wire::write_long_header(w, level == EncryptionLevel::kInitial ? wire::PacketType::kInitial
                                                                              : wire::PacketType::kHandshake,
                                       kQuicVersion1, p.remote_cid, cids_.initial_scid,
                                       level == EncryptionLevel::kInitial && perspective_ == Perspective::kClient
                                           ? std::span<const uint8_t>(retry_token_)
                                           : std::span<const uint8_t>(),
                                       pn, pn_len);
      if (!layout) break;
      pn_offset = layout->pn_offset;
    } else {
      auto off = wire::write_short_header(w, p.remote_cid, false, keys_.app->key_phase, pn, pn_len);
      if (!off) break;
      pn_offset = *off;
    }
    size_t header_len = w.size();
    wire::ConnectionCloseFrame fr;
    bool app_level = level == EncryptionLevel::kApplication;
    if (e.application && !app_level) {
      fr = {false, static_cast<uint64_t>(TransportErrorCode::kApplicationError), 0, {}};
    } else {
      std::string_view reason = e.reason;
      if (reason.size() > 200) reason = reason.substr(0, 200);
      fr = {e.application, e.code, e.frame_type,
            std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(reason.data()), reason.size())};
    }
    if (!wire::encode_frame(w, fr)) break;
    size_t payload_len = w.size() - header_len;
    if (payload_len + pn_len < 4) {
      w.write_zeros(4 - payload_len - pn_len);
      payload_len = w.size() - header_len;
    }
    bool pad_initial = level == EncryptionLevel::kInitial && perspective_ == Perspective::kClient;
    if (pad_initial && used + w.size() + crypto::kAeadTagLen < kMinInitialDatagram) {
      w.write_zeros(std::min(w.remaining(), kMinInitialDatagram - used - w.size() - crypto::kAeadTagLen));
      payload_len = w.size() - header_len;
    }
    if (layout) wire::patch_long_header_length(w, *layout, pn_len, payload_len + crypto::kAeadTagLen);
    auto pkt = out.subspan(used);
    std::optional<qlog::PlaintextFrames> logged;
    if (qlog_ && qlog_->enabled()) logged.emplace(pkt.subspan(header_len, payload_len));
    size_t n;
    if (app_level) {
      n = crypto::protect_packet(*keys_.app->write.aead, *keys_.app->write_hp, multipath() ? p.id : 0, pn, pkt,
                                 header_len, pn_offset, pn_len, payload_len);
    } else {
      auto& l = keys_.levels[level_index(level)];
      n = crypto::protect_packet(*l.write->aead, *l.write->hp, 0, pn, pkt, header_len, pn_offset, pn_len, payload_len);
    }
    if (logged && n > 0) {
      qlog_->packet_sent(now, app_level && multipath() ? std::optional<uint32_t>(p.id) : std::nullopt,
                         level == EncryptionLevel::kInitial     ? "initial"
                         : level == EncryptionLevel::kHandshake ? "handshake"
                                                                : "1RTT",
                         pn, n, logged->frames);
    }
    used += n;
  }
  if (used) {
    stats_.packets_sent++;
    stats_.bytes_sent += used;
  }
  return used;
}

}  // namespace braid::conn

// Transport parameter encoding and validating decoding (RFC 9000 §18, RFC 9221 §3,
// multipath §2.1). Every rule that can be checked from the parameters alone is enforced
// here; rules that need connection state (CID matching, §7.3) belong to the handshake.
#include <cstring>

#include "core/wire/frame_types.h"
#include "core/wire/transport_params.h"
#include "core/wire/varint.h"

namespace braid::wire {
namespace {

using Code = TransportErrorCode;
using Id = TransportParamId;

constexpr uint64_t kMaxStreamCount = uint64_t{1} << 60;
constexpr uint64_t kMaxAckDelayLimitMs = uint64_t{1} << 14;
constexpr size_t kPreferredAddressFixedLen = 4 + 2 + 16 + 2 + 1 + 16;

std::unexpected<TransportError> param_error(std::string why) {
  return fail(Code::kTransportParameterError, std::move(why));
}

// Bit index for duplicate detection; known ids are few and small, unknown ones are not
// tracked (they are ignored anyway, and tracking them would let a peer make us do
// quadratic work).
int known_index(uint64_t id) {
  if (id <= uint64_t(Id::kRetrySourceConnectionId)) return static_cast<int>(id);
  if (id == uint64_t(Id::kMaxDatagramFrameSize)) return 17;
  if (id == uint64_t(Id::kInitialMaxPathId)) return 18;
  if (id == uint64_t(Id::kAddressAdvertisement)) return 19;
  if (id == uint64_t(Id::kMinAckDelay)) return 20;
  return -1;
}

bool server_only(uint64_t id) {
  return id == uint64_t(Id::kOriginalDestinationConnectionId) ||
         id == uint64_t(Id::kStatelessResetToken) || id == uint64_t(Id::kPreferredAddress) ||
         id == uint64_t(Id::kRetrySourceConnectionId);
}

void put_varint(Writer& w, Id id, uint64_t v) {
  w.write_varint(uint64_t(id));
  w.write_varint(varint_size(v));
  w.write_varint(v);
}

void put_bytes(Writer& w, Id id, std::span<const uint8_t> b) {
  w.write_varint(uint64_t(id));
  w.write_varint(b.size());
  w.write_bytes(b);
}

template <size_t N>
void copy_to(std::array<uint8_t, N>& dst, std::span<const uint8_t> src) {
  std::memcpy(dst.data(), src.data(), N);
}

Result<PreferredAddress> parse_preferred_address(std::span<const uint8_t> value) {
  Reader r(value);
  PreferredAddress pa;
  std::span<const uint8_t> b;
  uint8_t cid_len;
  if (value.size() < kPreferredAddressFixedLen) return param_error("preferred_address too short");
  r.read_bytes(4, b);
  copy_to(pa.ipv4, b);
  r.read_u16(pa.ipv4_port);
  r.read_bytes(16, b);
  copy_to(pa.ipv6, b);
  r.read_u16(pa.ipv6_port);
  r.read_u8(cid_len);
  // §18.2: a zero-length CID here is forbidden, and CIDs never exceed 20 bytes.
  if (cid_len == 0 || cid_len > ConnectionId::kMaxLen)
    return param_error("preferred_address connection ID length outside 1..20");
  if (r.remaining() != size_t{cid_len} + pa.reset_token.size())
    return param_error("preferred_address length mismatch");
  r.read_bytes(cid_len, b);
  pa.cid = ConnectionId(b);
  r.read_bytes(pa.reset_token.size(), b);
  copy_to(pa.reset_token, b);
  return pa;
}

}  // namespace

std::vector<uint8_t> TransportParameters::encode() const {
  // Generous upper bound: fixed parameters fit in ~200 bytes, CIDs add at most 3 x 20.
  std::vector<uint8_t> out(512);
  Writer w(out);
  // Parameters at their RFC default are omitted; decode() restores the defaults.
  if (original_destination_connection_id)
    put_bytes(w, Id::kOriginalDestinationConnectionId, original_destination_connection_id->span());
  if (max_idle_timeout_ms) put_varint(w, Id::kMaxIdleTimeout, max_idle_timeout_ms);
  if (stateless_reset_token) put_bytes(w, Id::kStatelessResetToken, *stateless_reset_token);
  if (max_udp_payload_size != 65527)
    put_varint(w, Id::kMaxUdpPayloadSize, max_udp_payload_size);
  if (initial_max_data) put_varint(w, Id::kInitialMaxData, initial_max_data);
  if (initial_max_stream_data_bidi_local)
    put_varint(w, Id::kInitialMaxStreamDataBidiLocal, initial_max_stream_data_bidi_local);
  if (initial_max_stream_data_bidi_remote)
    put_varint(w, Id::kInitialMaxStreamDataBidiRemote, initial_max_stream_data_bidi_remote);
  if (initial_max_stream_data_uni)
    put_varint(w, Id::kInitialMaxStreamDataUni, initial_max_stream_data_uni);
  if (initial_max_streams_bidi) put_varint(w, Id::kInitialMaxStreamsBidi, initial_max_streams_bidi);
  if (initial_max_streams_uni) put_varint(w, Id::kInitialMaxStreamsUni, initial_max_streams_uni);
  if (ack_delay_exponent != 3) put_varint(w, Id::kAckDelayExponent, ack_delay_exponent);
  if (max_ack_delay_ms != 25) put_varint(w, Id::kMaxAckDelay, max_ack_delay_ms);
  if (disable_active_migration) put_bytes(w, Id::kDisableActiveMigration, {});
  if (preferred_address) {
    const PreferredAddress& pa = *preferred_address;
    w.write_varint(uint64_t(Id::kPreferredAddress));
    w.write_varint(kPreferredAddressFixedLen + pa.cid.size());
    w.write_bytes(pa.ipv4);
    w.write_u16(pa.ipv4_port);
    w.write_bytes(pa.ipv6);
    w.write_u16(pa.ipv6_port);
    w.write_u8(static_cast<uint8_t>(pa.cid.size()));
    w.write_bytes(pa.cid.span());
    w.write_bytes(pa.reset_token);
  }
  if (active_connection_id_limit != 2)
    put_varint(w, Id::kActiveConnectionIdLimit, active_connection_id_limit);
  if (initial_source_connection_id)
    put_bytes(w, Id::kInitialSourceConnectionId, initial_source_connection_id->span());
  if (retry_source_connection_id)
    put_bytes(w, Id::kRetrySourceConnectionId, retry_source_connection_id->span());
  if (max_datagram_frame_size) put_varint(w, Id::kMaxDatagramFrameSize, *max_datagram_frame_size);
  if (initial_max_path_id) put_varint(w, Id::kInitialMaxPathId, *initial_max_path_id);
  if (address_advertisement) put_varint(w, Id::kAddressAdvertisement, *address_advertisement);
  if (min_ack_delay_us) put_varint(w, Id::kMinAckDelay, *min_ack_delay_us);
  out.resize(w.size());
  return out;
}

Result<TransportParameters> TransportParameters::decode(std::span<const uint8_t> bytes,
                                                        Perspective sender) {
  TransportParameters tp;
  Reader r(bytes);
  uint32_t seen = 0;
  while (!r.empty()) {
    uint64_t id, len;
    std::span<const uint8_t> value;
    if (!r.read_varint(id) || !r.read_varint(len) || !r.read_bytes(len, value))
      return param_error("truncated transport parameter");
    int index = known_index(id);
    if (index < 0) continue;  // unknown or reserved (GREASE, 31*N+27): ignored, §18.1
    if (seen & (uint32_t{1} << index)) return param_error("duplicate transport parameter");
    seen |= uint32_t{1} << index;
    if (sender == Perspective::kClient && server_only(id))
      return param_error("server-only transport parameter sent by client");

    Reader vr(value);
    uint64_t v = 0;
    // Integer parameters are one varint that fills the value exactly.
    auto integer = [&]() { return vr.read_varint(v) && vr.empty(); };
    auto cid = [&]() -> Result<ConnectionId> {
      if (value.size() > ConnectionId::kMaxLen) return param_error("connection ID too long");
      return ConnectionId(value);
    };

    switch (static_cast<Id>(id)) {
      case Id::kOriginalDestinationConnectionId:
      case Id::kInitialSourceConnectionId:
      case Id::kRetrySourceConnectionId: {
        auto c = cid();
        if (!c) return std::unexpected(c.error());
        if (id == uint64_t(Id::kOriginalDestinationConnectionId))
          tp.original_destination_connection_id = *c;
        else if (id == uint64_t(Id::kInitialSourceConnectionId))
          tp.initial_source_connection_id = *c;
        else
          tp.retry_source_connection_id = *c;
        continue;
      }
      case Id::kStatelessResetToken: {
        StatelessResetToken token;
        if (value.size() != token.size()) return param_error("stateless_reset_token not 16 bytes");
        copy_to(token, value);
        tp.stateless_reset_token = token;
        continue;
      }
      case Id::kDisableActiveMigration:
        if (!value.empty()) return param_error("disable_active_migration has a value");
        tp.disable_active_migration = true;
        continue;
      case Id::kPreferredAddress: {
        auto pa = parse_preferred_address(value);
        if (!pa) return std::unexpected(pa.error());
        tp.preferred_address = *pa;
        continue;
      }
      default: break;
    }

    if (!integer()) return param_error("malformed integer transport parameter");
    switch (static_cast<Id>(id)) {
      case Id::kMaxIdleTimeout: tp.max_idle_timeout_ms = v; break;
      case Id::kMaxUdpPayloadSize:
        if (v < 1200) return param_error("max_udp_payload_size below 1200");
        tp.max_udp_payload_size = v;
        break;
      case Id::kInitialMaxData: tp.initial_max_data = v; break;
      case Id::kInitialMaxStreamDataBidiLocal: tp.initial_max_stream_data_bidi_local = v; break;
      case Id::kInitialMaxStreamDataBidiRemote: tp.initial_max_stream_data_bidi_remote = v; break;
      case Id::kInitialMaxStreamDataUni: tp.initial_max_stream_data_uni = v; break;
      case Id::kInitialMaxStreamsBidi:
      case Id::kInitialMaxStreamsUni:
        // §4.6: a count above 2^60 would allow unencodable stream IDs.
        if (v > kMaxStreamCount) return param_error("initial_max_streams above 2^60");
        (id == uint64_t(Id::kInitialMaxStreamsBidi) ? tp.initial_max_streams_bidi
                                                     : tp.initial_max_streams_uni) = v;
        break;
      case Id::kAckDelayExponent:
        if (v > 20) return param_error("ack_delay_exponent above 20");
        tp.ack_delay_exponent = v;
        break;
      case Id::kMaxAckDelay:
        if (v >= kMaxAckDelayLimitMs) return param_error("max_ack_delay of 2^14 or more");
        tp.max_ack_delay_ms = v;
        break;
      case Id::kActiveConnectionIdLimit:
        if (v < 2) return param_error("active_connection_id_limit below 2");
        tp.active_connection_id_limit = v;
        break;
      case Id::kMaxDatagramFrameSize: tp.max_datagram_frame_size = v; break;
      case Id::kInitialMaxPathId:
        // Multipath §2.1: path IDs feed the 32-bit part of the nonce.
        if (v > UINT32_MAX) return param_error("initial_max_path_id above 2^32-1");
        tp.initial_max_path_id = v;
        break;
      case Id::kAddressAdvertisement: tp.address_advertisement = v; break;
      case Id::kMinAckDelay: tp.min_ack_delay_us = v; break;
      default: break;
    }
  }
  // Ack frequency §3: min_ack_delay (µs) above max_ack_delay (ms) is an error.
  if (tp.min_ack_delay_us && *tp.min_ack_delay_us > tp.max_ack_delay_ms * 1000)
    return param_error("min_ack_delay above max_ack_delay");
  // §18.2: a server using a zero-length connection ID must not offer a preferred address.
  if (tp.preferred_address && tp.initial_source_connection_id &&
      tp.initial_source_connection_id->empty())
    return param_error("preferred_address with a zero-length connection ID");
  return tp;
}

}  // namespace braid::wire

// Packet header parsing and writing (RFC 9000 §17, RFC 8999): the unprotected header
// fields, coalesced-packet boundaries, packet-number truncation/recovery, and the
// Version Negotiation and Retry packets that never carry frames.
#include "core/wire/packet_header.h"

namespace braid::wire {
namespace {

using Code = TransportErrorCode;

constexpr uint8_t kHeaderForm = 0x80;
constexpr uint8_t kFixedBit = 0x40;
constexpr size_t kRetryIntegrityTagLen = 16;

std::unexpected<TransportError> truncated(const char* what) {
  return fail(Code::kFrameEncodingError, what);
}

// Reads an 8-bit length and that many bytes as a connection ID. RFC 9000 §17.2: a v1 long
// header CID longer than 20 bytes is dropped; other versions may carry up to 255 (RFC 8999)
// but ConnectionId cannot hold them, so those are rejected too.
Result<ConnectionId> read_cid(Reader& r) {
  uint8_t len;
  std::span<const uint8_t> bytes;
  if (!r.read_u8(len) || !r.read_bytes(len, bytes)) return truncated("truncated connection ID");
  if (len > ConnectionId::kMaxLen)
    return fail(Code::kProtocolViolation, "connection ID longer than 20 bytes");
  return ConnectionId(bytes);
}

Result<ParsedHeader> parse_long(Reader& r, ParsedHeader h) {
  if (!r.read_u32(h.version)) return truncated("truncated version");
  auto dcid = read_cid(r);
  if (!dcid) return std::unexpected(dcid.error());
  auto scid = read_cid(r);
  if (!scid) return std::unexpected(scid.error());
  h.dcid = *dcid;
  h.scid = *scid;

  if (h.version == 0) {
    // Version Negotiation (§17.2.1): the fixed bit and the rest of byte 0 are unused.
    h.type = PacketType::kVersionNegotiation;
    if (r.remaining() % 4 != 0)
      return fail(Code::kFrameEncodingError, "Version Negotiation list not a multiple of 4");
    h.supported_versions.reserve(r.remaining() / 4);
    uint32_t v;
    while (r.read_u32(v)) h.supported_versions.push_back(v);
    h.packet_length = r.position();
    return h;
  }
  if (h.version != kQuicVersion1) {
    // Unknown version: only the invariant fields mean anything; the caller answers with
    // Version Negotiation or drops, so the whole datagram is "this packet".
    h.type = PacketType::kInitial;
    h.packet_length = r.whole().size();
    return h;
  }
  if (!(h.first_byte & kFixedBit)) return fail(Code::kProtocolViolation, "fixed bit is 0");

  switch ((h.first_byte >> 4) & 0x03) {
    case 0: h.type = PacketType::kInitial; break;
    case 1: h.type = PacketType::kZeroRtt; break;
    case 2: h.type = PacketType::kHandshake; break;
    default: {
      // Retry (§17.2.5): token runs up to the 16-byte integrity tag at the very end.
      h.type = PacketType::kRetry;
      if (r.remaining() < kRetryIntegrityTagLen) return truncated("Retry shorter than its tag");
      r.read_bytes(r.remaining() - kRetryIntegrityTagLen, h.token);
      r.read_bytes(kRetryIntegrityTagLen, h.retry_integrity_tag);
      h.packet_length = r.position();
      return h;
    }
  }
  if (h.type == PacketType::kInitial) {
    uint64_t token_len;
    if (!r.read_varint(token_len) || !r.read_bytes(token_len, h.token))
      return truncated("truncated Initial token");
  }
  uint64_t length;
  if (!r.read_varint(length)) return truncated("truncated Length");
  if (length > r.remaining()) return truncated("Length exceeds the datagram");
  h.pn_offset = r.position();
  h.packet_length = h.pn_offset + length;
  return h;
}

bool write_cid(Writer& w, const ConnectionId& c) {
  w.write_u8(static_cast<uint8_t>(c.size()));
  return w.write_bytes(c.span());
}

bool valid_pn_len(size_t pn_len) { return pn_len >= 1 && pn_len <= 4; }

}  // namespace

Result<ParsedHeader> parse_header(std::span<const uint8_t> datagram, size_t short_dcid_len) {
  Reader r(datagram);
  ParsedHeader h;
  if (!r.read_u8(h.first_byte)) return truncated("empty packet");
  if (h.first_byte & kHeaderForm) return parse_long(r, std::move(h));

  // Short header (§17.3): DCID of our own fixed length, then the protected packet number;
  // the packet takes the rest of the datagram.
  h.type = PacketType::kOneRtt;
  if (!(h.first_byte & kFixedBit)) return fail(Code::kProtocolViolation, "fixed bit is 0");
  if (short_dcid_len > ConnectionId::kMaxLen)
    return fail(Code::kProtocolViolation, "connection ID longer than 20 bytes");
  std::span<const uint8_t> dcid;
  if (!r.read_bytes(short_dcid_len, dcid)) return truncated("truncated short header");
  h.dcid = ConnectionId(dcid);
  h.pn_offset = r.position();
  h.packet_length = datagram.size();
  return h;
}

std::optional<ConnectionId> peek_dcid(std::span<const uint8_t> datagram, size_t short_dcid_len) {
  Reader r(datagram);
  uint8_t first;
  if (!r.read_u8(first)) return std::nullopt;
  std::span<const uint8_t> dcid;
  if (first & kHeaderForm) {
    uint8_t len;
    if (!r.skip(4) || !r.read_u8(len) || len > ConnectionId::kMaxLen || !r.read_bytes(len, dcid))
      return std::nullopt;
  } else if (short_dcid_len > ConnectionId::kMaxLen || !r.read_bytes(short_dcid_len, dcid)) {
    return std::nullopt;
  }
  return ConnectionId(dcid);
}

size_t packet_number_length(uint64_t pn, uint64_t largest_acked_or_none) {
  // Appendix A.2: the encoding must cover at least twice the unacknowledged range.
  uint64_t unacked = largest_acked_or_none == UINT64_MAX ? pn + 1
                     : pn > largest_acked_or_none        ? pn - largest_acked_or_none
                                                         : 1;
  for (size_t bytes = 1; bytes < 4; ++bytes)
    if (unacked <= (uint64_t{1} << (8 * bytes - 1))) return bytes;
  return 4;
}

uint64_t decode_packet_number(uint64_t largest_received, uint64_t truncated_pn, size_t pn_len) {
  // Appendix A.3, with the comparisons rearranged so nothing underflows.
  if (pn_len < 1 || pn_len > 4) return truncated_pn;
  uint64_t expected = largest_received == UINT64_MAX ? 0 : largest_received + 1;
  uint64_t win = uint64_t{1} << (8 * pn_len);
  uint64_t hwin = win / 2;
  uint64_t mask = win - 1;
  uint64_t candidate = (expected & ~mask) | (truncated_pn & mask);
  if (candidate + hwin <= expected && candidate < (uint64_t{1} << 62) - win)
    return candidate + win;
  if (candidate > expected + hwin && candidate >= win) return candidate - win;
  return candidate;
}

std::optional<LongHeaderLayout> write_long_header(Writer& w, PacketType type, uint32_t version,
                                                  const ConnectionId& dcid,
                                                  const ConnectionId& scid,
                                                  std::span<const uint8_t> token, uint64_t pn,
                                                  size_t pn_len) {
  uint8_t type_bits;
  switch (type) {
    case PacketType::kInitial: type_bits = 0; break;
    case PacketType::kZeroRtt: type_bits = 1; break;
    case PacketType::kHandshake: type_bits = 2; break;
    default: return std::nullopt;
  }
  if (!valid_pn_len(pn_len)) return std::nullopt;
  size_t start = w.size();
  // Reserved bits (0x0c) are 0 before header protection.
  w.write_u8(static_cast<uint8_t>(kHeaderForm | kFixedBit | (type_bits << 4) | (pn_len - 1)));
  w.write_u32(version);
  write_cid(w, dcid);
  write_cid(w, scid);
  if (type == PacketType::kInitial) {
    w.write_varint(token.size());
    w.write_bytes(token);
  }
  // Two bytes cover any packet that fits a UDP datagram we send (< 16384).
  LongHeaderLayout layout{w.size(), 0};
  w.write_varint(0, 2);
  layout.pn_offset = w.size();
  w.write_uint(pn, pn_len);
  if (!w.ok()) {
    w.truncate(start);
    return std::nullopt;
  }
  return layout;
}

bool patch_long_header_length(Writer& w, const LongHeaderLayout& l, size_t pn_len,
                              size_t payload_and_tag_len) {
  return w.patch_varint(l.length_offset, pn_len + payload_and_tag_len, 2);
}

std::optional<size_t> write_short_header(Writer& w, const ConnectionId& dcid, bool spin,
                                         bool key_phase, uint64_t pn, size_t pn_len) {
  if (!valid_pn_len(pn_len)) return std::nullopt;
  size_t start = w.size();
  w.write_u8(static_cast<uint8_t>(kFixedBit | (spin ? 0x20 : 0) | (key_phase ? 0x04 : 0) |
                                  (pn_len - 1)));
  w.write_bytes(dcid.span());
  size_t pn_offset = w.size();
  w.write_uint(pn, pn_len);
  if (!w.ok()) {
    w.truncate(start);
    return std::nullopt;
  }
  return pn_offset;
}

std::vector<uint8_t> build_version_negotiation(const ConnectionId& client_dcid,
                                               const ConnectionId& client_scid,
                                               std::span<const uint32_t> versions,
                                               uint8_t random_byte) {
  std::vector<uint8_t> out(1 + 4 + 2 + client_dcid.size() + client_scid.size() +
                           4 * versions.size());
  Writer w(out);
  // §17.2.1: servers SHOULD set 0x40 so QUIC stays demultiplexable from other protocols.
  w.write_u8(static_cast<uint8_t>(kHeaderForm | kFixedBit | (random_byte & 0x3f)));
  w.write_u32(0);
  write_cid(w, client_scid);
  write_cid(w, client_dcid);
  for (uint32_t v : versions) w.write_u32(v);
  return out;
}

std::vector<uint8_t> build_retry_without_tag(uint32_t version, const ConnectionId& dcid,
                                             const ConnectionId& scid,
                                             std::span<const uint8_t> token, uint8_t random_bits) {
  std::vector<uint8_t> out(1 + 4 + 2 + dcid.size() + scid.size() + token.size());
  Writer w(out);
  w.write_u8(static_cast<uint8_t>(kHeaderForm | kFixedBit | 0x30 | (random_bits & 0x0f)));
  w.write_u32(version);
  write_cid(w, dcid);
  write_cid(w, scid);
  w.write_bytes(token);
  return out;
}

}  // namespace braid::wire

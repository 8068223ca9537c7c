// Tests for packet header parsing and writing: the RFC 9001 Appendix A packets, every
// packet type, coalesced datagrams, malformed headers, and packet-number truncation/recovery.
#include "core/wire/packet_header.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace braid::wire {
namespace {

using Bytes = std::vector<uint8_t>;
using Code = TransportErrorCode;

Bytes from_hex(const std::string& h) {
  Bytes out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(uint8_t(std::stoul(h.substr(i, 2), nullptr, 16)));
  return out;
}

ConnectionId cid(const std::string& h) { return ConnectionId(from_hex(h)); }

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// RFC 9001 A.2: the client Initial's unprotected header (Length 0x049e, 4-byte PN 2).
const Bytes kClientInitialHeader = from_hex("c300000001088394c8f03e5157080000449e00000002");
// RFC 9001 A.3: the server Initial's unprotected header (Length 0x0075, 2-byte PN 1).
const Bytes kServerInitialHeader = from_hex("c1000000010008f067a5502a4262b50040750001");
// RFC 9001 A.4: a complete Retry packet.
const Bytes kRetry = from_hex("ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba");

TEST(ParseHeader, Rfc9001ClientInitial) {
  Bytes dgram = kClientInitialHeader;
  dgram.resize(1200, 0x77);
  auto h = parse_header(dgram, 8);
  ASSERT_TRUE(h) << h.error().reason;
  EXPECT_EQ(h->type, PacketType::kInitial);
  EXPECT_EQ(h->first_byte, 0xc3);
  EXPECT_EQ(h->version, kQuicVersion1);
  EXPECT_EQ(h->dcid, cid("8394c8f03e515708"));
  EXPECT_TRUE(h->scid.empty());
  EXPECT_TRUE(h->token.empty());
  EXPECT_EQ(h->pn_offset, 18u);
  EXPECT_EQ(h->packet_length, 18u + 0x049e);
  EXPECT_EQ(h->packet_length, 1200u);
}

TEST(ParseHeader, Rfc9001ServerInitial) {
  Bytes dgram = kServerInitialHeader;
  dgram.resize(kServerInitialHeader.size() - 2 + 0x75, 0);
  auto h = parse_header(dgram, 0);
  ASSERT_TRUE(h) << h.error().reason;
  EXPECT_EQ(h->type, PacketType::kInitial);
  EXPECT_TRUE(h->dcid.empty());
  EXPECT_EQ(h->scid, cid("f067a5502a4262b5"));
  EXPECT_EQ(h->pn_offset, 18u);
  EXPECT_EQ(h->packet_length, dgram.size());
}

TEST(ParseHeader, Rfc9001Retry) {
  auto h = parse_header(kRetry, 0);
  ASSERT_TRUE(h) << h.error().reason;
  EXPECT_EQ(h->type, PacketType::kRetry);
  EXPECT_EQ(h->scid, cid("f067a5502a4262b5"));
  EXPECT_EQ(std::string(h->token.begin(), h->token.end()), "token");
  EXPECT_EQ(Bytes(h->retry_integrity_tag.begin(), h->retry_integrity_tag.end()),
            from_hex("04a265ba2eff4d829058fb3f0f2496ba"));
  EXPECT_EQ(h->token.data(), kRetry.data() + 15);  // zero-copy
  EXPECT_EQ(h->packet_length, kRetry.size());
}

TEST(BuildRetry, MatchesRfc9001WithoutTag) {
  Bytes token = {'t', 'o', 'k', 'e', 'n'};
  Bytes built = build_retry_without_tag(kQuicVersion1, ConnectionId{}, cid("f067a5502a4262b5"),
                                        token, 0x0f);
  EXPECT_EQ(built, Bytes(kRetry.begin(), kRetry.end() - 16));
  // Only the low four bits of random_bits are used.
  Bytes built2 = build_retry_without_tag(kQuicVersion1, ConnectionId{}, cid("f067a5502a4262b5"),
                                         token, 0xf3);
  EXPECT_EQ(built2[0], 0xf3);
}

TEST(WriteLongHeader, ReproducesRfc9001ClientInitialHeader) {
  Bytes buf(64);
  Writer w(buf);
  auto layout = write_long_header(w, PacketType::kInitial, kQuicVersion1, cid("8394c8f03e515708"),
                                  ConnectionId{}, {}, 2, 4);
  ASSERT_TRUE(layout);
  EXPECT_EQ(layout->length_offset, 16u);
  EXPECT_EQ(layout->pn_offset, 18u);
  ASSERT_TRUE(patch_long_header_length(w, *layout, 4, 0x049e - 4));
  EXPECT_EQ(Bytes(w.written().begin(), w.written().end()), kClientInitialHeader);
}

TEST(WriteLongHeader, ReproducesRfc9001ServerInitialHeader) {
  Bytes buf(64);
  Writer w(buf);
  auto layout = write_long_header(w, PacketType::kInitial, kQuicVersion1, ConnectionId{},
                                  cid("f067a5502a4262b5"), {}, 1, 2);
  ASSERT_TRUE(layout);
  ASSERT_TRUE(patch_long_header_length(w, *layout, 2, 0x75 - 2));
  EXPECT_EQ(Bytes(w.written().begin(), w.written().end()), kServerInitialHeader);
}

struct LongCase {
  const char* name;
  PacketType type;
  Bytes token;
  size_t pn_len;
  uint8_t type_bits;
};

TEST(WriteLongHeader, RoundTripsEveryLongType) {
  const LongCase cases[] = {
      {"initial_token", PacketType::kInitial, Bytes(70, 0xab), 1, 0},
      {"zero_rtt", PacketType::kZeroRtt, {}, 3, 1},
      {"handshake", PacketType::kHandshake, {}, 2, 2},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Bytes buf(300);
    Writer w(buf);
    auto layout = write_long_header(w, c.type, kQuicVersion1, cid("0102030405"), cid("aabbcc"),
                                    c.token, 0x12345678, c.pn_len);
    ASSERT_TRUE(layout);
    EXPECT_EQ(layout->pn_offset, w.size() - c.pn_len);
    const size_t payload = 40;
    w.write_zeros(payload);
    ASSERT_TRUE(patch_long_header_length(w, *layout, c.pn_len, payload));
    Bytes dgram(w.written().begin(), w.written().end());
    dgram.resize(dgram.size() + 10, 0xee);  // trailing bytes belong to the next packet
    auto h = parse_header(dgram, 0);
    ASSERT_TRUE(h) << h.error().reason;
    EXPECT_EQ(h->type, c.type);
    EXPECT_EQ(h->first_byte, 0xc0 | (c.type_bits << 4) | (c.pn_len - 1));
    EXPECT_EQ(h->dcid, cid("0102030405"));
    EXPECT_EQ(h->scid, cid("aabbcc"));
    EXPECT_EQ(Bytes(h->token.begin(), h->token.end()), c.token);
    EXPECT_EQ(h->pn_offset, layout->pn_offset);
    EXPECT_EQ(h->packet_length, layout->pn_offset + c.pn_len + payload);
    // The packet number is written truncated to pn_len bytes.
    uint64_t pn = 0;
    for (size_t i = 0; i < c.pn_len; ++i) pn = (pn << 8) | dgram[h->pn_offset + i];
    EXPECT_EQ(pn, 0x12345678u & ((uint64_t{1} << (8 * c.pn_len)) - 1));
  }
}

TEST(WriteLongHeader, RefusesBadArguments) {
  Bytes buf(64);
  Writer w(buf);
  EXPECT_FALSE(write_long_header(w, PacketType::kRetry, 1, cid("01"), cid("02"), {}, 0, 1));
  EXPECT_FALSE(write_long_header(w, PacketType::kOneRtt, 1, cid("01"), cid("02"), {}, 0, 1));
  EXPECT_FALSE(write_long_header(w, PacketType::kHandshake, 1, cid("01"), cid("02"), {}, 0, 0));
  EXPECT_FALSE(write_long_header(w, PacketType::kHandshake, 1, cid("01"), cid("02"), {}, 0, 5));
  EXPECT_EQ(w.size(), 0u);
  Bytes small(10);
  Writer ws(small);
  EXPECT_FALSE(write_long_header(ws, PacketType::kHandshake, 1, cid("0102030405"), cid("02"), {}, 0, 4));
  EXPECT_EQ(ws.size(), 0u);
  EXPECT_FALSE(ws.ok());
}

TEST(WriteLongHeader, LengthPatchLimitedToTwoBytes) {
  Bytes buf(64);
  Writer w(buf);
  auto layout = write_long_header(w, PacketType::kHandshake, 1, cid("01"), cid("02"), {}, 0, 1);
  ASSERT_TRUE(layout);
  EXPECT_TRUE(patch_long_header_length(w, *layout, 1, 16382));
  EXPECT_FALSE(patch_long_header_length(w, *layout, 1, 16383));
}

TEST(ShortHeader, WriteAndParse) {
  for (bool spin : {false, true}) {
    for (bool key_phase : {false, true}) {
      Bytes buf(64);
      Writer w(buf);
      auto pn_offset = write_short_header(w, cid("0011223344556677"), spin, key_phase, 0xabcd, 2);
      ASSERT_TRUE(pn_offset);
      EXPECT_EQ(*pn_offset, 9u);
      w.write_zeros(20);
      Bytes dgram(w.written().begin(), w.written().end());
      EXPECT_EQ(dgram[0], 0x40 | (spin ? 0x20 : 0) | (key_phase ? 0x04 : 0) | 0x01);
      EXPECT_EQ(dgram[9], 0xab);
      EXPECT_EQ(dgram[10], 0xcd);
      auto h = parse_header(dgram, 8);
      ASSERT_TRUE(h) << h.error().reason;
      EXPECT_EQ(h->type, PacketType::kOneRtt);
      EXPECT_EQ(h->dcid, cid("0011223344556677"));
      EXPECT_EQ(h->pn_offset, 9u);
      EXPECT_EQ(h->packet_length, dgram.size());
    }
  }
}

TEST(ShortHeader, WriteRefusesBadArguments) {
  Bytes buf(64);
  Writer w(buf);
  EXPECT_FALSE(write_short_header(w, cid("01"), false, false, 0, 0));
  EXPECT_FALSE(write_short_header(w, cid("01"), false, false, 0, 5));
  Bytes small(4);
  Writer ws(small);
  EXPECT_FALSE(write_short_header(ws, cid("0102"), false, false, 0, 4));
  EXPECT_EQ(ws.size(), 0u);
}

TEST(ParseHeader, CoalescedDatagram) {
  Bytes buf(400);
  Writer w(buf);
  auto l1 = write_long_header(w, PacketType::kInitial, 1, cid("d1d2"), cid("5151"), {}, 0, 1);
  w.write_zeros(30);
  patch_long_header_length(w, *l1, 1, 30);
  size_t second = w.size();
  auto l2 = write_long_header(w, PacketType::kHandshake, 1, cid("d1d2"), cid("5151"), {}, 0, 2);
  w.write_zeros(50);
  patch_long_header_length(w, *l2, 2, 50);
  size_t third = w.size();
  write_short_header(w, cid("d1d2"), false, false, 7, 1);
  w.write_zeros(25);
  Bytes dgram(w.written().begin(), w.written().end());

  std::vector<PacketType> types;
  std::vector<size_t> starts;
  size_t pos = 0;
  while (pos < dgram.size()) {
    auto h = parse_header(std::span<const uint8_t>(dgram).subspan(pos), 2);
    ASSERT_TRUE(h) << h.error().reason;
    ASSERT_GT(h->packet_length, 0u);
    types.push_back(h->type);
    starts.push_back(pos);
    pos += h->packet_length;
  }
  EXPECT_EQ(pos, dgram.size());
  EXPECT_EQ(types, (std::vector<PacketType>{PacketType::kInitial, PacketType::kHandshake,
                                            PacketType::kOneRtt}));
  EXPECT_EQ(starts, (std::vector<size_t>{0, second, third}));
}

TEST(VersionNegotiation, BuildAndParse) {
  const uint32_t versions[] = {kQuicVersion1, 0x1a2a3a4a};
  Bytes vn = build_version_negotiation(cid("c0c1c2c3c4c5c6c7"), cid("5c5c"), versions, 0xff);
  EXPECT_EQ(vn[0] & 0xc0, 0xc0);  // long form, and 0x40 set for demultiplexing
  EXPECT_EQ(vn[0] & 0x3f, 0x3f);
  auto h = parse_header(vn, 0);
  ASSERT_TRUE(h) << h.error().reason;
  EXPECT_EQ(h->type, PacketType::kVersionNegotiation);
  EXPECT_EQ(h->version, 0u);
  // The server echoes the client's CIDs swapped.
  EXPECT_EQ(h->dcid, cid("5c5c"));
  EXPECT_EQ(h->scid, cid("c0c1c2c3c4c5c6c7"));
  EXPECT_EQ(h->supported_versions, (std::vector<uint32_t>{kQuicVersion1, 0x1a2a3a4a}));
  EXPECT_EQ(h->packet_length, vn.size());
  EXPECT_EQ(vn, from_hex("ff00000000025c5c08c0c1c2c3c4c5c6c7000000011a2a3a4a"));
}

TEST(VersionNegotiation, FixedBitZeroAccepted) {
  Bytes vn = from_hex("80000000000000" "00000001");
  auto h = parse_header(vn, 0);
  ASSERT_TRUE(h) << h.error().reason;
  EXPECT_EQ(h->type, PacketType::kVersionNegotiation);
  EXPECT_EQ(h->supported_versions, (std::vector<uint32_t>{1}));
}

TEST(VersionNegotiation, PartialVersionRejected) {
  Bytes vn = from_hex("c0000000000000" "000000");
  auto h = parse_header(vn, 0);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, uint64_t(Code::kFrameEncodingError));
}

TEST(ParseHeader, UnknownVersionReportsInvariantFields) {
  // Fixed bit clear and garbage after the CIDs: neither matters for an unknown version.
  Bytes dgram = from_hex("8a1a2a3a4a0311223302aabbffffffff");
  auto h = parse_header(dgram, 0);
  ASSERT_TRUE(h) << h.error().reason;
  EXPECT_EQ(h->version, 0x1a2a3a4au);
  EXPECT_EQ(h->dcid, cid("112233"));
  EXPECT_EQ(h->scid, cid("aabb"));
  EXPECT_EQ(h->packet_length, dgram.size());
}

struct BadHeaderCase {
  std::string name;
  Bytes bytes;
  size_t short_dcid_len;
  Code code;
};

class ParseHeaderMalformed : public ::testing::TestWithParam<BadHeaderCase> {};

TEST_P(ParseHeaderMalformed, Rejected) {
  auto h = parse_header(GetParam().bytes, GetParam().short_dcid_len);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, uint64_t(GetParam().code)) << h.error().reason;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseHeaderMalformed,
    ::testing::Values(
        BadHeaderCase{"empty", {}, 8, Code::kFrameEncodingError},
        BadHeaderCase{"long_fixed_bit_zero", from_hex("8300000001010101000000"), 0,
                      Code::kProtocolViolation},
        BadHeaderCase{"short_fixed_bit_zero", from_hex("000102030405060708ffff"), 8,
                      Code::kProtocolViolation},
        BadHeaderCase{"dcid_len_21", cat(from_hex("c00000000115"), Bytes(21, 1)), 0,
                      Code::kProtocolViolation},
        BadHeaderCase{"scid_len_21", cat(cat(from_hex("c0000000010015"), Bytes(21, 1)), Bytes(3, 0)),
                      0, Code::kProtocolViolation},
        BadHeaderCase{"unknown_version_cid_over_20", cat(from_hex("c01a2a3a4a15"), Bytes(25, 1)), 0,
                      Code::kProtocolViolation},
        BadHeaderCase{"length_beyond_datagram", from_hex("e00000000101aa01bb" "4010" "00"), 0,
                      Code::kFrameEncodingError},
        BadHeaderCase{"initial_token_beyond_datagram", from_hex("c00000000101aa01bb" "05" "0102"), 0,
                      Code::kFrameEncodingError},
        BadHeaderCase{"retry_shorter_than_tag", cat(from_hex("f00000000101aa01bb"), Bytes(15, 0)), 0,
                      Code::kFrameEncodingError},
        BadHeaderCase{"short_header_shorter_than_dcid", from_hex("4001020304"), 8,
                      Code::kFrameEncodingError},
        BadHeaderCase{"truncated_version", from_hex("c00000"), 0, Code::kFrameEncodingError}),
    [](const auto& info) { return info.param.name; });

TEST(ParseHeader, EveryTruncationOfInitialHeaderRejected) {
  // Header up to and including the Length field; any shorter prefix cannot be parsed.
  Bytes header(kClientInitialHeader.begin(), kClientInitialHeader.end() - 4);
  for (size_t n = 0; n < header.size(); ++n) {
    SCOPED_TRACE(n);
    auto h = parse_header(std::span<const uint8_t>(header.data(), n), 0);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().code, uint64_t(Code::kFrameEncodingError));
  }
}

TEST(PeekDcid, LongAndShortHeaders) {
  Bytes dgram = kClientInitialHeader;
  EXPECT_EQ(peek_dcid(dgram, 0), cid("8394c8f03e515708"));
  EXPECT_EQ(peek_dcid(from_hex("41a1a2a3a4ffff"), 4), cid("a1a2a3a4"));
  EXPECT_EQ(peek_dcid(from_hex("41a1a2"), 4), std::nullopt);
  EXPECT_EQ(peek_dcid({}, 4), std::nullopt);
  EXPECT_EQ(peek_dcid(from_hex("c000000001"), 0), std::nullopt);
  EXPECT_EQ(peek_dcid(from_hex("c00000000104a1a2a3"), 0), std::nullopt);
  EXPECT_EQ(peek_dcid(cat(from_hex("c00000000115"), Bytes(21, 1)), 0), std::nullopt);
  // Zero-length short-header CIDs are legal.
  EXPECT_EQ(peek_dcid(from_hex("41"), 0), ConnectionId{});
}

TEST(PacketNumber, LengthRfc9000AppendixA2) {
  // "if an endpoint has received an acknowledgment for packet 0xabe8b3 and is sending a
  // packet with a number of 0xac5c02 ... 16 bits are required"; 0xace8fe needs 24 bits.
  EXPECT_EQ(packet_number_length(0xac5c02, 0xabe8b3), 2u);
  EXPECT_EQ(packet_number_length(0xace8fe, 0xabe8b3), 3u);
  EXPECT_EQ(packet_number_length(0, UINT64_MAX), 1u);
  EXPECT_EQ(packet_number_length(127, UINT64_MAX), 1u);   // 128 unacked: 8 bits cover 2x
  EXPECT_EQ(packet_number_length(128, UINT64_MAX), 2u);
  EXPECT_EQ(packet_number_length(100 + 128, 100), 1u);
  EXPECT_EQ(packet_number_length(100 + 129, 100), 2u);
  EXPECT_EQ(packet_number_length(100 + 32768, 100), 2u);
  EXPECT_EQ(packet_number_length(100 + 32769, 100), 3u);
  EXPECT_EQ(packet_number_length(uint64_t{1} << 40, 0), 4u);  // capped at 4 bytes
}

TEST(PacketNumber, DecodeRfc9000AppendixA3) {
  EXPECT_EQ(decode_packet_number(0xa82f30ea, 0x9b32, 2), 0xa82f9b32u);
}

TEST(PacketNumber, DecodeWindowEdges) {
  struct Case { uint64_t largest; uint64_t truncated; size_t len; uint64_t expected; };
  const Case cases[] = {
      {UINT64_MAX, 0, 1, 0},           // nothing received yet
      {UINT64_MAX, 0x7f, 1, 0x7f},
      {0xff, 0x00, 1, 0x100},          // wraps forward
      {0x100, 0xff, 1, 0xff},          // slightly behind
      {0x17f, 0x00, 1, 0x200},         // expected 0x180: 0x200 is within +hwin
      {0x17e, 0x00, 1, 0x100},         // expected 0x17f: 0x100 is within -hwin
      {0x10, 0xf0, 1, 0xf0},           // cannot go below zero
      {(uint64_t{1} << 62) - 2, 0x00, 1, (uint64_t{1} << 62) - 256},  // cannot exceed 2^62
      {0xabcdef, 0xabcdf0, 4, 0xabcdf0},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(decode_packet_number(c.largest, c.truncated, c.len), c.expected)
        << std::hex << c.largest << " " << c.truncated;
  }
}

TEST(PacketNumber, TruncateThenRecoverAcrossReceiverStates) {
  // With pn_len chosen from the peer's largest ack L, a receiver whose largest is anywhere in
  // [L, pn) recovers the full number.
  uint64_t seed = 12345;
  auto next = [&]() { return seed = seed * 6364136223846793005ull + 1442695040888963407ull; };
  for (int i = 0; i < 2000; ++i) {
    uint64_t acked = next() % (uint64_t{1} << 40);
    uint64_t pn = acked + 1 + next() % (uint64_t{1} << (next() % 30));
    size_t len = packet_number_length(pn, acked);
    uint64_t truncated = pn & ((uint64_t{1} << (8 * len)) - 1);
    uint64_t receiver_largest = acked + next() % (pn - acked);
    ASSERT_EQ(decode_packet_number(receiver_largest, truncated, len), pn)
        << "acked=" << acked << " pn=" << pn << " len=" << len << " rx=" << receiver_largest;
  }
}

}  // namespace
}  // namespace braid::wire

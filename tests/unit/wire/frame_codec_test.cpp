// Tests for frame encoding and decoding: round trips of every frame type, spec byte layouts,
// malformed input with the exact error code, and truncation at every byte.
#include "core/wire/frame_codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "frame_test_util.h"

namespace braid::wire {
namespace {

using test::describe;
using Bytes = std::vector<uint8_t>;
using Code = TransportErrorCode;

const Bytes kData = {0xde, 0xad, 0xbe, 0xef, 0x01};
const Bytes kToken = {0x11, 0x22, 0x33};
const Bytes kReason = {'b', 'y', 'e'};
const StatelessResetToken kResetToken = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

ConnectionId cid_of(std::initializer_list<uint8_t> b) { return ConnectionId(Bytes(b)); }

Bytes encode(const Frame& f) {
  Bytes buf(4096);
  Writer w(buf);
  EXPECT_TRUE(encode_frame(w, f)) << describe(f);
  buf.resize(w.size());
  return buf;
}

struct RoundTripCase {
  std::string name;
  Frame frame;
};

std::vector<RoundTripCase> round_trip_cases() {
  const ConnectionId cid8 = cid_of({1, 2, 3, 4, 5, 6, 7, 8});
  ConnectionId cid20;
  cid20.resize(20);
  for (size_t i = 0; i < 20; ++i) cid20.data()[i] = uint8_t(0xa0 + i);
  return {
      {"padding_1", PaddingFrame{1}},
      {"padding_run", PaddingFrame{37}},
      {"ping", PingFrame{}},
      {"ack_single", AckFrame{std::nullopt, 10, {{0, 0}}, std::nullopt}},
      {"ack_multi", AckFrame{std::nullopt, 1000, {{90, 100}, {50, 80}, {2, 2}, {0, 0}}, std::nullopt}},
      {"ack_ecn", AckFrame{std::nullopt, 0, {{5, 9}}, EcnCounts{1, 2, 3}}},
      {"ack_max_pn", AckFrame{std::nullopt, kVarintMax, {{kVarintMax - 5, kVarintMax}}, std::nullopt}},
      {"path_ack", AckFrame{PathId{7}, 3, {{20, 30}, {10, 15}}, std::nullopt}},
      {"path_ack_ecn", AckFrame{PathId{0xffffffff}, 3, {{20, 30}}, EcnCounts{0, 0, kVarintMax}}},
      {"reset_stream", ResetStreamFrame{4, 0x1234, kVarintMax}},
      {"stop_sending", StopSendingFrame{kVarintMax, 77}},
      {"crypto", CryptoFrame{1000, kData}},
      {"crypto_empty", CryptoFrame{0, {}}},
      {"new_token", NewTokenFrame{kToken}},
      {"stream_off0", StreamFrame{0, 0, kData, false}},
      {"stream_off_fin", StreamFrame{kVarintMax, 123456, kData, true}},
      {"stream_empty_fin", StreamFrame{3, 99, {}, true}},
      {"stream_at_limit", StreamFrame{1, kVarintMax - kData.size(), kData, false}},
      {"max_data", MaxDataFrame{kVarintMax}},
      {"max_stream_data", MaxStreamDataFrame{8, 65536}},
      {"max_streams_bidi", MaxStreamsFrame{true, uint64_t{1} << 60}},
      {"max_streams_uni", MaxStreamsFrame{false, 0}},
      {"data_blocked", DataBlockedFrame{16384}},
      {"stream_data_blocked", StreamDataBlockedFrame{2, 63}},
      {"streams_blocked_bidi", StreamsBlockedFrame{true, 64}},
      {"streams_blocked_uni", StreamsBlockedFrame{false, uint64_t{1} << 60}},
      {"new_connection_id", NewConnectionIdFrame{std::nullopt, 5, 3, cid8, kResetToken}},
      {"new_connection_id_20", NewConnectionIdFrame{std::nullopt, 7, 7, cid20, kResetToken}},
      {"retire_connection_id", RetireConnectionIdFrame{std::nullopt, 1u << 30}},
      {"path_challenge", PathChallengeFrame{{1, 2, 3, 4, 5, 6, 7, 8}}},
      {"path_response", PathResponseFrame{{8, 7, 6, 5, 4, 3, 2, 1}}},
      {"close_transport", ConnectionCloseFrame{false, 0x0a, 0x08, kReason}},
      {"close_application", ConnectionCloseFrame{true, 0x1234, 0, {}}},
      {"handshake_done", HandshakeDoneFrame{}},
      {"datagram_len", DatagramFrame{kData, true}},
      {"datagram_empty_len", DatagramFrame{{}, true}},
      {"datagram_to_end", DatagramFrame{kData, false}},
      {"path_abandon", PathAbandonFrame{3, uint64_t(PathErrorCode::kPathUnstableOrPoor)}},
      {"path_status_backup", PathStatusFrame{1, 17, false}},
      {"path_status_available", PathStatusFrame{0xffffffff, kVarintMax, true}},
      {"path_new_connection_id", NewConnectionIdFrame{PathId{2}, 0, 0, cid8, kResetToken}},
      {"path_retire_connection_id", RetireConnectionIdFrame{PathId{2}, 9}},
      {"max_path_id", MaxPathIdFrame{0xffffffff}},
      {"paths_blocked", PathsBlockedFrame{4}},
      {"path_cids_blocked", PathCidsBlockedFrame{6, 12}},
      {"advertise_address_v4", AdvertiseAddressFrame{0, *SocketAddress::parse("192.0.2.7:4433")}},
      {"advertise_address_v6", AdvertiseAddressFrame{15, *SocketAddress::parse("[2001:db8::1]:443")}},
  };
}

class FrameRoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(FrameRoundTrip, EncodeThenDecodeIsIdentity) {
  const Frame& f = GetParam().frame;
  Bytes bytes = encode(f);
  EXPECT_EQ(encoded_size(f), bytes.size());
  Reader r(bytes);
  uint64_t type = 0;
  auto decoded = decode_frame(r, &type);
  ASSERT_TRUE(decoded) << decoded.error().reason;
  EXPECT_EQ(describe(*decoded), describe(f));
  EXPECT_EQ(decoded->index(), f.index());
  EXPECT_TRUE(r.empty()) << "left " << r.remaining() << " bytes";
  EXPECT_EQ(type, frame_type_of(f));
  EXPECT_EQ(frame_type_of(*decoded), frame_type_of(f));
}

// Every strict prefix of a self-delimiting frame is a truncated frame.
TEST_P(FrameRoundTrip, EveryTruncationIsFrameEncodingError) {
  const Frame& f = GetParam().frame;
  if (std::holds_alternative<PaddingFrame>(f)) GTEST_SKIP() << "a shorter run is still padding";
  if (auto* d = std::get_if<DatagramFrame>(&f); d && !d->has_length)
    GTEST_SKIP() << "extends to the end of the packet";
  Bytes bytes = encode(f);
  for (size_t n = 0; n < bytes.size(); ++n) {
    SCOPED_TRACE(n);
    Reader r(std::span<const uint8_t>(bytes.data(), n));
    auto decoded = decode_frame(r);
    ASSERT_FALSE(decoded) << describe(*decoded);
    EXPECT_EQ(decoded.error().code, uint64_t(Code::kFrameEncodingError));
    if (n >= varint_size(frame_type_of(f))) {
      EXPECT_EQ(decoded.error().frame_type, frame_type_of(f));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllFrames, FrameRoundTrip, ::testing::ValuesIn(round_trip_cases()),
                         [](const auto& info) { return info.param.name; });

// Byte layouts written out from the specs, so the encoder cannot be merely self-consistent.
struct LayoutCase {
  std::string name;
  Frame frame;
  Bytes bytes;
};

// Frames hold views: their payloads must outlive the parameter table.
const Bytes kOneByte = {0xaa};
const Bytes kX = {'x'};
const Bytes kOneTwo = {1, 2};

class FrameLayout : public ::testing::TestWithParam<LayoutCase> {};

TEST_P(FrameLayout, EncodesToSpecBytes) {
  EXPECT_EQ(encode(GetParam().frame), GetParam().bytes);
  Reader r(GetParam().bytes);
  auto decoded = decode_frame(r);
  ASSERT_TRUE(decoded) << decoded.error().reason;
  EXPECT_EQ(describe(*decoded), describe(GetParam().frame));
}

INSTANTIATE_TEST_SUITE_P(
    Spec, FrameLayout,
    ::testing::Values(
        // ACK: largest 10, delay 2, 1 extra range, first range 1 ([9,10]), gap 0 -> next
        // largest 7, length 2 -> [5,7].
        LayoutCase{"ack", AckFrame{std::nullopt, 2, {{9, 10}, {5, 7}}, std::nullopt},
                   {0x02, 0x0a, 0x02, 0x01, 0x01, 0x00, 0x02}},
        LayoutCase{"ack_ecn", AckFrame{std::nullopt, 0, {{3, 3}}, EcnCounts{1, 2, 64}},
                   {0x03, 0x03, 0x00, 0x00, 0x00, 0x01, 0x02, 0x40, 0x40}},
        // PATH_ACK: the Path Identifier comes right after the type.
        LayoutCase{"path_ack", AckFrame{PathId{1}, 2, {{9, 10}, {5, 7}}, std::nullopt},
                   {0x3e, 0x01, 0x0a, 0x02, 0x01, 0x01, 0x00, 0x02}},
        LayoutCase{"path_ack_ecn", AckFrame{PathId{64}, 0, {{0, 0}}, EcnCounts{0, 1, 0}},
                   {0x3f, 0x40, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00}},
        LayoutCase{"stream_with_len", StreamFrame{4, 0, kOneByte, true},
                   {0x0b, 0x04, 0x01, 0xaa}},
        LayoutCase{"stream_with_off", StreamFrame{4, 64, kOneByte, false},
                   {0x0e, 0x04, 0x40, 0x40, 0x01, 0xaa}},
        LayoutCase{"path_abandon", PathAbandonFrame{2, 0x3e},
                   {0x7e, 0x75, 0x02, 0x3e}},
        LayoutCase{"path_status_backup", PathStatusFrame{1, 5, false},
                   {0x7e, 0x76, 0x01, 0x05}},
        LayoutCase{"path_status_available", PathStatusFrame{1, 6, true},
                   {0x7e, 0x77, 0x01, 0x06}},
        LayoutCase{"path_new_connection_id",
                   NewConnectionIdFrame{PathId{3}, 2, 1, cid_of({0xc1, 0xc2}), kResetToken},
                   {0x7e, 0x78, 0x03, 0x02, 0x01, 0x02, 0xc1, 0xc2, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                    10, 11, 12, 13, 14, 15, 16}},
        LayoutCase{"path_retire_connection_id", RetireConnectionIdFrame{PathId{3}, 4},
                   {0x7e, 0x79, 0x03, 0x04}},
        LayoutCase{"max_path_id", MaxPathIdFrame{8}, {0x7e, 0x7a, 0x08}},
        LayoutCase{"paths_blocked", PathsBlockedFrame{8}, {0x7e, 0x7b, 0x08}},
        LayoutCase{"path_cids_blocked", PathCidsBlockedFrame{1, 3}, {0x7e, 0x7c, 0x01, 0x03}},
        // braid address advertisement: type 0x2b9d0f61 (4-byte varint), sequence, IP
        // version, address, port.
        LayoutCase{"advertise_address", AdvertiseAddressFrame{2, SocketAddress::v4(10, 0, 0, 9, 0x1151)},
                   {0xab, 0x9d, 0x0f, 0x61, 0x02, 0x04, 10, 0, 0, 9, 0x11, 0x51}},
        LayoutCase{"close_transport", ConnectionCloseFrame{false, 0x07, 0x06, kX},
                   {0x1c, 0x07, 0x06, 0x01, 'x'}},
        LayoutCase{"close_application", ConnectionCloseFrame{true, 0x07, 0, kX},
                   {0x1d, 0x07, 0x01, 'x'}},
        LayoutCase{"datagram_to_end", DatagramFrame{kOneTwo, false}, {0x30, 0x01, 0x02}},
        LayoutCase{"datagram_len", DatagramFrame{kOneTwo, true}, {0x31, 0x02, 0x01, 0x02}}),
    [](const auto& info) { return info.param.name; });

// Malformed input and the error RFC 9000 / the multipath draft prescribe for it.
struct MalformedCase {
  std::string name;
  Bytes bytes;
  Code code;
  uint64_t frame_type;
};

class FrameMalformed : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(FrameMalformed, RejectedWithExactCode) {
  const auto& c = GetParam();
  Reader r(c.bytes);
  uint64_t type = 0;
  auto decoded = decode_frame(r, &type);
  ASSERT_FALSE(decoded) << describe(*decoded);
  EXPECT_EQ(decoded.error().code, uint64_t(c.code)) << decoded.error().reason;
  EXPECT_EQ(decoded.error().frame_type, c.frame_type);
  if (!c.bytes.empty()) {
    EXPECT_EQ(type, c.frame_type);
  }
}

const Bytes kMax8 = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};  // 2^62-1
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
const Bytes k16(16, 0x55);
// 2^60 + 1 as an 8-byte varint.
const Bytes kTwoPow60Plus1 = {0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
// 2^32 as an 8-byte varint.
const Bytes kTwoPow32 = {0xc0, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00};

INSTANTIATE_TEST_SUITE_P(
    Cases, FrameMalformed,
    ::testing::Values(
        MalformedCase{"empty_input", {}, Code::kFrameEncodingError, 0},
        MalformedCase{"unknown_type_20", {0x20}, Code::kFrameEncodingError, 0x20},
        MalformedCase{"immediate_ack_two_bytes", {0x40, 0x1f}, Code::kProtocolViolation, 0x1f},
        MalformedCase{"ack_frequency_cut", {0x40, 0xaf, 0x01, 0x02}, Code::kFrameEncodingError, 0xaf},
        MalformedCase{"unknown_type_21", {0x21, 0x00}, Code::kFrameEncodingError, 0x21},
        MalformedCase{"unknown_type_3e74", {0x7e, 0x74, 0x00}, Code::kFrameEncodingError, 0x3e74},
        MalformedCase{"unknown_type_3e7d", {0x7e, 0x7d, 0x00}, Code::kFrameEncodingError, 0x3e7d},
        MalformedCase{"advertise_address_ip_version_5", {0xab, 0x9d, 0x0f, 0x61, 0x00, 0x05, 1, 2, 3, 4, 0, 1},
                      Code::kFrameEncodingError, 0x2b9d0f61},
        MalformedCase{"advertise_address_v6_cut", {0xab, 0x9d, 0x0f, 0x61, 0x00, 0x06, 1, 2, 3, 4, 0, 1},
                      Code::kFrameEncodingError, 0x2b9d0f61},
        MalformedCase{"ping_two_bytes", {0x40, 0x01}, Code::kProtocolViolation, 0x01},
        MalformedCase{"padding_two_bytes", {0x40, 0x00}, Code::kProtocolViolation, 0x00},
        MalformedCase{"path_abandon_four_bytes", {0x80, 0x00, 0x3e, 0x75, 0x01, 0x00},
                      Code::kProtocolViolation, 0x3e75},
        // ACK
        MalformedCase{"ack_first_range_below_zero", {0x02, 0x05, 0x00, 0x00, 0x06},
                      Code::kFrameEncodingError, 0x02},
        MalformedCase{"ack_gap_below_zero", {0x02, 0x0a, 0x00, 0x01, 0x01, 0x08, 0x00},
                      Code::kFrameEncodingError, 0x02},
        MalformedCase{"ack_range_below_zero", {0x02, 0x0a, 0x00, 0x01, 0x01, 0x07, 0x01},
                      Code::kFrameEncodingError, 0x02},
        MalformedCase{"ack_huge_range_count", {0x02, 0x0a, 0x00, 0xbf, 0xff, 0xff, 0xff, 0x00},
                      Code::kFrameEncodingError, 0x02},
        MalformedCase{"ack_ecn_missing_counts", {0x03, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x01},
                      Code::kFrameEncodingError, 0x03},
        MalformedCase{"path_ack_first_range_below_zero", {0x3e, 0x01, 0x05, 0x00, 0x00, 0x06},
                      Code::kFrameEncodingError, 0x3e},
        MalformedCase{"path_ack_gap_below_zero",
                      {0x3f, 0x01, 0x0a, 0x00, 0x01, 0x01, 0x08, 0x00, 0, 0, 0},
                      Code::kFrameEncodingError, 0x3f},
        MalformedCase{"path_ack_path_id_too_big", cat({{0x3e}, kTwoPow32, {0x00, 0x00, 0x00, 0x00}}),
                      Code::kProtocolViolation, 0x3e},
        // STREAM / CRYPTO limits
        MalformedCase{"stream_offset_plus_len_over_max", cat({{0x0e, 0x00}, kMax8, {0x01, 0xaa}}),
                      Code::kFrameEncodingError, 0x0e},
        MalformedCase{"stream_no_len_over_max", cat({{0x0c, 0x00}, kMax8, {0xaa}}),
                      Code::kFrameEncodingError, 0x0c},
        MalformedCase{"stream_len_beyond_packet", {0x0a, 0x00, 0x05, 0xaa},
                      Code::kFrameEncodingError, 0x0a},
        MalformedCase{"crypto_offset_plus_len_over_max", cat({{0x06}, kMax8, {0x01, 0xaa}}),
                      Code::kFrameEncodingError, 0x06},
        MalformedCase{"new_token_empty", {0x07, 0x00}, Code::kFrameEncodingError, 0x07},
        // stream counts
        MalformedCase{"max_streams_bidi_over_2p60", cat({{0x12}, kTwoPow60Plus1}),
                      Code::kFrameEncodingError, 0x12},
        MalformedCase{"max_streams_uni_over_2p60", cat({{0x13}, kTwoPow60Plus1}),
                      Code::kFrameEncodingError, 0x13},
        MalformedCase{"streams_blocked_bidi_over_2p60", cat({{0x16}, kTwoPow60Plus1}),
                      Code::kFrameEncodingError, 0x16},
        MalformedCase{"streams_blocked_uni_over_2p60", cat({{0x17}, kTwoPow60Plus1}),
                      Code::kFrameEncodingError, 0x17},
        // NEW_CONNECTION_ID
        MalformedCase{"ncid_len_0", cat({{0x18, 0x01, 0x00, 0x00}, k16}), Code::kFrameEncodingError,
                      0x18},
        MalformedCase{"ncid_len_21", cat({{0x18, 0x01, 0x00, 21}, Bytes(21, 1), k16}),
                      Code::kFrameEncodingError, 0x18},
        MalformedCase{"ncid_retire_prior_to_above_seq", cat({{0x18, 0x01, 0x02, 0x01, 0xaa}, k16}),
                      Code::kFrameEncodingError, 0x18},
        MalformedCase{"path_ncid_len_0", cat({{0x7e, 0x78, 0x01, 0x01, 0x00, 0x00}, k16}),
                      Code::kFrameEncodingError, 0x3e78},
        MalformedCase{"path_ncid_len_21", cat({{0x7e, 0x78, 0x01, 0x01, 0x00, 21}, Bytes(21, 1), k16}),
                      Code::kFrameEncodingError, 0x3e78},
        MalformedCase{"path_ncid_retire_prior_to_above_seq",
                      cat({{0x7e, 0x78, 0x01, 0x01, 0x02, 0x01, 0xaa}, k16}),
                      Code::kFrameEncodingError, 0x3e78},
        MalformedCase{"path_ncid_path_id_too_big",
                      cat({{0x7e, 0x78}, kTwoPow32, {0x01, 0x00, 0x01, 0xaa}, k16}),
                      Code::kProtocolViolation, 0x3e78},
        // lengths that run past the packet
        MalformedCase{"close_reason_beyond_packet", {0x1c, 0x00, 0x00, 0x05, 'a'},
                      Code::kFrameEncodingError, 0x1c},
        MalformedCase{"datagram_len_beyond_packet", {0x31, 0x03, 0x01}, Code::kFrameEncodingError,
                      0x31},
        MalformedCase{"crypto_len_beyond_packet", {0x06, 0x00, 0x02, 0x01}, Code::kFrameEncodingError,
                      0x06},
        MalformedCase{"new_token_beyond_packet", {0x07, 0x04, 0x01}, Code::kFrameEncodingError, 0x07},
        // multipath path identifiers are 32-bit
        MalformedCase{"path_abandon_path_id_too_big", cat({{0x7e, 0x75}, kTwoPow32, {0x00}}),
                      Code::kProtocolViolation, 0x3e75},
        MalformedCase{"path_status_path_id_too_big", cat({{0x7e, 0x77}, kTwoPow32, {0x00}}),
                      Code::kProtocolViolation, 0x3e77},
        MalformedCase{"path_retire_path_id_too_big", cat({{0x7e, 0x79}, kTwoPow32, {0x00}}),
                      Code::kProtocolViolation, 0x3e79},
        MalformedCase{"max_path_id_too_big", cat({{0x7e, 0x7a}, kTwoPow32}),
                      Code::kProtocolViolation, 0x3e7a},
        MalformedCase{"paths_blocked_too_big", cat({{0x7e, 0x7b}, kTwoPow32}),
                      Code::kProtocolViolation, 0x3e7b},
        MalformedCase{"path_cids_blocked_path_id_too_big", cat({{0x7e, 0x7c}, kTwoPow32, {0x00}}),
                      Code::kProtocolViolation, 0x3e7c}),
    [](const auto& info) { return info.param.name; });

TEST(FrameDecode, AckBoundaryValuesAccepted) {
  // Gap that lands exactly on packet number 0, then a zero-length range there.
  Bytes bytes = {0x02, 0x0a, 0x00, 0x01, 0x01, 0x07, 0x00};
  Reader r(bytes);
  auto f = decode_frame(r);
  ASSERT_TRUE(f) << f.error().reason;
  auto& ack = std::get<AckFrame>(*f);
  ASSERT_EQ(ack.ranges.size(), 2u);
  EXPECT_EQ(ack.ranges[1], (AckRange{0, 0}));
  EXPECT_EQ(ack.largest(), 10u);
}

TEST(FrameDecode, StreamEndingExactlyAtLimitAccepted) {
  Bytes bytes = cat({{0x0e, 0x00}, kMax8, {0x00}});
  Reader r(bytes);
  auto f = decode_frame(r);
  ASSERT_TRUE(f) << f.error().reason;
  EXPECT_EQ(std::get<StreamFrame>(*f).offset, kVarintMax);
}

TEST(FrameDecode, StreamWithoutLengthTakesRestAndIsZeroCopy) {
  Bytes bytes = {0x08, 0x04, 'h', 'e', 'l', 'l', 'o'};
  Reader r(bytes);
  auto f = decode_frame(r);
  ASSERT_TRUE(f);
  const auto& s = std::get<StreamFrame>(*f);
  EXPECT_EQ(s.stream_id, 4u);
  EXPECT_EQ(s.offset, 0u);
  EXPECT_FALSE(s.fin);
  EXPECT_EQ(s.data.size(), 5u);
  EXPECT_EQ(s.data.data(), bytes.data() + 2);
  EXPECT_TRUE(r.empty());
}

TEST(FrameDecode, PaddingRunIsOneFrameAndStopsAtNonZero) {
  Bytes bytes = {0x00, 0x00, 0x00, 0x01, 0x00};
  Reader r(bytes);
  auto a = decode_frame(r);
  ASSERT_TRUE(a);
  EXPECT_EQ(std::get<PaddingFrame>(*a).length, 3u);
  auto b = decode_frame(r);
  ASSERT_TRUE(b);
  EXPECT_TRUE(std::holds_alternative<PingFrame>(*b));
  auto c = decode_frame(r);
  ASSERT_TRUE(c);
  EXPECT_EQ(std::get<PaddingFrame>(*c).length, 1u);
  EXPECT_TRUE(r.empty());
}

TEST(FrameDecode, MaxStreamsAtLimitAccepted) {
  Bytes bytes = {0x12, 0xd0, 0, 0, 0, 0, 0, 0, 0};  // exactly 2^60
  Reader r(bytes);
  auto f = decode_frame(r);
  ASSERT_TRUE(f);
  EXPECT_EQ(std::get<MaxStreamsFrame>(*f).maximum, uint64_t{1} << 60);
}

TEST(FrameDecode, SequenceOfFramesInOnePacket) {
  Bytes buf(256);
  Writer w(buf);
  ASSERT_TRUE(encode_frame(w, PingFrame{}));
  ASSERT_TRUE(encode_frame(w, StreamFrame{0, 0, kData, true}));
  ASSERT_TRUE(encode_frame(w, MaxPathIdFrame{3}));
  ASSERT_TRUE(encode_frame(w, DatagramFrame{kToken, false}));
  Reader r(w.written());
  std::vector<uint64_t> types;
  while (!r.empty()) {
    auto f = decode_frame(r);
    ASSERT_TRUE(f) << f.error().reason;
    types.push_back(frame_type_of(*f));
  }
  EXPECT_EQ(types, (std::vector<uint64_t>{0x01, 0x0b, 0x3e7a, 0x30}));
}

// Encoding failures: no room, or a frame the wire format cannot express.
TEST(FrameEncode, NoRoomAppendsNothingAndFailsWriter) {
  Bytes buf(4);
  Writer w(buf);
  ASSERT_TRUE(encode_frame(w, PingFrame{}));
  EXPECT_FALSE(encode_frame(w, StreamFrame{0, 0, kData, false}));
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.size(), 1u);
}

TEST(FrameEncode, UnencodableFramesRefused) {
  const std::pair<const char*, Frame> cases[] = {
      {"ack_no_ranges", AckFrame{}},
      {"ack_adjacent_ranges", AckFrame{std::nullopt, 0, {{5, 9}, {2, 4}}, std::nullopt}},
      {"ack_ascending", AckFrame{std::nullopt, 0, {{1, 1}, {5, 9}}, std::nullopt}},
      {"ack_inverted_range", AckFrame{std::nullopt, 0, {{9, 5}}, std::nullopt}},
      {"ncid_empty_cid", NewConnectionIdFrame{std::nullopt, 1, 0, ConnectionId{}, kResetToken}},
      {"ncid_rpt_above_seq", NewConnectionIdFrame{std::nullopt, 1, 2, cid_of({1}), kResetToken}},
      {"new_token_empty", NewTokenFrame{}},
      {"stream_beyond_limit", StreamFrame{0, kVarintMax, kData, false}},
      {"crypto_beyond_limit", CryptoFrame{kVarintMax, kData}},
      {"max_streams_over", MaxStreamsFrame{true, (uint64_t{1} << 60) + 1}},
      {"streams_blocked_over", StreamsBlockedFrame{false, (uint64_t{1} << 60) + 1}},
      {"value_over_varint", MaxDataFrame{kVarintMax + 1}},
      {"padding_zero", PaddingFrame{0}},
  };
  for (const auto& [name, f] : cases) {
    SCOPED_TRACE(name);
    Bytes buf(256);
    Writer w(buf);
    EXPECT_FALSE(encode_frame(w, f));
    EXPECT_FALSE(w.ok());
    EXPECT_EQ(w.size(), 0u);
    EXPECT_EQ(encoded_size(f), 0u);
  }
}

AckFrame many_ranges(size_t n) {
  AckFrame ack;
  ack.ack_delay = 100;
  uint64_t pn = 100000;
  for (size_t i = 0; i < n; ++i) {
    ack.ranges.push_back({pn - 3, pn});
    pn -= 10;
  }
  return ack;
}

TEST(AckBudget, WritesAllWhenRoom) {
  AckFrame ack = many_ranges(10);
  Bytes buf(512);
  Writer w(buf);
  ASSERT_TRUE(encode_ack_frame(w, ack, 512));
  EXPECT_EQ(w.size(), encoded_size(ack));
}

TEST(AckBudget, TruncatesToNewestRangesWithinBudget) {
  AckFrame ack = many_ranges(10);
  for (size_t budget = 0; budget < 60; ++budget) {
    SCOPED_TRACE(budget);
    Bytes buf(512);
    Writer w(buf);
    bool ok = encode_ack_frame(w, ack, budget);
    AckFrame first{ack.path_id, ack.ack_delay, {ack.ranges[0]}, ack.ecn};
    if (!ok) {
      EXPECT_LT(budget, encoded_size(first));
      EXPECT_EQ(w.size(), 0u);
      EXPECT_TRUE(w.ok());
      continue;
    }
    EXPECT_LE(w.size(), budget);
    Reader r(w.written());
    auto f = decode_frame(r);
    ASSERT_TRUE(f);
    const auto& got = std::get<AckFrame>(*f);
    size_t n = got.ranges.size();
    ASSERT_GE(n, 1u);
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(got.ranges[i], ack.ranges[i]);
    // Maximal: one more range would not have fit.
    if (n < ack.ranges.size()) {
      AckFrame more{ack.path_id, ack.ack_delay, {ack.ranges.begin(), ack.ranges.begin() + n + 1}, ack.ecn};
      EXPECT_GT(encoded_size(more), budget);
    }
  }
}

TEST(AckBudget, RangeCountFieldGrowthIsAccounted) {
  // 65 ranges: the count goes from 63 (1 byte) to 64 (2 bytes) with the 65th range.
  AckFrame ack = many_ranges(65);
  ack.path_id = 9;
  ack.ecn = EcnCounts{1, 2, 3};
  AckFrame first64 = ack;
  first64.ranges.resize(64);
  size_t size64 = encoded_size(first64);
  ASSERT_EQ(encoded_size(ack), size64 + 3);  // gap + length + one more count byte
  for (size_t extra : {size_t{0}, size_t{2}, size_t{3}}) {
    SCOPED_TRACE(extra);
    Bytes buf(2048);
    Writer w(buf);
    ASSERT_TRUE(encode_ack_frame(w, ack, size64 + extra));
    Reader r(w.written());
    auto f = decode_frame(r);
    ASSERT_TRUE(f);
    EXPECT_EQ(std::get<AckFrame>(*f).ranges.size(), extra == 3 ? 65u : 64u);
    EXPECT_EQ(std::get<AckFrame>(*f).ecn, ack.ecn);
    EXPECT_EQ(std::get<AckFrame>(*f).path_id, ack.path_id);
  }
}

TEST(AckBudget, LimitedByWriterRoom) {
  AckFrame ack = many_ranges(10);
  Bytes buf(12);
  Writer w(buf);
  ASSERT_TRUE(encode_ack_frame(w, ack, 1000));
  EXPECT_LE(w.size(), 12u);
  EXPECT_TRUE(w.ok());
}

TEST(AckBudget, InvalidRangesFailWriter) {
  Bytes buf(64);
  Writer w(buf);
  EXPECT_FALSE(encode_ack_frame(w, AckFrame{}, 64));
  EXPECT_FALSE(w.ok());
}

TEST(StreamHelpers, HeaderSizeMatchesWriter) {
  struct Case { StreamId id; uint64_t offset; size_t len; bool with_length; bool fin; };
  const Case cases[] = {
      {0, 0, 0, false, false},      {0, 0, 100, true, true},     {63, 64, 63, true, false},
      {64, 16383, 64, true, true},  {kVarintMax, 1u << 30, 16384, true, false},
      {5, 0, 1000, false, true},
  };
  for (const auto& c : cases) {
    Bytes buf(64);
    Writer w(buf);
    ASSERT_TRUE(encode_stream_frame_header(w, c.id, c.offset, c.len, c.fin, c.with_length));
    EXPECT_EQ(w.size(), stream_frame_header_size(c.id, c.offset, c.len, c.with_length));
    // The header plus data decodes to the intended frame.
    Bytes data(c.len, 0x5a);
    Bytes packet(64 + c.len);
    Writer pw(packet);
    encode_stream_frame_header(pw, c.id, c.offset, c.len, c.fin, c.with_length);
    pw.write_bytes(data);
    Reader r(pw.written());
    auto f = decode_frame(r);
    ASSERT_TRUE(f) << f.error().reason;
    const auto& s = std::get<StreamFrame>(*f);
    EXPECT_EQ(s.stream_id, c.id);
    EXPECT_EQ(s.offset, c.offset);
    EXPECT_EQ(s.data.size(), c.len);
    EXPECT_EQ(s.fin, c.fin);
  }
  EXPECT_EQ(stream_frame_header_size(0, kVarintMax, 1, true), 0u);
  Bytes buf(64);
  Writer w(buf);
  EXPECT_FALSE(encode_stream_frame_header(w, 0, kVarintMax, 1, false, true));
  EXPECT_EQ(w.size(), 0u);
}

TEST(StreamHelpers, MaxDataFillsSpaceExactly) {
  for (bool with_length : {false, true}) {
    for (uint64_t offset : {uint64_t{0}, uint64_t{100}, uint64_t{1} << 40}) {
      for (size_t space = 0; space < 20000; space += (space < 100 ? 1 : 37)) {
        size_t n = stream_frame_max_data(8, offset, space, with_length);
        if (n == 0) {
          EXPECT_GE(stream_frame_header_size(8, offset, 1, with_length) + 1, space + 1);
          continue;
        }
        EXPECT_LE(stream_frame_header_size(8, offset, n, with_length) + n, space)
            << space << " " << with_length;
        EXPECT_GT(stream_frame_header_size(8, offset, n + 1, with_length) + n + 1, space)
            << space << " " << with_length;
      }
    }
  }
  EXPECT_EQ(stream_frame_max_data(0, kVarintMax - 3, 100, false), 3u);  // capped by 2^62-1
}

TEST(CryptoHelpers, HeaderSizeAndMaxData) {
  EXPECT_EQ(crypto_frame_header_size(0, 0), 3u);
  EXPECT_EQ(crypto_frame_header_size(64, 64), 5u);
  EXPECT_EQ(crypto_frame_header_size(kVarintMax, 1), 0u);
  for (uint64_t offset : {uint64_t{0}, uint64_t{70000}}) {
    for (size_t space = 0; space < 20000; space += (space < 100 ? 1 : 41)) {
      size_t n = crypto_frame_max_data(offset, space);
      if (n == 0) {
        EXPECT_GT(crypto_frame_header_size(offset, 1) + 1, space);
        continue;
      }
      EXPECT_LE(crypto_frame_header_size(offset, n) + n, space);
      EXPECT_GT(crypto_frame_header_size(offset, n + 1) + n + 1, space);
    }
  }
  Bytes buf(16);
  Writer w(buf);
  ASSERT_TRUE(encode_crypto_frame_header(w, 64, 2));
  EXPECT_EQ(Bytes(w.written().begin(), w.written().end()), (Bytes{0x06, 0x40, 0x40, 0x02}));
}

// RFC 9000 §12.4 Table 3, RFC 9221 §4, multipath §8.
TEST(FrameRules, AllowedInPacketKinds) {
  struct Case { uint64_t type; const char* kinds; };  // I, 0, H, 1
  const Case cases[] = {
      {0x00, "I0H1"}, {0x01, "I0H1"}, {0x02, "I-H1"}, {0x03, "I-H1"}, {0x04, "-0-1"},
      {0x05, "-0-1"}, {0x06, "I-H1"}, {0x07, "---1"}, {0x08, "-0-1"}, {0x0f, "-0-1"},
      {0x10, "-0-1"}, {0x11, "-0-1"}, {0x12, "-0-1"}, {0x13, "-0-1"}, {0x14, "-0-1"},
      {0x15, "-0-1"}, {0x16, "-0-1"}, {0x17, "-0-1"}, {0x18, "-0-1"}, {0x19, "-0-1"},
      {0x1a, "-0-1"}, {0x1b, "---1"}, {0x1c, "I0H1"}, {0x1d, "-0-1"}, {0x1e, "---1"},
      {0x30, "-0-1"}, {0x31, "-0-1"}, {0x3e, "---1"}, {0x3f, "---1"}, {0x3e75, "---1"},
      {0x3e76, "---1"}, {0x3e77, "---1"}, {0x3e78, "---1"}, {0x3e79, "---1"},
      {0x3e7a, "---1"}, {0x3e7b, "---1"}, {0x3e7c, "---1"}, {0x1f, "---1"}, {0xaf, "---1"}, {0x20, "----"},
      {0x3e7d, "----"},
      {0x2b9d0f61, "---1"}, {0x2b9d0f62, "----"},
  };
  const PacketKind kinds[] = {PacketKind::kInitial, PacketKind::kZeroRtt, PacketKind::kHandshake,
                              PacketKind::kOneRtt};
  for (const auto& c : cases) {
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(frame_allowed_in(c.type, kinds[i]), c.kinds[i] != '-')
          << "type " << std::hex << c.type << " kind " << i;
    }
  }
}

TEST(FrameRules, AckEliciting) {
  for (uint64_t t : {0x00, 0x02, 0x03, 0x1c, 0x1d, 0x3e, 0x3f})
    EXPECT_FALSE(frame_is_ack_eliciting(t)) << std::hex << t;
  for (uint64_t t : {0x01, 0x04, 0x06, 0x08, 0x0f, 0x18, 0x1a, 0x1b, 0x1e, 0x30, 0x31, 0x3e75,
                     0x3e76, 0x3e77, 0x3e78, 0x3e79, 0x3e7a, 0x3e7b, 0x3e7c, 0x2b9d0f61, 0x1f, 0xaf})
    EXPECT_TRUE(frame_is_ack_eliciting(t)) << std::hex << t;
}

TEST(FrameRules, TypeOfStreamFlags) {
  EXPECT_EQ(frame_type_of(StreamFrame{0, 0, {}, false}), 0x0au);
  EXPECT_EQ(frame_type_of(StreamFrame{0, 1, {}, false}), 0x0eu);
  EXPECT_EQ(frame_type_of(StreamFrame{0, 1, {}, true}), 0x0fu);
  EXPECT_EQ(frame_type_of(AckFrame{PathId{1}, 0, {{0, 0}}, EcnCounts{}}), 0x3fu);
  EXPECT_EQ(frame_type_of(PathStatusFrame{0, 0, false}), 0x3e76u);
}

}  // namespace
}  // namespace braid::wire

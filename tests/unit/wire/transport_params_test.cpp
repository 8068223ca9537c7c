// Tests for transport parameters: round trips with every field set, RFC defaults, the
// byte-level encoding, and each validation rule of RFC 9000 §18.2 and multipath §2.1.
#include "core/wire/transport_params.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/wire/varint.h"

namespace braid::wire {
namespace {

using Bytes = std::vector<uint8_t>;
using Code = TransportErrorCode;

ConnectionId cid(std::initializer_list<uint8_t> b) { return ConnectionId(Bytes(b)); }

// One parameter as (id, length, value) with a varint value.
Bytes int_param(uint64_t id, uint64_t v) {
  Bytes buf(32);
  Writer w(buf);
  w.write_varint(id);
  w.write_varint(varint_size(v));
  w.write_varint(v);
  buf.resize(w.size());
  return buf;
}

Bytes raw_param(uint64_t id, const Bytes& value) {
  Bytes buf(16 + value.size());
  Writer w(buf);
  w.write_varint(id);
  w.write_varint(value.size());
  w.write_bytes(value);
  buf.resize(w.size());
  return buf;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TransportParameters full_server_params() {
  TransportParameters tp;
  tp.original_destination_connection_id = cid({1, 2, 3, 4, 5, 6, 7, 8});
  tp.max_idle_timeout_ms = 30000;
  tp.stateless_reset_token = StatelessResetToken{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
  tp.max_udp_payload_size = 1500;
  tp.initial_max_data = 1 << 20;
  tp.initial_max_stream_data_bidi_local = 1 << 16;
  tp.initial_max_stream_data_bidi_remote = 1 << 17;
  tp.initial_max_stream_data_uni = 1 << 18;
  tp.initial_max_streams_bidi = 100;
  tp.initial_max_streams_uni = uint64_t{1} << 60;
  tp.ack_delay_exponent = 20;
  tp.max_ack_delay_ms = (1 << 14) - 1;
  tp.disable_active_migration = true;
  PreferredAddress pa;
  pa.ipv4 = {192, 0, 2, 1};
  pa.ipv4_port = 443;
  pa.ipv6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  pa.ipv6_port = 4433;
  pa.cid = cid({0xaa, 0xbb, 0xcc, 0xdd});
  pa.reset_token = StatelessResetToken{1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8};
  tp.preferred_address = pa;
  tp.active_connection_id_limit = 8;
  tp.initial_source_connection_id = cid({0x10, 0x11});
  tp.retry_source_connection_id = cid({0x20, 0x21, 0x22});
  tp.max_datagram_frame_size = 65535;
  tp.initial_max_path_id = 0xffffffff;
  tp.address_advertisement = 0;
  return tp;
}

void expect_equal(const TransportParameters& a, const TransportParameters& b) {
  EXPECT_EQ(a.original_destination_connection_id, b.original_destination_connection_id);
  EXPECT_EQ(a.max_idle_timeout_ms, b.max_idle_timeout_ms);
  EXPECT_EQ(a.stateless_reset_token, b.stateless_reset_token);
  EXPECT_EQ(a.max_udp_payload_size, b.max_udp_payload_size);
  EXPECT_EQ(a.initial_max_data, b.initial_max_data);
  EXPECT_EQ(a.initial_max_stream_data_bidi_local, b.initial_max_stream_data_bidi_local);
  EXPECT_EQ(a.initial_max_stream_data_bidi_remote, b.initial_max_stream_data_bidi_remote);
  EXPECT_EQ(a.initial_max_stream_data_uni, b.initial_max_stream_data_uni);
  EXPECT_EQ(a.initial_max_streams_bidi, b.initial_max_streams_bidi);
  EXPECT_EQ(a.initial_max_streams_uni, b.initial_max_streams_uni);
  EXPECT_EQ(a.ack_delay_exponent, b.ack_delay_exponent);
  EXPECT_EQ(a.max_ack_delay_ms, b.max_ack_delay_ms);
  EXPECT_EQ(a.disable_active_migration, b.disable_active_migration);
  ASSERT_EQ(a.preferred_address.has_value(), b.preferred_address.has_value());
  if (a.preferred_address) {
    const auto &x = *a.preferred_address, &y = *b.preferred_address;
    EXPECT_EQ(x.ipv4, y.ipv4);
    EXPECT_EQ(x.ipv4_port, y.ipv4_port);
    EXPECT_EQ(x.ipv6, y.ipv6);
    EXPECT_EQ(x.ipv6_port, y.ipv6_port);
    EXPECT_EQ(x.cid, y.cid);
    EXPECT_EQ(x.reset_token, y.reset_token);
  }
  EXPECT_EQ(a.active_connection_id_limit, b.active_connection_id_limit);
  EXPECT_EQ(a.initial_source_connection_id, b.initial_source_connection_id);
  EXPECT_EQ(a.retry_source_connection_id, b.retry_source_connection_id);
  EXPECT_EQ(a.max_datagram_frame_size, b.max_datagram_frame_size);
  EXPECT_EQ(a.initial_max_path_id, b.initial_max_path_id);
  EXPECT_EQ(a.address_advertisement, b.address_advertisement);
}

TEST(TransportParams, ServerRoundTripAllFields) {
  TransportParameters tp = full_server_params();
  Bytes bytes = tp.encode();
  auto decoded = TransportParameters::decode(bytes, Perspective::kServer);
  ASSERT_TRUE(decoded) << decoded.error().reason;
  expect_equal(*decoded, tp);
}

TEST(TransportParams, ClientRoundTrip) {
  TransportParameters tp;
  tp.initial_source_connection_id = ConnectionId{};  // zero-length CIDs are legal here
  tp.initial_max_data = 12345;
  tp.initial_max_path_id = 3;
  tp.max_datagram_frame_size = 0;
  tp.address_advertisement = 16;
  auto decoded = TransportParameters::decode(tp.encode(), Perspective::kClient);
  ASSERT_TRUE(decoded) << decoded.error().reason;
  expect_equal(*decoded, tp);
  ASSERT_TRUE(decoded->initial_source_connection_id);
  EXPECT_TRUE(decoded->initial_source_connection_id->empty());
}

TEST(TransportParams, EmptyInputGivesRfcDefaults) {
  auto decoded = TransportParameters::decode({}, Perspective::kServer);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->max_udp_payload_size, 65527u);
  EXPECT_EQ(decoded->ack_delay_exponent, 3u);
  EXPECT_EQ(decoded->max_ack_delay_ms, 25u);
  EXPECT_EQ(decoded->active_connection_id_limit, 2u);
  EXPECT_EQ(decoded->initial_max_data, 0u);
  EXPECT_FALSE(decoded->disable_active_migration);
  EXPECT_FALSE(decoded->max_datagram_frame_size);
  EXPECT_FALSE(decoded->initial_max_path_id);
  EXPECT_FALSE(decoded->initial_source_connection_id);
  // Defaults encode to nothing.
  EXPECT_TRUE(TransportParameters{}.encode().empty());
}

TEST(TransportParams, EncodingLayout) {
  TransportParameters tp;
  tp.initial_max_data = 64;          // id 0x04, 2-byte varint value
  tp.disable_active_migration = true;  // id 0x0c, empty value
  tp.initial_max_path_id = 2;        // id 0x3e
  tp.max_datagram_frame_size = 1200;  // id 0x20
  EXPECT_EQ(tp.encode(), (Bytes{0x04, 0x02, 0x40, 0x40, 0x0c, 0x00, 0x20, 0x02, 0x44, 0xb0,
                                0x3e, 0x01, 0x02}));
}

TEST(TransportParams, UnknownAndGreaseSkipped) {
  Bytes bytes = cat({raw_param(31 * 5 + 27, {1, 2, 3}), int_param(0x04, 77),
                     raw_param(0x4242, {}), raw_param(31 * 1000 + 27, Bytes(300, 9)),
                     // The same GREASE id twice is not ours to police.
                     raw_param(31 * 5 + 27, {4})});
  auto decoded = TransportParameters::decode(bytes, Perspective::kClient);
  ASSERT_TRUE(decoded) << decoded.error().reason;
  EXPECT_EQ(decoded->initial_max_data, 77u);
}

TEST(TransportParams, NonMinimalIntegerEncodingAccepted) {
  // Values "do not need to be encoded on the minimum number of bytes" (§16).
  Bytes bytes = {0x04, 0x04, 0x80, 0x00, 0x00, 0x05};
  auto decoded = TransportParameters::decode(bytes, Perspective::kClient);
  ASSERT_TRUE(decoded) << decoded.error().reason;
  EXPECT_EQ(decoded->initial_max_data, 5u);
}

TEST(TransportParams, BoundaryValuesAccepted) {
  const Bytes cases[] = {
      int_param(0x03, 1200),                     // max_udp_payload_size minimum
      int_param(0x08, uint64_t{1} << 60),        // initial_max_streams_bidi maximum
      int_param(0x0a, 20),                       // ack_delay_exponent maximum
      int_param(0x0b, (1 << 14) - 1),            // max_ack_delay maximum
      int_param(0x0e, 2),                        // active_connection_id_limit minimum
      int_param(0x3e, 0xffffffff),               // initial_max_path_id maximum
      int_param(0x3e, 0),
      raw_param(0x0f, Bytes(20, 1)),             // 20-byte CID
  };
  for (const auto& bytes : cases) {
    auto decoded = TransportParameters::decode(bytes, Perspective::kClient);
    EXPECT_TRUE(decoded) << decoded.error().reason;
  }
}

struct InvalidCase {
  std::string name;
  Bytes bytes;
  Perspective sender;
};

class TransportParamsInvalid : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(TransportParamsInvalid, TransportParameterError) {
  auto decoded = TransportParameters::decode(GetParam().bytes, GetParam().sender);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, uint64_t(Code::kTransportParameterError)) << decoded.error().reason;
}

// The value of a preferred_address parameter, optionally with bytes added or cut at the end.
Bytes preferred_address_value(uint8_t cid_len, size_t extra = 0, size_t cut = 0) {
  Bytes v(4 + 2 + 16 + 2, 0);
  v.push_back(cid_len);
  v.insert(v.end(), cid_len, 0xcc);
  v.insert(v.end(), 16 + extra, 0x55);
  v.resize(v.size() - cut);
  return v;
}

const auto kC = Perspective::kClient;
const auto kS = Perspective::kServer;

INSTANTIATE_TEST_SUITE_P(
    Rfc9000Section18, TransportParamsInvalid,
    ::testing::Values(
        InvalidCase{"duplicate_integer", cat({int_param(0x04, 1), int_param(0x04, 1)}), kC},
        InvalidCase{"duplicate_cid", cat({raw_param(0x0f, {1}), raw_param(0x0f, {1})}), kC},
        InvalidCase{"duplicate_flag", cat({raw_param(0x0c, {}), raw_param(0x0c, {})}), kS},
        InvalidCase{"duplicate_max_path_id", cat({int_param(0x3e, 1), int_param(0x3e, 2)}), kS},
        InvalidCase{"duplicate_address_advertisement",
                    cat({int_param(0x2b9d0f60, 1), int_param(0x2b9d0f60, 1)}), kC},
        InvalidCase{"address_advertisement_empty", raw_param(0x2b9d0f60, {}), kC},
        InvalidCase{"truncated_id", {0x40}, kC},
        InvalidCase{"truncated_length", {0x04}, kC},
        InvalidCase{"value_beyond_input", {0x04, 0x02, 0x01}, kC},
        InvalidCase{"integer_with_trailing_byte", {0x04, 0x02, 0x01, 0x00}, kC},
        InvalidCase{"integer_too_short_for_varint", {0x04, 0x01, 0x40}, kC},
        InvalidCase{"integer_empty", {0x04, 0x00}, kC},
        InvalidCase{"max_udp_payload_below_1200", int_param(0x03, 1199), kC},
        InvalidCase{"ack_delay_exponent_above_20", int_param(0x0a, 21), kS},
        InvalidCase{"max_ack_delay_2p14", int_param(0x0b, 1 << 14), kS},
        InvalidCase{"active_cid_limit_below_2", int_param(0x0e, 1), kC},
        InvalidCase{"active_cid_limit_0", int_param(0x0e, 0), kC},
        InvalidCase{"max_streams_bidi_above_2p60", int_param(0x08, (uint64_t{1} << 60) + 1), kC},
        InvalidCase{"max_streams_uni_above_2p60", int_param(0x09, (uint64_t{1} << 60) + 1), kS},
        InvalidCase{"disable_migration_with_value", raw_param(0x0c, {0}), kC},
        InvalidCase{"stateless_reset_token_15", raw_param(0x02, Bytes(15, 0)), kS},
        InvalidCase{"stateless_reset_token_17", raw_param(0x02, Bytes(17, 0)), kS},
        InvalidCase{"cid_21_bytes", raw_param(0x0f, Bytes(21, 0)), kC},
        InvalidCase{"odcid_21_bytes", raw_param(0x00, Bytes(21, 0)), kS},
        // server-only parameters from a client
        InvalidCase{"client_sends_odcid", raw_param(0x00, {1, 2}), kC},
        InvalidCase{"client_sends_reset_token", raw_param(0x02, Bytes(16, 0)), kC},
        InvalidCase{"client_sends_preferred_address", raw_param(0x0d, preferred_address_value(4)), kC},
        InvalidCase{"client_sends_retry_scid", raw_param(0x10, {1}), kC},
        // preferred_address shape
        InvalidCase{"preferred_address_zero_cid", raw_param(0x0d, preferred_address_value(0)), kS},
        InvalidCase{"preferred_address_cid_21", raw_param(0x0d, preferred_address_value(21)), kS},
        InvalidCase{"preferred_address_trailing", raw_param(0x0d, preferred_address_value(4, 1)), kS},
        InvalidCase{"preferred_address_short", raw_param(0x0d, Bytes(30, 0)), kS},
        InvalidCase{"preferred_address_cid_len_past_end",
                    raw_param(0x0d, preferred_address_value(8, 0, 1)), kS},
        InvalidCase{"preferred_address_with_empty_scid",
                    cat({raw_param(0x0f, {}), raw_param(0x0d, preferred_address_value(4))}), kS},
        // multipath §2.1
        InvalidCase{"client_initial_max_path_id_above_2p32", int_param(0x3e, uint64_t{1} << 32), kC},
        InvalidCase{"server_initial_max_path_id_above_2p32", int_param(0x3e, uint64_t{1} << 32), kS},
        InvalidCase{"max_datagram_frame_size_malformed", {0x20, 0x02, 0x05, 0x00}, kC}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace braid::wire

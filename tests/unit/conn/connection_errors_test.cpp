// Hostile and malformed peer input: every class ends in CONNECTION_CLOSE with the error
// code RFC 9000 (or the multipath draft) names, seen by both sides, and never a crash.
#include <gtest/gtest.h>

#include "core/conn/connection_impl.h"
#include "core/wire/transport_params.h"
#include "tests/support/transfer.h"

namespace braid {
namespace {

using test::PairHarness;
using E = TransportErrorCode;

struct HostileCase {
  const char* name;
  EncryptionLevel level;
  std::vector<std::vector<uint8_t>> frames;
  E expected;
  std::function<void(PairHarness::Options&)> tweak;
};

conn::ConnectionImpl* as_impl(Connection& c) { return static_cast<conn::ConnectionImpl*>(&c); }

std::vector<uint8_t> varint(uint64_t v) {
  std::vector<uint8_t> out(8);
  wire::Writer w(out);
  w.write_varint(v);
  out.resize(w.size());
  return out;
}
std::vector<uint8_t> cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

class HostileFrames : public ::testing::TestWithParam<HostileCase> {};

TEST_P(HostileFrames, ServerClosesWithRfcError) {
  const auto& c = GetParam();
  auto o = PairHarness::default_options();
  if (c.tweak) c.tweak(o);
  PairHarness h(o);
  if (c.level == EncryptionLevel::kApplication) {
    ASSERT_TRUE(h.handshake());
  }
  for (auto& f : c.frames) as_impl(h.client())->inject_raw_frame_for_testing(c.level, f);
  ASSERT_TRUE(h.run_until([&] { return h.server_conn() && h.server_conn()->is_draining(); }, std::chrono::seconds(5)))
      << c.name;
  auto reason = h.server_conn()->close_reason();
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(reason->code, static_cast<uint64_t>(c.expected)) << c.name << ": " << reason->reason;
  EXPECT_FALSE(reason->application);
  // The client learns the same code from the CONNECTION_CLOSE frame.
  ASSERT_TRUE(h.run_until([&] { return h.client().is_draining(); }, std::chrono::seconds(5))) << c.name;
  ASSERT_TRUE(h.client().close_reason().has_value());
  EXPECT_EQ(h.client().close_reason()->code, static_cast<uint64_t>(c.expected)) << c.name;
}

const auto kApp = EncryptionLevel::kApplication;

INSTANTIATE_TEST_SUITE_P(
    Classes, HostileFrames,
    ::testing::Values(
        HostileCase{"truncated_max_data", kApp, {{0x10, 0xc0, 0x00, 0x00}}, E::kFrameEncodingError},
        HostileCase{"truncated_stream", kApp, {{0x0a, 0x00, 0x10, 'a', 'b'}}, E::kFrameEncodingError},
        HostileCase{"unknown_frame_type", kApp, {{0x21}}, E::kFrameEncodingError},
        HostileCase{"truncated_ack", kApp, {{0x02, 0x05}}, E::kFrameEncodingError},
        HostileCase{"handshake_done_from_client", kApp, {{0x1e}}, E::kProtocolViolation},
        HostileCase{"new_token_from_client", kApp, {{0x07, 0x01, 0xaa}}, E::kProtocolViolation},
        HostileCase{"ack_of_unsent_packet", kApp, {cat({{0x02}, varint(100000), {0x00, 0x00, 0x00}})},
                    E::kProtocolViolation},
        HostileCase{"stream_beyond_stream_window", kApp, {cat({{0x0e, 0x00}, varint(1 << 20), {0x01, 'x'}})},
                    E::kFlowControlError},
        HostileCase{"stream_beyond_connection_window", kApp, {cat({{0x0e, 0x00}, varint(5000), {0x01, 'x'}})},
                    E::kFlowControlError,
                    [](PairHarness::Options& o) { o.server.initial_max_data = 1000; o.server.max_connection_window = 1000; }},
        HostileCase{"stream_limit_exceeded", kApp, {cat({{0x0a}, varint(4 * 200), {0x01, 'x'}})}, E::kStreamLimitError},
        HostileCase{"stream_not_opened_by_server", kApp, {{0x0a, 0x01, 0x01, 'x'}}, E::kStreamStateError},
        HostileCase{"stream_on_servers_send_only_stream", kApp, {{0x0a, 0x03, 0x01, 'x'}}, E::kStreamStateError},
        HostileCase{"max_stream_data_on_receive_only_stream", kApp, {{0x11, 0x02, 0x40, 0x64}}, E::kStreamStateError},
        HostileCase{"final_size_changed", kApp, {{0x0b, 0x00, 0x02, 'a', 'b'}, {0x0b, 0x00, 0x03, 'a', 'b', 'c'}},
                    E::kFinalSizeError},
        HostileCase{"retire_unissued_cid", kApp, {{0x19, 0x40, 0xff}}, E::kProtocolViolation},
        HostileCase{"multipath_frame_not_negotiated", kApp, {{0x7e, 0x7a, 0x05}}, E::kProtocolViolation,
                    [](PairHarness::Options& o) { o.server.initial_max_path_id = 0; }},
        HostileCase{"path_ack_beyond_max_path_id", kApp, {{0x3e, 0x09, 0x00, 0x00, 0x00, 0x00}}, E::kProtocolViolation},
        HostileCase{"path_abandon_beyond_max_path_id", kApp, {{0x7e, 0x75, 0x20, 0x00}}, E::kProtocolViolation},
        HostileCase{"paths_blocked_above_our_limit", kApp, {{0x7e, 0x7b, 0x30}}, E::kProtocolViolation},
        HostileCase{"path_cids_blocked_future_sequence", kApp, {{0x7e, 0x7c, 0x01, 0x30}}, E::kProtocolViolation},
        HostileCase{"datagram_not_offered", kApp, {{0x31, 0x01, 'd'}}, E::kProtocolViolation,
                    [](PairHarness::Options& o) { o.server.max_datagram_frame_size = 0; }},
        HostileCase{"crypto_buffer_exceeded", kApp, {cat({{0x06}, varint(1 << 20), {0x01, 'z'}})},
                    E::kCryptoBufferExceeded},
        HostileCase{"stream_frame_in_initial", EncryptionLevel::kInitial, {{0x0a, 0x00, 0x01, 'x'}},
                    E::kProtocolViolation},
        HostileCase{"max_streams_too_large", kApp, {cat({{0x12}, varint((uint64_t{1} << 60) + 1)})},
                    E::kFrameEncodingError}),
    [](const ::testing::TestParamInfo<HostileCase>& i) { return std::string(i.param.name); });

TEST(HostileConnectionIds, TooManyConnectionIds) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  // The server allows 4 active CIDs; the client already gave it some. Flood more.
  for (uint64_t seq = 10; seq < 20; ++seq) {
    std::vector<uint8_t> f = {0x18, static_cast<uint8_t>(seq), 0x00, 0x08};
    for (int i = 0; i < 8; ++i) f.push_back(static_cast<uint8_t>(seq * 16 + i));
    for (int i = 0; i < 16; ++i) f.push_back(static_cast<uint8_t>(i));
    as_impl(h.client())->inject_raw_frame_for_testing(EncryptionLevel::kApplication, f);
  }
  ASSERT_TRUE(h.run_until([&] { return h.server_conn()->is_draining(); }, std::chrono::seconds(5)));
  EXPECT_EQ(h.server_conn()->close_reason()->code, static_cast<uint64_t>(E::kConnectionIdLimitError));
}

// Bad transport parameters from the client end the handshake with TRANSPORT_PARAMETER_ERROR.
class BadTransportParams : public ::testing::TestWithParam<std::pair<const char*, std::vector<uint8_t>>> {};

TEST_P(BadTransportParams, Rejected) {
  auto raw = GetParam().second;
  auto o = PairHarness::default_options();
  o.make_client = [raw](TimePoint now, const ConnectionConfig& cfg, const PathTuple& t,
                        Random& rng) -> Result<std::unique_ptr<Connection>> {
    auto c = std::make_unique<conn::ConnectionImpl>(now, cfg, t, rng);
    // Keep a valid initial_source_connection_id so only the tested defect remains.
    auto scid = c->local_connection_ids().front();
    std::vector<uint8_t> tp = raw;
    tp.push_back(0x0f);
    tp.push_back(static_cast<uint8_t>(scid.size()));
    tp.insert(tp.end(), scid.data(), scid.data() + scid.size());
    c->override_transport_params_for_testing(tp);
    if (auto st = c->init(now); !st) return std::unexpected(st.error());
    return std::unique_ptr<Connection>(std::move(c));
  };
  PairHarness h(o);
  ASSERT_TRUE(h.run_until([&] { return h.server_conn() && h.server_conn()->is_draining(); }, std::chrono::seconds(5)));
  EXPECT_EQ(h.server_conn()->close_reason()->code, static_cast<uint64_t>(E::kTransportParameterError))
      << h.server_conn()->close_reason()->reason;
  ASSERT_TRUE(h.run_until([&] { return h.client().is_draining(); }, std::chrono::seconds(5)));
  EXPECT_EQ(h.client().close_reason()->code, static_cast<uint64_t>(E::kTransportParameterError));
}

INSTANTIATE_TEST_SUITE_P(
    Classes, BadTransportParams,
    ::testing::Values(std::make_pair("ack_delay_exponent_21", std::vector<uint8_t>{0x0a, 0x01, 0x15}),
                      std::make_pair("max_udp_payload_below_1200", std::vector<uint8_t>{0x03, 0x02, 0x44, 0x00}),
                      std::make_pair("server_only_original_dcid", std::vector<uint8_t>{0x00, 0x01, 0xaa}),
                      std::make_pair("duplicate_parameter", std::vector<uint8_t>{0x04, 0x01, 0x10, 0x04, 0x01, 0x10}),
                      std::make_pair("truncated_value", std::vector<uint8_t>{0x04, 0x04, 0x10}),
                      std::make_pair("active_cid_limit_1", std::vector<uint8_t>{0x0e, 0x01, 0x01})),
    [](const auto& i) { return std::string(i.param.first); });

TEST(HostileDatagrams, GarbageNeverCrashes) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  SeededRandom r(99);
  PathTuple t{*SocketAddress::parse("10.0.0.2:443"), *SocketAddress::parse("10.0.0.1:5000")};
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> d(1 + r.next_u64() % 1400);
    r.fill(d);
    if (i % 3 == 0 && !d.empty()) d[0] &= 0x7f;  // short header with random DCID
    h.endpoint().handle_datagram(h.now(), t, d, 0);
    h.client().handle_datagram(h.now(), PathTuple{t.remote, t.local}, d, 0);
  }
  // Random bytes fail authentication: the connection is unaffected.
  EXPECT_FALSE(h.client().is_draining());
  auto r2 = test::run_transfer(h, true, {test::pattern_bytes(100'000, 1)});
  EXPECT_TRUE(r2.ok) << r2.failure;
}

}  // namespace
}  // namespace braid

// Frame -> qlog QuicFrame mapping: one named case per frame struct, checked through a parser.
#include "core/qlog/qlog_frames.h"

#include <gtest/gtest.h>

namespace braid::qlog {
namespace {

using namespace wire;
using nlohmann::json;

const uint8_t kData[5] = {1, 2, 3, 4, 5};

struct FrameCase {
  const char* name;
  Frame frame;
  json expected;  // every key here must match; other keys are allowed
};

TEST(QlogFrames, EachFrameTypeHasItsDraftShape) {
  const uint8_t cid_bytes[] = {0xaa, 0xbb};
  const ConnectionId cid{cid_bytes};
  const FrameCase cases[] = {
      {"padding", PaddingFrame{100}, {{"frame_type", "padding"}, {"raw", {{"length", 100}, {"payload_length", 100}}}}},
      {"ping", PingFrame{}, {{"frame_type", "ping"}}},
      {"ack", AckFrame{std::nullopt, 1000, {{7, 9}, {3, 3}}, std::nullopt},
       {{"frame_type", "ack"}, {"ack_delay", 8.0}, {"acked_ranges", json::array({{7, 9}, {3}})}}},
      {"ack_ecn", AckFrame{std::nullopt, 0, {{1, 1}}, EcnCounts{1, 2, 3}},
       {{"frame_type", "ack"}, {"ect0", 1}, {"ect1", 2}, {"ce", 3}}},
      {"path_ack", AckFrame{PathId{2}, 0, {{0, 4}}, std::nullopt},
       {{"frame_type", "path_ack"}, {"path_id", 2}, {"acked_ranges", json::array({{0, 4}})}}},
      {"reset_stream", ResetStreamFrame{4, 7, 100},
       {{"frame_type", "reset_stream"}, {"stream_id", 4}, {"error", "unknown"}, {"error_code", 7}, {"final_size", 100}}},
      {"stop_sending", StopSendingFrame{8, 9}, {{"frame_type", "stop_sending"}, {"stream_id", 8}, {"error_code", 9}}},
      {"crypto", CryptoFrame{10, kData}, {{"frame_type", "crypto"}, {"offset", 10}, {"raw", {{"length", 5}, {"payload_length", 5}}}}},
      {"new_token", NewTokenFrame{kData}, {{"frame_type", "new_token"}, {"token", {{"raw", {{"length", 5}}}}}}},
      {"stream_fin", StreamFrame{4, 20, kData, true},
       {{"frame_type", "stream"}, {"stream_id", 4}, {"offset", 20}, {"fin", true}, {"raw", {{"length", 5}, {"payload_length", 5}}}}},
      {"max_data", MaxDataFrame{5000}, {{"frame_type", "max_data"}, {"maximum", 5000}}},
      {"max_stream_data", MaxStreamDataFrame{4, 6000}, {{"frame_type", "max_stream_data"}, {"stream_id", 4}, {"maximum", 6000}}},
      {"max_streams", MaxStreamsFrame{false, 10}, {{"frame_type", "max_streams"}, {"stream_type", "unidirectional"}, {"maximum", 10}}},
      {"data_blocked", DataBlockedFrame{11}, {{"frame_type", "data_blocked"}, {"limit", 11}}},
      {"stream_data_blocked", StreamDataBlockedFrame{4, 12}, {{"frame_type", "stream_data_blocked"}, {"stream_id", 4}, {"limit", 12}}},
      {"streams_blocked", StreamsBlockedFrame{true, 13}, {{"frame_type", "streams_blocked"}, {"stream_type", "bidirectional"}, {"limit", 13}}},
      {"new_connection_id", NewConnectionIdFrame{std::nullopt, 3, 1, cid, {}},
       {{"frame_type", "new_connection_id"}, {"sequence_number", 3}, {"retire_prior_to", 1}, {"connection_id", "aabb"},
        {"connection_id_length", 2}, {"stateless_reset_token", "00000000000000000000000000000000"}}},
      {"path_new_connection_id", NewConnectionIdFrame{PathId{1}, 0, 0, cid, {}},
       {{"frame_type", "path_new_connection_id"}, {"path_id", 1}}},
      {"retire_connection_id", RetireConnectionIdFrame{std::nullopt, 2}, {{"frame_type", "retire_connection_id"}, {"sequence_number", 2}}},
      {"path_retire_connection_id", RetireConnectionIdFrame{PathId{3}, 2},
       {{"frame_type", "path_retire_connection_id"}, {"path_id", 3}, {"sequence_number", 2}}},
      {"path_challenge", PathChallengeFrame{{1, 2, 3, 4, 5, 6, 7, 8}}, {{"frame_type", "path_challenge"}, {"data", "0102030405060708"}}},
      {"path_response", PathResponseFrame{{0, 0, 0, 0, 0, 0, 0, 0xff}}, {{"frame_type", "path_response"}, {"data", "00000000000000ff"}}},
      {"connection_close_transport", ConnectionCloseFrame{false, 0x0a, 0x08, {}},
       {{"frame_type", "connection_close"}, {"error_space", "transport"}, {"error", "protocol_violation"}, {"trigger_frame_type", 8}}},
      {"connection_close_crypto", ConnectionCloseFrame{false, 0x178, 0x06, {}},
       {{"frame_type", "connection_close"}, {"error", "crypto_error_0x178"}}},
      {"connection_close_app", ConnectionCloseFrame{true, 42, 0, {}},
       {{"frame_type", "connection_close"}, {"error_space", "application"}, {"error", "unknown"}, {"error_code", 42}}},
      {"handshake_done", HandshakeDoneFrame{}, {{"frame_type", "handshake_done"}}},
      {"datagram", DatagramFrame{kData, true}, {{"frame_type", "datagram"}, {"raw", {{"length", 5}, {"payload_length", 5}}}}},
      {"path_abandon", PathAbandonFrame{2, 0x10}, {{"frame_type", "path_abandon"}, {"path_id", 2}, {"error_code", 16}}},
      {"path_status_backup", PathStatusFrame{1, 4, false},
       {{"frame_type", "path_status_backup"}, {"path_id", 1}, {"path_status_sequence_number", 4}}},
      {"path_status_available", PathStatusFrame{1, 5, true}, {{"frame_type", "path_status_available"}}},
      {"max_path_id", MaxPathIdFrame{7}, {{"frame_type", "max_path_id"}, {"maximum_path_id", 7}}},
      {"paths_blocked", PathsBlockedFrame{7}, {{"frame_type", "paths_blocked"}, {"maximum_path_id", 7}}},
      {"path_cids_blocked", PathCidsBlockedFrame{2, 9}, {{"frame_type", "path_cids_blocked"}, {"path_id", 2}, {"next_sequence_number", 9}}},
      {"advertise_address", AdvertiseAddressFrame{1, SocketAddress::v4(192, 0, 2, 2, 443)},
       {{"frame_type", "unknown"}, {"frame_type_bytes", 0x2b9d0f61}, {"braid_frame", "advertise_address"},
        {"sequence_number", 1}, {"address", "192.0.2.2:443"}}},
  };
  for (const auto& c : cases) {
    const json j = frame_to_json(c.frame);
    for (const auto& [key, value] : c.expected.items()) {
      ASSERT_TRUE(j.contains(key)) << c.name << " lacks " << key << ": " << j.dump();
      EXPECT_EQ(j[key], value) << c.name << "." << key << ": " << j.dump();
    }
  }
}

TEST(QlogFrames, AckDelayUsesTheSendersExponent) {
  const Frame ack = AckFrame{std::nullopt, 100, {{0, 0}}, std::nullopt};
  EXPECT_DOUBLE_EQ(frame_to_json(ack, 0)["ack_delay"].get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(frame_to_json(ack, 3)["ack_delay"].get<double>(), 0.8);
}

TEST(QlogFrames, CloseReasonTextOrBytes) {
  const uint8_t text[] = {'b', 'y', 'e', '"'};
  const uint8_t binary[] = {0xff, 0x00};
  const json t = frame_to_json(ConnectionCloseFrame{true, 0, 0, text});
  EXPECT_EQ(t["reason"], "bye\"");
  const json b = frame_to_json(ConnectionCloseFrame{true, 0, 0, binary});
  EXPECT_FALSE(b.contains("reason"));
  EXPECT_EQ(b["reason_bytes"], "ff00");
}

TEST(QlogFrames, TransportErrorNames) {
  EXPECT_EQ(transport_error_name(0x0), "no_error");
  EXPECT_EQ(transport_error_name(0x10), "no_viable_path");
  EXPECT_EQ(transport_error_name(0x100), "crypto_error_0x100");
  EXPECT_EQ(transport_error_name(0x11), "unknown");
  EXPECT_EQ(transport_error_name(0x200), "unknown");
}

TEST(QlogFrames, QlogFrameKeepsRenderedText) {
  const QlogFrame f = QlogFrame::from(StreamFrame{0, 0, kData, false});
  EXPECT_EQ(json::parse(f.json)["frame_type"], "stream");
}

}  // namespace
}  // namespace braid::qlog

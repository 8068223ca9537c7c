// QlogWriter output as a whole: JSON-SEQ framing, the file header, exact event names, path_id
// on path-scoped events, relative monotonic times, metric de-duplication, disabled writer.
#include "core/qlog/qlog_writer.h"

#include <gtest/gtest.h>

namespace braid::qlog {
namespace {

using nlohmann::json;
using std::chrono::microseconds;
using std::chrono::milliseconds;

const TimePoint kRef = time_from_us(5'000'000);

// Splits a JSON-SEQ stream on the Record Separator; every record must end in '\n'.
std::vector<json> parse_seq(const std::string& text) {
  std::vector<json> records;
  EXPECT_FALSE(text.empty());
  if (text.empty()) return records;
  EXPECT_EQ(text.front(), '\x1e');
  size_t pos = 0;
  while (pos < text.size()) {
    EXPECT_EQ(text[pos], '\x1e');
    size_t next = text.find('\x1e', pos + 1);
    if (next == std::string::npos) next = text.size();
    const std::string record = text.substr(pos + 1, next - pos - 1);
    EXPECT_FALSE(record.empty());
    EXPECT_EQ(record.back(), '\n') << record;
    records.push_back(json::parse(record));
    pos = next;
  }
  return records;
}

struct Capture {
  std::string text;
  size_t calls = 0;
  QlogWriter::Sink sink() {
    return [this](std::string_view s) {
      text.append(s);
      ++calls;
    };
  }
};

TEST(QlogWriter, HeaderFollowsTheMainSchema) {
  Capture cap;
  QlogWriter w(cap.sink(), /*is_server=*/true, kRef, "0a0b0c", "test-title");
  ASSERT_TRUE(w.enabled());
  const auto records = parse_seq(cap.text);
  ASSERT_EQ(records.size(), 1u);
  const json& h = records[0];
  EXPECT_EQ(h["file_schema"], "urn:ietf:params:qlog:file:sequential");
  EXPECT_EQ(h["serialization_format"], "application/qlog+json-seq");
  EXPECT_EQ(h["title"], "test-title");
  EXPECT_EQ(h["trace"]["vantage_point"]["type"], "server");
  EXPECT_EQ(h["trace"]["common_fields"]["group_id"], "0a0b0c");
  EXPECT_EQ(h["trace"]["common_fields"]["time_format"], "relative_to_epoch");
  EXPECT_EQ(h["trace"]["common_fields"]["reference_time"]["clock_type"], "monotonic");
  EXPECT_EQ(h["trace"]["common_fields"]["reference_time"]["epoch"], "unknown");
  EXPECT_EQ(h["trace"]["event_schemas"][0], std::string(kQuicEventSchema));
  // The schema asks for these two within the first 256 bytes.
  EXPECT_LT(cap.text.find("application/qlog+json-seq"), 256u);

  Capture client;
  QlogWriter c(client.sink(), false, kRef, "ff");
  EXPECT_EQ(parse_seq(client.text)[0]["trace"]["vantage_point"]["type"], "client");
}

TEST(QlogWriter, DisabledWriterWritesNothing) {
  QlogWriter off;
  EXPECT_FALSE(off.enabled());
  Capture cap;
  QlogWriter empty_sink(QlogWriter::Sink{}, false, kRef, "aa");
  EXPECT_FALSE(empty_sink.enabled());
  const wire::Frame frames[] = {wire::PingFrame{}};
  for (QlogWriter* w : {&off, &empty_sink}) {
    w->packet_sent(kRef, 0, "1RTT", 1, 100, frames);
    w->metrics_updated(kRef, 0, MetricsSample{.smoothed_rtt = milliseconds(10)});
    w->connection_state_updated(kRef, "closed");
    w->generic(kRef, "braid:x", json::object());
  }
  EXPECT_EQ(cap.calls, 0u);
}

// One call of every event method, in time order; names and path scoping are checked below.
std::string write_every_event() {
  Capture cap;
  QlogWriter w(cap.sink(), false, kRef, "0102");
  const uint8_t scid_bytes[] = {1, 2, 3, 4};
  const uint8_t dcid_bytes[] = {5, 6};
  const uint8_t payload[] = {0, 1, 2};
  const wire::Frame frames[] = {wire::CryptoFrame{0, payload}, wire::PaddingFrame{900}};
  const PathTuple tuple{SocketAddress::v4(10, 0, 0, 1, 4433), SocketAddress::v4(10, 0, 0, 2, 443)};
  wire::TransportParameters tp;
  tp.initial_max_path_id = 4;
  TimePoint t = kRef;
  auto tick = [&] { return t += microseconds(1500); };
  w.connection_started(tick(), tuple.local, tuple.remote, ConnectionId{scid_bytes}, ConnectionId{dcid_bytes});
  w.parameters_set(tick(), "local", tp);
  w.connection_state_updated(tick(), "attempted");
  w.packet_sent(tick(), 0, "initial", 0, 1200, frames);
  w.datagrams_sent(tick(), 0, 1, 1200);
  w.datagrams_received(tick(), 0, 2, 2400);
  w.packet_received(tick(), 0, "initial", 0, 1200, frames);
  w.packet_dropped(tick(), "handshake", 50, "key_unavailable");
  w.packets_acked(tick(), 0, std::vector<uint64_t>{0});
  w.key_updated(tick(), "client_1rtt_secret", 0, "tls");
  w.path_event(tick(), 1, "created", &tuple);
  w.metrics_updated(tick(), 1, MetricsSample{.smoothed_rtt = milliseconds(12), .congestion_window = 12000});
  w.congestion_state_updated(tick(), 1, "slow_start", "recovery");
  w.packet_lost(tick(), 1, "1RTT", 7, "time_threshold");
  w.stream_state_updated(tick(), 4, "sending", "open");
  w.generic(tick(), "braid:custom", json{{"k", 1}});
  w.connection_closed(tick(), "local", 0, false, "done", "application");
  return cap.text;
}

TEST(QlogWriter, EventNamesAndPathScoping) {
  const auto records = parse_seq(write_every_event());
  struct Expect {
    const char* name;
    bool path_scoped;
  };
  const Expect expected[] = {
      {"quic:connection_started", false},      {"quic:parameters_set", false},
      {"quic:connection_state_updated", false}, {"quic:packet_sent", true},
      {"quic:udp_datagrams_sent", true},        {"quic:udp_datagrams_received", true},
      {"quic:packet_received", true},           {"quic:packet_dropped", false},
      {"quic:packets_acked", true},             {"quic:key_updated", false},
      {"quic:tuple_assigned", true},            {"braid:path_state_updated", true},
      {"quic:recovery_metrics_updated", true},  {"quic:congestion_state_updated", true},
      {"quic:packet_lost", true},               {"quic:stream_state_updated", false},
      {"braid:custom", false},                  {"quic:connection_closed", false},
  };
  ASSERT_EQ(records.size(), 1 + std::size(expected));
  for (size_t i = 0; i < std::size(expected); ++i) {
    const json& e = records[i + 1];
    EXPECT_EQ(e["name"], expected[i].name) << i;
    ASSERT_TRUE(e.contains("data")) << expected[i].name;
    ASSERT_TRUE(e["data"].is_object()) << expected[i].name;
    if (expected[i].path_scoped) {
      EXPECT_TRUE(e["data"].contains("path_id")) << expected[i].name << ": " << e.dump();
    }
  }
}

TEST(QlogWriter, TimesAreRelativeMillisecondsAndNonDecreasing) {
  const auto records = parse_seq(write_every_event());
  double last = -1;
  for (size_t i = 1; i < records.size(); ++i) {
    const double time = records[i]["time"].get<double>();
    EXPECT_GE(time, last);
    last = time;
  }
  EXPECT_DOUBLE_EQ(records[1]["time"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(records[2]["time"].get<double>(), 3.0);

  // An event stamped before the previous one is clamped, not written out of order.
  Capture cap;
  QlogWriter w(cap.sink(), false, kRef, "aa");
  w.connection_state_updated(kRef + milliseconds(10), "attempted");
  w.connection_state_updated(kRef + milliseconds(5), "handshake_started");
  const auto clamped = parse_seq(cap.text);
  EXPECT_DOUBLE_EQ(clamped[2]["time"].get<double>(), 10.0);
  EXPECT_EQ(clamped[2]["data"]["old"], "attempted");
}

TEST(QlogWriter, PacketEventShape) {
  Capture cap;
  QlogWriter w(cap.sink(), false, kRef, "aa");
  wire::TransportParameters remote;
  remote.ack_delay_exponent = 0;
  w.parameters_set(kRef, "remote", remote);
  const wire::Frame frames[] = {wire::AckFrame{std::nullopt, 2000, {{5, 9}}, std::nullopt}};
  w.packet_received(kRef, 3, "1RTT", 42, 1350, frames);
  w.packet_sent(kRef, std::nullopt, "version_negotiation", 0, 30, {});
  const auto r = parse_seq(cap.text);
  const json& d = r[2]["data"];
  EXPECT_EQ(d["path_id"], 3);
  EXPECT_EQ(d["header"]["packet_type"], "1RTT");
  EXPECT_EQ(d["header"]["packet_number"], 42);
  EXPECT_EQ(d["raw"]["length"], 1350);
  EXPECT_EQ(d["frames"][0]["acked_ranges"], json::array({{5, 9}}));
  EXPECT_DOUBLE_EQ(d["frames"][0]["ack_delay"].get<double>(), 2.0);  // remote exponent 0
  const json& vn = r[3]["data"];
  EXPECT_FALSE(vn.contains("path_id"));
  EXPECT_FALSE(vn["header"].contains("packet_number"));
  EXPECT_FALSE(vn.contains("frames"));
}

TEST(QlogWriter, MetricsWriteOnlyChangedFieldsPerPath) {
  Capture cap;
  QlogWriter w(cap.sink(), false, kRef, "aa");
  w.metrics_updated(kRef, 0, MetricsSample{.smoothed_rtt = milliseconds(20), .congestion_window = 12000});
  w.metrics_updated(kRef, 0, MetricsSample{.smoothed_rtt = milliseconds(20), .congestion_window = 13000});
  w.metrics_updated(kRef, 0, MetricsSample{.smoothed_rtt = milliseconds(20)});  // nothing new
  w.metrics_updated(kRef, 1, MetricsSample{.smoothed_rtt = milliseconds(20)});  // other path
  const auto r = parse_seq(cap.text);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_DOUBLE_EQ(r[1]["data"]["smoothed_rtt"].get<double>(), 20.0);
  EXPECT_EQ(r[1]["data"]["congestion_window"], 12000);
  EXPECT_FALSE(r[2]["data"].contains("smoothed_rtt"));
  EXPECT_EQ(r[2]["data"]["congestion_window"], 13000);
  EXPECT_EQ(r[3]["data"]["path_id"], 1);
}

// De-duplication is per path: the same values on two paths give one record each, with its
// own path_id, and a repeat on either path gives none.
TEST(QlogWriter, MetricsOfTwoPathsCarryTheirOwnPathIds) {
  Capture cap;
  QlogWriter w(cap.sink(), false, kRef, "aa");
  const MetricsSample m{.smoothed_rtt = milliseconds(30), .congestion_window = 14000, .bytes_in_flight = 1200,
                        .pacing_rate = 8'000'000};
  w.metrics_updated(kRef, 0, m);
  w.metrics_updated(kRef, 1, m);
  w.metrics_updated(kRef, 0, m);
  w.metrics_updated(kRef, 1, m);
  w.metrics_updated(kRef + milliseconds(1), 1, MetricsSample{.bytes_in_flight = 2400});
  const auto r = parse_seq(cap.text);
  ASSERT_EQ(r.size(), 4u);
  for (size_t i = 1; i < r.size(); ++i) EXPECT_EQ(r[i]["name"], "quic:recovery_metrics_updated");
  EXPECT_EQ(r[1]["data"]["path_id"], 0);
  EXPECT_EQ(r[2]["data"]["path_id"], 1);
  EXPECT_EQ(r[2]["data"]["congestion_window"], 14000);
  EXPECT_EQ(r[2]["data"]["pacing_rate"], 8'000'000);
  EXPECT_EQ(r[3]["data"]["path_id"], 1);
  EXPECT_EQ(r[3]["data"]["bytes_in_flight"], 2400);
  EXPECT_FALSE(r[3]["data"].contains("congestion_window"));
}

TEST(QlogWriter, ConnectionEventsData) {
  Capture cap;
  QlogWriter w(cap.sink(), true, kRef, "aa");
  const uint8_t scid[] = {0xab};
  auto v6 = SocketAddress::parse("[::1]:443");
  ASSERT_TRUE(v6);
  w.connection_started(kRef, SocketAddress::v4(127, 0, 0, 1, 4433), *v6, ConnectionId{scid}, ConnectionId{});
  w.connection_closed(kRef, "remote", 0x0a, false, "bad \xff frame");
  w.connection_closed(kRef, "local", 77, true, "");
  w.connection_closed(kRef, "local", 0x4242, false, "", "idle_timeout");
  const auto r = parse_seq(cap.text);
  EXPECT_EQ(r[1]["data"]["local"]["ip_v4"], "127.0.0.1");
  EXPECT_EQ(r[1]["data"]["local"]["port_v4"], 4433);
  EXPECT_EQ(r[1]["data"]["local"]["connection_ids"][0], "ab");
  EXPECT_EQ(r[1]["data"]["remote"]["port_v6"], 443);
  EXPECT_EQ(r[2]["data"]["initiator"], "remote");
  EXPECT_EQ(r[2]["data"]["connection_error"], "protocol_violation");
  EXPECT_EQ(r[2]["data"]["reason"], "bad \xef\xbf\xbd frame");
  EXPECT_EQ(r[3]["data"]["application_error"], "unknown");
  EXPECT_EQ(r[3]["data"]["error_code"], 77);
  EXPECT_EQ(r[4]["data"]["connection_error"], "unknown");
  EXPECT_EQ(r[4]["data"]["error_code"], 0x4242);
  EXPECT_EQ(r[4]["data"]["trigger"], "idle_timeout");
}

TEST(QlogWriter, PathLifecycleTracksTuplesAndOldState) {
  Capture cap;
  QlogWriter w(cap.sink(), false, kRef, "aa");
  const PathTuple tuple{SocketAddress::v4(10, 0, 0, 1, 1), SocketAddress::v4(10, 0, 0, 2, 2)};
  w.path_event(kRef, 2, "created", &tuple);
  w.path_event(kRef, 2, "validated", nullptr);
  w.path_event(kRef, 2, "abandoned", nullptr);
  const auto r = parse_seq(cap.text);
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r[1]["name"], "quic:tuple_assigned");
  EXPECT_EQ(r[1]["data"]["tuple_id"], "2");
  EXPECT_EQ(r[1]["data"]["tuple_local"]["ip_v4"], "10.0.0.1");
  EXPECT_EQ(r[1]["data"]["tuple_remote"]["port_v4"], 2);
  EXPECT_EQ(r[2]["data"]["new"], "created");
  EXPECT_FALSE(r[2]["data"].contains("old"));
  EXPECT_EQ(r[3]["data"]["old"], "created");
  EXPECT_EQ(r[3]["data"]["new"], "validated");
  EXPECT_EQ(r[4]["name"], "quic:tuple_assigned");  // retired: no endpoints
  EXPECT_FALSE(r[4]["data"].contains("tuple_local"));
  EXPECT_EQ(r[5]["data"]["new"], "abandoned");
}

TEST(QlogWriter, ParametersSetUsesDraftFieldNames) {
  Capture cap;
  QlogWriter w(cap.sink(), true, kRef, "aa");
  wire::TransportParameters tp;
  tp.max_idle_timeout_ms = 30000;
  tp.initial_max_data = 1 << 20;
  tp.max_datagram_frame_size = 1200;
  const uint8_t odcid[] = {9, 9};
  tp.original_destination_connection_id = ConnectionId{odcid};
  w.parameters_set(kRef, "local", tp);
  const json d = parse_seq(cap.text)[1]["data"];
  EXPECT_EQ(d["initiator"], "local");
  EXPECT_EQ(d["max_idle_timeout"], 30000);
  EXPECT_EQ(d["initial_max_data"], 1 << 20);
  EXPECT_EQ(d["max_datagram_frame_size"], 1200);
  EXPECT_EQ(d["original_destination_connection_id"], "0909");
  EXPECT_EQ(d["max_ack_delay"], 25);
  EXPECT_FALSE(d.contains("initial_max_path_id"));
}

TEST(QlogWriter, EachRecordIsOneSinkCall) {
  Capture cap;
  QlogWriter w(cap.sink(), false, kRef, "aa");
  w.key_updated(kRef, "server_1rtt_secret", 1, "remote_update");
  EXPECT_EQ(cap.calls, 2u);
}

TEST(QlogWriter, FileName) {
  EXPECT_EQ(qlog_file_name("0a1b", false), "0a1b_client.sqlog");
  EXPECT_EQ(qlog_file_name("0a1b", true), "0a1b_server.sqlog");
}

}  // namespace
}  // namespace braid::qlog

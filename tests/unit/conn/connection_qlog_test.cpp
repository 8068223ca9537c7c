// What a connection's qlog says it sent: every frame of every packet (STREAM, DATAGRAM,
// flow-control and CID frames, the multipath frames including PATH_ABANDON), and the
// packet that carries CONNECTION_CLOSE.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <set>

#include "tests/support/transfer.h"

namespace braid {
namespace {

using test::PairHarness;
using test::pattern_bytes;
using test::run_transfer;
using namespace std::chrono_literals;

const SocketAddress kServer = *SocketAddress::parse("10.0.0.2:443");
const SocketAddress kLocal1 = *SocketAddress::parse("10.0.1.1:5001");

struct QlogCapture {
  std::vector<nlohmann::json> events;
  std::function<void(std::string_view)> sink() {
    return [this](std::string_view record) {
      std::string text(record);
      while (!text.empty() && (text.front() == '\x1e' || text.front() == '\n')) text.erase(text.begin());
      if (text.empty()) return;
      auto j = nlohmann::json::parse(text, nullptr, false);
      if (!j.is_discarded()) events.push_back(std::move(j));
    };
  }
  // frame_type -> number of packet_sent events carrying it
  std::map<std::string, int> sent_frame_types() const {
    std::map<std::string, int> out;
    for (auto& e : events) {
      if (e.value("name", "") != "quic:packet_sent" || !e["data"].contains("frames")) continue;
      for (auto& f : e["data"]["frames"]) out[f.value("frame_type", "?")]++;
    }
    return out;
  }
};

TEST(ConnectionQlog, PacketSentListsEveryFrameAndTheClosePacket) {
  PairHarness h(PairHarness::default_options());
  QlogCapture q;
  h.client().set_qlog_sink(q.sink(), h.now());
  ASSERT_TRUE(h.handshake());
  // STREAM data from the client, a DATAGRAM, a second path and its abandonment.
  auto r = run_transfer(h, true, {pattern_bytes(300'000, 41)});
  ASSERT_TRUE(r.ok) << r.failure;
  std::vector<uint8_t> d{1, 2, 3};
  ASSERT_TRUE(h.client().send_datagram(d).has_value());
  h.run_for(50ms);
  auto p1 = h.client().open_path(h.now(), kLocal1, kServer);
  ASSERT_TRUE(p1.has_value()) << p1.error().reason;
  ASSERT_TRUE(h.run_until([&] {
    for (auto& p : h.client().stats().paths)
      if (p.path_id == *p1 && p.state == PathState::kActive) return true;
    return false;
  }, 5s));
  ASSERT_TRUE(h.client().close_path(h.now(), *p1, 0).has_value());
  h.run_for(200ms);
  h.client().close(h.now(), 7, "bye");
  h.run_for(100ms);

  auto types = q.sent_frame_types();
  for (const char* t : {"stream", "datagram", "new_connection_id", "path_challenge", "path_abandon", "path_ack",
                        "connection_close", "crypto", "padding"}) {
    EXPECT_GT(types[t], 0) << "no packet_sent event lists a " << t << " frame";
  }
  // The close packet is a packet_sent of its own, with the application code.
  bool close_logged = false;
  for (auto& e : q.events) {
    if (e.value("name", "") != "quic:packet_sent") continue;
    for (auto& f : e["data"].value("frames", nlohmann::json::array())) {
      if (f.value("frame_type", "") == "connection_close" && f.value("error_code", 0) == 7) close_logged = true;
    }
  }
  EXPECT_TRUE(close_logged);
}

// The sender's recovery metrics over two paths: each path has its own records with its own
// path_id, covering cwnd, RTTs, bytes in flight and pacing rate, and a record only carries a
// field whose value changed on that path since the last record. ACKs name their path too.
TEST(ConnectionQlog, RecoveryMetricsPerPathOnlyOnChange) {
  PairHarness h(PairHarness::default_options());
  QlogCapture q;
  h.client().set_qlog_sink(q.sink(), h.now());
  ASSERT_TRUE(h.handshake());
  h.run_for(50ms);
  auto p1 = h.client().open_path(h.now(), kLocal1, kServer);
  ASSERT_TRUE(p1.has_value()) << p1.error().reason;
  ASSERT_TRUE(h.run_until([&] {
    for (auto& p : h.client().stats().paths)
      if (p.path_id == *p1 && p.state == PathState::kActive) return true;
    return false;
  }, 5s));
  auto r = run_transfer(h, true, {pattern_bytes(2'000'000, 43)});
  ASSERT_TRUE(r.ok) << r.failure;

  std::map<uint64_t, std::map<std::string, nlohmann::json>> last;   // path -> field -> value
  std::map<uint64_t, std::set<std::string>> fields;
  std::set<uint64_t> acked_paths;
  for (auto& e : q.events) {
    const std::string name = e.value("name", "");
    if (name == "quic:packets_acked" && e["data"].contains("path_id")) acked_paths.insert(e["data"]["path_id"].get<uint64_t>());
    if (name != "quic:recovery_metrics_updated") continue;
    ASSERT_TRUE(e["data"].contains("path_id")) << e.dump();
    uint64_t id = e["data"]["path_id"].get<uint64_t>();
    size_t changed = 0;
    for (auto& [k, v] : e["data"].items()) {
      if (k == "path_id") continue;
      auto& before = last[id][k];
      EXPECT_NE(before, v) << "path " << id << " logged " << k << " = " << v << " twice in a row";
      before = v;
      fields[id].insert(k);
      changed++;
    }
    EXPECT_GT(changed, 0u) << "an empty metrics record: " << e.dump();
  }
  for (uint64_t id : {uint64_t{0}, uint64_t{*p1}}) {
    for (const char* f : {"congestion_window", "smoothed_rtt", "min_rtt", "latest_rtt", "bytes_in_flight",
                          "pacing_rate"}) {
      EXPECT_TRUE(fields[id].count(f)) << "path " << id << " never logged " << f;
    }
    EXPECT_TRUE(acked_paths.count(id)) << "no packets_acked names path " << id;
  }
}

}  // namespace
}  // namespace braid

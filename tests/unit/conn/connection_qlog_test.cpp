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
      if (p.id == *p1 && p.state == "active") return true;
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

}  // namespace
}  // namespace braid

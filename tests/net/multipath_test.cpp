// Multipath over real UDP sockets (ports 0 only): a client with two local addresses on
// loopback (127.0.0.2 and 127.0.0.3, one socket each) to a server on 127.0.0.1, directly and
// through an in-process netem relay whose first path is cut mid-transfer.
#include <gtest/gtest.h>

#include <thread>

#include "netem/relay.h"
#include "tests/net/net_support.h"

namespace braid::net_test {
namespace {

using namespace std::chrono_literals;

// Binds a socket on `local` and opens a path from it to `remote`, retrying while the peer's
// CIDs for the new path ID are still on their way (the tool does the same).
std::optional<PathId> open_extra_path(TestClient& client, const SocketAddress& local, const SocketAddress& remote) {
  auto bound = client.driver().add_socket(local);
  EXPECT_TRUE(bound.has_value()) << (bound ? "" : bound.error());
  if (!bound) return std::nullopt;
  std::optional<PathId> id;
  std::string last_error;
  client.run_until(
      [&] {
        if (!client.conn()) return true;
        auto r = client.conn()->open_path(io::monotonic_now(), *bound, remote);
        if (r) {
          id = *r;
          client.driver().service(*client.conn());
          return true;
        }
        last_error = r.error().reason;
        return false;
      },
      2s);
  EXPECT_TRUE(id.has_value()) << last_error;
  return id;
}

bool path_active(Connection* c, PathId id) {
  if (!c) return false;
  for (const auto& p : c->stats().paths) {
    if (p.path_id == id) return p.state == PathState::kActive;
  }
  return false;
}

TEST(Multipath, TwoLocalAddressesBothCarryStreamData) {
  BulkServer server;
  TestClient client(server.address(), TestClient::default_config(), *SocketAddress::parse("127.0.0.2:0"));
  ASSERT_TRUE(client.handshake());
  ASSERT_TRUE(client.conn()->is_multipath());
  auto id = open_extra_path(client, *SocketAddress::parse("127.0.0.3:0"), server.address());
  ASSERT_TRUE(id);
  ASSERT_TRUE(client.run_until([&] { return path_active(client.conn(), *id); }, 3s)) << "path never validated";

  constexpr uint64_t kBytes = 24u << 20;
  StreamId sid = client.request(kBytes);
  ASSERT_TRUE(client.run_until([&] { return client.all_done(); }, 30s));
  const auto& d = client.download(sid);
  ASSERT_TRUE(d.fin);
  EXPECT_EQ(d.bytes, kBytes);
  EXPECT_EQ(d.digest, sha256(std::span(pattern(kBytes)).first(kBytes)));

  auto cs = client.conn()->stats();
  EXPECT_TRUE(cs.multipath);
  ASSERT_EQ(cs.paths.size(), 2u);
  EXPECT_EQ(cs.paths[0].tuple.local.ip_string(), "127.0.0.2");
  EXPECT_EQ(cs.paths[1].tuple.local.ip_string(), "127.0.0.3");
  for (const auto& p : cs.paths) {
    EXPECT_GT(p.stream_bytes_received, 0u) << "path " << p.path_id;
    EXPECT_GT(p.packets_received, 0u) << "path " << p.path_id;
  }
  // The sender's view: both paths carried stream data.
  auto ss = server.connection_stats();
  ASSERT_EQ(ss.size(), 1u);
  ASSERT_EQ(ss[0].paths.size(), 2u);
  for (const auto& p : ss[0].paths) EXPECT_GT(p.stream_bytes_sent, 0u) << "server path " << p.path_id;
  // Both client sockets sent datagrams.
  EXPECT_EQ(client.driver().local_addresses().size(), 2u);
}

TEST(Multipath, CutPathThroughRelayDoesNotFailTheTransfer) {
  BulkServer server;
  netem::RelayConfig rc;
  auto add = [&](uint64_t rate_bps, Duration one_way) {
    netem::PathConfig p;
    p.listen = *SocketAddress::parse("127.0.0.1:0");
    p.target = server.address();
    p.uplink.rate_bps = p.downlink.rate_bps = rate_bps;
    p.uplink.delay = p.downlink.delay = one_way;
    p.uplink.queue_bytes = p.downlink.queue_bytes = 256 * 1024;
    rc.paths.push_back(p);
  };
  add(40'000'000, 5ms);
  add(20'000'000, 10ms);
  rc.output = [](std::string_view) {};
  auto relay = std::move(*netem::Relay::create(rc));
  std::thread relay_thread([&] { (void)relay->run(); });

  TestClient client(relay->listen_address(0), TestClient::default_config(), *SocketAddress::parse("127.0.0.2:0"));
  ASSERT_TRUE(client.handshake());
  auto id = open_extra_path(client, *SocketAddress::parse("127.0.0.3:0"), relay->listen_address(1));
  ASSERT_TRUE(id);
  ASSERT_TRUE(client.run_until([&] { return path_active(client.conn(), *id); }, 3s));

  constexpr uint64_t kBytes = 6u << 20;
  StreamId sid = client.request(kBytes);
  ASSERT_TRUE(client.run_until([&] { return client.download(sid).bytes >= kBytes / 3 || client.all_done(); }, 20s));
  ASSERT_FALSE(client.all_done()) << "finished before the cut; the relay rates are too high";
  relay->post(netem::ControlCommand{netem::ControlCommand::Kind::kDown, 0});  // path 0, both directions
  bool done = client.run_until([&] { return client.all_done() || client.closed(); }, 30s);
  relay->stop();
  relay_thread.join();

  ASSERT_TRUE(done);
  EXPECT_FALSE(client.closed());
  const auto& d = client.download(sid);
  ASSERT_TRUE(d.fin);
  EXPECT_EQ(d.bytes, kBytes);
  EXPECT_EQ(d.digest, sha256(std::span(pattern(kBytes)).first(kBytes)));
  auto cs = client.conn()->stats();
  ASSERT_GE(cs.paths.size(), 2u);
  EXPECT_GT(cs.paths[1].stream_bytes_received, 0u);
}

}  // namespace
}  // namespace braid::net_test

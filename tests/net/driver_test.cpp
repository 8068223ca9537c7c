// EndpointDriver over real UDP on 127.0.0.1: handshake, bulk transfer with GSO/GRO in
// effect, parallel streams and DATAGRAM echo, server on a LoopThread, client on this thread.
#include <gtest/gtest.h>

#include "tests/net/net_support.h"

namespace braid::net_test {
namespace {

TEST(Driver, HandshakeOverRealUdp) {
  BulkServer server;
  TestClient client(server.address());
  ASSERT_TRUE(client.handshake());
  EXPECT_EQ(client.conn()->alpn(), "hq-interop");
  auto stats = client.conn()->stats();
  ASSERT_FALSE(stats.paths.empty());
  EXPECT_GT(stats.paths[0].smoothed_rtt.count(), 0);
}

TEST(Driver, FiftyMegabytesWithGsoAndGro) {
  BulkServer server;
  TestClient client(server.address());
  ASSERT_TRUE(client.handshake());
  constexpr uint64_t kBytes = 50u << 20;
  StreamId id = client.request(kBytes);
  auto start = io::monotonic_now();
  ASSERT_TRUE(client.run_until([&] { return client.all_done(); }, std::chrono::seconds(30)));
  double secs = std::chrono::duration<double>(io::monotonic_now() - start).count();
  const auto& d = client.download(id);
  ASSERT_TRUE(d.fin);
  EXPECT_EQ(d.bytes, kBytes);
  EXPECT_EQ(d.digest, sha256(std::span(pattern(kBytes)).first(kBytes)));
  auto sc = server.counters();
  auto cc = client.driver().socket().counters();
  EXPECT_GT(sc.gso_batches_sent, 0u);
  EXPECT_GT(cc.gro_coalesced_datagrams, 0u);
  std::printf("50 MB in %.3f s = %.2f Gbit/s; server gso batches %llu of %llu sends, client gro %llu/%llu datagrams\n",
              secs, kBytes * 8 / secs / 1e9, (unsigned long long)sc.gso_batches_sent,
              (unsigned long long)sc.send_syscalls, (unsigned long long)cc.gro_coalesced_datagrams,
              (unsigned long long)cc.datagrams_received);
}

TEST(Driver, ParallelStreams) {
  BulkServer server;
  TestClient client(server.address());
  ASSERT_TRUE(client.handshake());
  std::vector<std::pair<StreamId, uint64_t>> reqs;
  for (uint64_t i = 0; i < 8; ++i) {
    uint64_t size = (i + 1) * 300'000 + i;
    reqs.emplace_back(client.request(size), size);
  }
  reqs.emplace_back(client.request(0), 0);
  ASSERT_TRUE(client.run_until([&] { return client.all_done(); }, std::chrono::seconds(20)));
  for (auto [id, size] : reqs) {
    const auto& d = client.download(id);
    EXPECT_TRUE(d.fin) << id;
    EXPECT_EQ(d.bytes, size) << id;
    EXPECT_EQ(d.digest, sha256(std::span(pattern(size)).first(size))) << id;
  }
}

TEST(Driver, DatagramEcho) {
  BulkServer server;
  TestClient client(server.address());
  ASSERT_TRUE(client.handshake());
  ASSERT_GT(client.conn()->max_datagram_payload(), 100u);
  for (int i = 0; i < 10; ++i) {
    std::vector<uint8_t> msg(100 + i, static_cast<uint8_t>(i));
    ASSERT_TRUE(client.conn()->send_datagram(msg).has_value());
  }
  client.driver().service(*client.conn());
  // Loopback rarely loses anything; allow a little anyway since DATAGRAMs are unreliable.
  client.run_until([&] { return client.datagrams().size() >= 10; }, std::chrono::seconds(5));
  ASSERT_GE(client.datagrams().size(), 8u);
  for (auto& d : client.datagrams()) {
    ASSERT_GE(d.size(), 100u);
    EXPECT_EQ(d[0], static_cast<uint8_t>(d.size() - 100));
  }
}

TEST(Driver, ConnectionHandleFromAnotherThread) {
  BulkServer server;
  // The client runs on its own loop thread; the test thread only uses the handle.
  auto thread = std::move(*io::LoopThread::start());
  io::CryptoRandom rng;
  std::unique_ptr<io::EndpointDriver> driver;
  std::atomic<bool> handshake{false};
  std::atomic<uint64_t> received{0};
  std::atomic<bool> fin{false};
  uint64_t id = thread->call([&] {
    io::EndpointDriverOptions o;
    o.bind = *SocketAddress::parse("127.0.0.1:0");
    o.endpoint.accept_connections = false;
    io::DriverCallbacks cb;
    cb.on_event = [&](Connection& c, const ConnectionEvent& ev) {
      if (ev.type == ConnectionEventType::kHandshakeCompleted) handshake = true;
      if (ev.type == ConnectionEventType::kStreamReadable) {
        uint8_t buf[65536];
        bool f = false;
        while (auto n = c.stream_read(ev.stream_id, buf, f)) {
          received += *n;
          if (*n == 0 || f) break;
        }
        if (f) fin = true;
      }
    };
    driver = std::move(*io::EndpointDriver::create(thread->loop(), rng, o, cb));
    auto c = driver->connect(TestClient::default_config(), server.address());
    return c ? driver->id_of(*c) : 0;
  });
  ASSERT_NE(id, 0u);
  io::ConnectionHandle handle(*thread, *driver, id);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!handshake && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_TRUE(handshake);
  handle.post([](Connection& c) {
    auto s = c.open_stream(true);
    std::string req = "GET /123456\r\n";
    (void)c.stream_write(*s, std::span(reinterpret_cast<const uint8_t*>(req.data()), req.size()), true);
  });
  while (!fin && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_TRUE(fin);
  EXPECT_EQ(received.load(), 123456u);
  EXPECT_TRUE(handle.call([](Connection& c) { c.close(io::monotonic_now(), 0, "done"); }));
  thread->call([&] { driver.reset(); });
  thread->stop();
}

}  // namespace
}  // namespace braid::net_test

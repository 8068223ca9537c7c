// braid::Client / braid::Server on loopback: bad input fails at create() with a message
// naming it; commands from several application threads at once (none of them the loop
// thread) echo correctly; run() executes on the loop thread; event_fd() follows the
// queue; a consumer that stops reading stops the transfer (flow control reaches the
// application); a client with a path address ends up with two working paths.
#include <poll.h>
#include <unistd.h>

#include <fstream>

#include "tests/unit/runtime/runtime_support.h"

namespace braid::runtime_test {
namespace {

TEST(Runtime, BadInputFailsAtCreateWithAClearMessage) {
  auto opts = server_options();
  opts.connection.tls.cert_file = "/nonexistent/cert.pem";
  opts.connection.tls.key_file = "/nonexistent/key.pem";
  auto s = Server::create(opts);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ApiErrorCode::kInvalid);
  EXPECT_NE(s.error().reason.find("/nonexistent/cert.pem"), std::string::npos) << s.error().reason;

  auto no_bind = server_options();
  no_bind.bind.reset();
  EXPECT_FALSE(Server::create(no_bind));

  auto bad_sched = client_options();
  bad_sched.connection.scheduler = "no-such-scheduler";
  auto c = Client::create(bad_sched);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ApiErrorCode::kInvalid);
  EXPECT_NE(c.error().reason.find("minrtt"), std::string::npos) << c.error().reason;

  // 192.0.2.1 (TEST-NET-1) is not an address of this machine: binding it fails.
  auto bad_path = client_options();
  bad_path.bind = SocketAddress::v4(127, 0, 0, 1, 0);
  bad_path.path_addresses = {SocketAddress::v4(192, 0, 2, 1, 0)};
  auto p = Client::create(bad_path);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().reason.find("192.0.2.1"), std::string::npos) << p.error().reason;

  auto ok = Client::create(client_options());
  ASSERT_TRUE(ok);
  auto conn = ok->connect(SocketAddress::v4(127, 0, 0, 1, 0));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().code, ApiErrorCode::kInvalid);
  EXPECT_EQ(ok->open_stream(12345).error().code, ApiErrorCode::kNotFound);
}

TEST(Runtime, AFailedHandshakeEndsInKClosedWithItsReason) {
  EchoServer echo;   // offers ALPN "echo" only
  auto client = Client::create(client_options("not-echo"));
  ASSERT_TRUE(client);
  auto conn = client->connect(echo.address());
  ASSERT_TRUE(conn);
  auto closed = wait_for(*client, [](const RuntimeEvent& e) { return e.type == RuntimeEventType::kClosed; });
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->conn, *conn);
  ASSERT_TRUE(closed->error);
  EXPECT_NE(closed->error->code, 0u);
  EXPECT_EQ(client->stats(*conn).error().code, ApiErrorCode::kNotFound);
}

TEST(Runtime, GeneratedCertificateHasAFingerprint) {
  auto s = Server::create(server_options());
  ASSERT_TRUE(s);
  EXPECT_NE(s->local_address().port, 0);
  EXPECT_EQ(s->certificate_fingerprint().size(), 32 * 3 - 1) << s->certificate_fingerprint();
}

TEST(Runtime, CommandsFromManyThreadsEchoEveryStream) {
  EchoServer echo;
  auto client = Client::create(client_options());
  ASSERT_TRUE(client);
  auto conn = client->connect(echo.address());
  ASSERT_TRUE(conn) << conn.error().reason;
  ASSERT_TRUE(wait_for(*client, is_handshake));

  constexpr int kThreads = 4;
  constexpr size_t kBytes = 512 * 1024;
  std::vector<StreamId> ids(kThreads);
  std::vector<std::vector<uint8_t>> sent(kThreads);
  std::atomic<int> failures{0};
  std::atomic<bool> writers_done{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    sent[t] = pattern_bytes(kBytes, static_cast<uint8_t>(t));
    auto s = client->open_stream(*conn);
    ASSERT_TRUE(s) << s.error().reason;
    ids[t] = *s;
  }
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      size_t off = 0;
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (off < kBytes && std::chrono::steady_clock::now() < deadline) {
        size_t len = std::min<size_t>(16384, kBytes - off);
        auto n = client->write(*conn, ids[t], std::span(sent[t]).subspan(off, len), off + len == kBytes);
        if (!n) {
          failures++;
          return;
        }
        off += *n;
        if (*n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (off < kBytes) failures++;
    });
  }
  // A further thread asks for statistics all the while.
  std::thread watcher([&] {
    while (!writers_done) {
      if (!client->stats(*conn)) failures++;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  std::map<StreamId, std::vector<uint8_t>> got;
  int finished = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (finished < kThreads && std::chrono::steady_clock::now() < deadline) {
    auto ev = client->wait_event(std::chrono::milliseconds(20));
    if (!ev || ev->type != RuntimeEventType::kStreamData) continue;
    auto& g = got[ev->stream];
    g.insert(g.end(), ev->data.begin(), ev->data.end());
    if (ev->fin) finished++;
  }
  for (auto& w : writers) w.join();
  writers_done = true;
  watcher.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_EQ(finished, kThreads);
  for (int t = 0; t < kThreads; ++t) EXPECT_TRUE(got[ids[t]] == sent[t]) << "stream " << ids[t];
}

TEST(Runtime, RunExecutesOnTheLoopThreadUntilTheConnectionIsGone) {
  EchoServer echo;
  auto client = Client::create(client_options());
  ASSERT_TRUE(client);
  auto conn = client->connect(echo.address());
  ASSERT_TRUE(conn);
  ASSERT_TRUE(wait_for(*client, is_handshake));
  std::thread::id where;
  bool complete = false;
  ASSERT_TRUE(client->run(*conn, [&](Connection& c) {
    where = std::this_thread::get_id();
    complete = c.is_handshake_complete();
  }));
  EXPECT_NE(where, std::this_thread::get_id());
  EXPECT_TRUE(complete);
  ASSERT_TRUE(client->close(*conn, 7, "test over"));
  ASSERT_TRUE(wait_for(*client, [](const RuntimeEvent& e) { return e.type == RuntimeEventType::kClosed; }));
  auto r = client->run(*conn, [](Connection&) {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ApiErrorCode::kNotFound);
}

TEST(Runtime, EventFdIsReadableExactlyWhileEventsWait) {
  EchoServer echo;
  auto client = Client::create(client_options());
  ASSERT_TRUE(client);
  pollfd p{client->event_fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0);
  ASSERT_TRUE(client->connect(echo.address()));
  p.revents = 0;
  ASSERT_EQ(::poll(&p, 1, 5000), 1);   // the handshake's event
  while (client->poll_event()) {
  }
  p.revents = 0;
  // Nothing more happens on an idle connection for a while (no stream, no path changes).
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  while (client->poll_event()) {
  }
  EXPECT_EQ(::poll(&p, 1, 0), 0);
}

// The echo server does not read the client's queue; a client that does not poll must
// hold back the server's bytes, not buffer them without bound.
TEST(Runtime, AConsumerThatStopsReadingStopsTheTransfer) {
  auto sopts = server_options("bulk");
  auto server = Server::create(sopts);
  ASSERT_TRUE(server);
  auto copts = client_options("bulk");
  copts.max_queued_bytes = 64 * 1024;
  auto client = Client::create(copts);
  ASSERT_TRUE(client);
  auto conn = client->connect(server->local_address());
  ASSERT_TRUE(conn);
  auto accepted = wait_for(*server, [](const RuntimeEvent& e) { return e.type == RuntimeEventType::kAccepted; });
  ASSERT_TRUE(accepted);
  ASSERT_TRUE(wait_for(*server, is_handshake));
  constexpr size_t kTotal = 8u << 20;
  auto s = server->open_stream(accepted->conn);
  ASSERT_TRUE(s);
  auto data = pattern_bytes(kTotal, 9);
  std::atomic<bool> stop{false};
  std::thread sender([&] {
    size_t off = 0;
    while (off < kTotal && !stop) {
      auto n = server->write(accepted->conn, *s, std::span(data).subspan(off, std::min<size_t>(65536, kTotal - off)),
                             off + 65536 >= kTotal);
      if (!n) return;
      off += *n;
      if (*n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto st = client->stats(*conn);
  ASSERT_TRUE(st);
  // The stream's initial window (1 MiB) plus what the queue may hold, not all 8 MiB.
  EXPECT_LT(st->stream_bytes_received, 3u << 20);
  std::vector<uint8_t> got;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool fin = false;
  while (!fin && std::chrono::steady_clock::now() < deadline) {
    auto ev = client->wait_event(std::chrono::milliseconds(20));
    if (!ev || ev->type != RuntimeEventType::kStreamData) continue;
    got.insert(got.end(), ev->data.begin(), ev->data.end());
    fin = ev->fin;
  }
  stop = true;
  sender.join();
  EXPECT_TRUE(fin);
  EXPECT_TRUE(got == data);
}

TEST(Runtime, APathAddressGivesASecondWorkingPath) {
  EchoServer echo;
  auto opts = client_options();
  opts.path_addresses = {SocketAddress::v4(127, 0, 0, 2, 0)};
  auto client = Client::create(opts);
  ASSERT_TRUE(client);
  auto conn = client->connect(echo.address());
  ASSERT_TRUE(conn);
  ASSERT_TRUE(wait_for(*client, is_handshake));
  auto active = wait_for(*client, [](const RuntimeEvent& e) {
    return e.type == RuntimeEventType::kEvent && e.event.type == ConnectionEventType::kPathEvent &&
           e.event.path_id == 1 && e.event.path_state == PathState::kActive;
  });
  ASSERT_TRUE(active);
  auto st = client->stats(*conn);
  ASSERT_TRUE(st);
  ASSERT_EQ(st->paths.size(), 2u);
  EXPECT_EQ(st->paths[1].tuple.local.ip_string(), "127.0.0.2");
  EXPECT_TRUE(st->multipath);
  auto locals = client->local_addresses();
  EXPECT_EQ(locals.size(), 2u);
  // A path opened by command from a third address.
  auto third = client->open_path(*conn, SocketAddress::v4(127, 0, 0, 3, 0));
  ASSERT_TRUE(third) << third.error().reason;
  EXPECT_EQ(*third, 2u);
  ASSERT_TRUE(client->close_path(*conn, 1));
  EXPECT_FALSE(client->close_path(*conn, 99));
}

TEST(Runtime, APathToAServerWithoutMultipathIsReportedNotOpened) {
  auto sopts = server_options();
  sopts.connection.initial_max_path_id = 0;   // multipath not offered
  auto server = Server::create(sopts);
  ASSERT_TRUE(server);
  auto opts = client_options();
  opts.path_addresses = {SocketAddress::v4(127, 0, 0, 2, 0)};
  auto client = Client::create(opts);
  ASSERT_TRUE(client);
  auto conn = client->connect(server->local_address());
  ASSERT_TRUE(conn) << conn.error().reason;
  auto not_opened = wait_for(*client, [](const RuntimeEvent& e) {
    return e.type == RuntimeEventType::kEvent && e.event.type == ConnectionEventType::kPathEvent &&
           e.event.path_change == PathChange::kNotOpened;
  });
  ASSERT_TRUE(not_opened);
  auto st = client->stats(*conn);
  ASSERT_TRUE(st);
  EXPECT_FALSE(st->multipath);
  EXPECT_EQ(st->paths.size(), 1u);
}


// Address advertisement over real sockets: the server listens on a second loopback address
// it advertises (port 0: the bound port is what is told), the client hears it and opens a
// path there; a client that does not offer the extension hears nothing.
TEST(Runtime, AnAdvertisedServerAddressCarriesASecondPath) {
  auto sopts = server_options();
  sopts.connection.advertise_addresses = {SocketAddress::v4(127, 0, 0, 4, 0)};
  auto server = Server::create(sopts);
  ASSERT_TRUE(server) << server.error().reason;
  auto opts = client_options();
  opts.connection.accept_advertised_addresses = 2;
  auto client = Client::create(opts);
  ASSERT_TRUE(client);
  auto conn = client->connect(server->local_address());
  ASSERT_TRUE(conn) << conn.error().reason;
  auto told = wait_for(*client, [](const RuntimeEvent& e) {
    return e.type == RuntimeEventType::kEvent && e.event.type == ConnectionEventType::kAddressAdvertised;
  });
  ASSERT_TRUE(told);
  SocketAddress advertised = told->event.address;
  EXPECT_EQ(advertised.ip_string(), "127.0.0.4");
  EXPECT_NE(advertised.port, 0);
  auto locals = client->local_addresses();
  ASSERT_FALSE(locals.empty());
  auto p = client->open_path(*conn, locals.front(), advertised);
  ASSERT_TRUE(p) << p.error().reason;
  auto active = wait_for(*client, [&](const RuntimeEvent& e) {
    return e.type == RuntimeEventType::kEvent && e.event.type == ConnectionEventType::kPathEvent &&
           e.event.path_id == *p && e.event.path_state == PathState::kActive;
  });
  ASSERT_TRUE(active);
  auto st = client->stats(*conn);
  ASSERT_TRUE(st);
  EXPECT_TRUE(st->address_advertisement);
  ASSERT_EQ(st->paths.size(), 2u);
  EXPECT_EQ(st->paths[1].tuple.remote, advertised);

  auto plain = Client::create(client_options());
  ASSERT_TRUE(plain);
  auto c2 = plain->connect(server->local_address());
  ASSERT_TRUE(c2);
  ASSERT_TRUE(wait_for(*plain, is_handshake));
  auto none = wait_for(*plain, [](const RuntimeEvent& e) {
    return e.type == RuntimeEventType::kEvent && e.event.type == ConnectionEventType::kAddressAdvertised;
  }, std::chrono::milliseconds(300));
  EXPECT_FALSE(none);
  auto st2 = plain->stats(*c2);
  ASSERT_TRUE(st2);
  EXPECT_FALSE(st2->address_advertisement);
}

}  // namespace
}  // namespace braid::runtime_test

// DATAGRAM ping/pong (RFC 9221) on the braid runtime. The server answers every "ping N"
// with "pong N"; the client sends pings one after another, resends one that got no answer
// within 200 ms (DATAGRAMs are unreliable), and prints each round trip.
//
//   datagram_app server [LISTEN_ADDRESS]        (default 127.0.0.1:0; prints the address)
//   datagram_app client SERVER:PORT [COUNT]     (default 5 pings; exit 0 when all answered)
#include <braid/runtime.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "example_signals.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kAlpn = "braid-dgram-example";

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

int run_server(const char* listen_text) {
  auto listen = braid::SocketAddress::parse(listen_text);
  if (!listen) return std::fprintf(stderr, "bad listen address\n"), 2;
  braid::RuntimeOptions opts;
  opts.bind = *listen;
  opts.connection.tls.alpn = {kAlpn};
  auto server = braid::Server::create(opts);
  if (!server) return std::fprintf(stderr, "server: %s\n", server.error().reason.c_str()), 1;
  std::printf("listening on %s\n", server->local_address().to_string().c_str());
  std::fflush(stdout);
  example::stop_on_signals();
  while (!example::stop_requested) {
    auto ev = server->wait_event(std::chrono::milliseconds(100));
    if (!ev || ev->type != braid::RuntimeEventType::kDatagram) continue;
    std::string text(ev->data.begin(), ev->data.end());
    if (text.rfind("ping ", 0) != 0) continue;
    (void)server->send_datagram(ev->conn, bytes("pong " + text.substr(5)));
  }
  return 0;
}

int run_client(const char* server_text, int count) {
  auto remote = braid::SocketAddress::parse(server_text);
  if (!remote || count <= 0) return std::fprintf(stderr, "bad arguments\n"), 2;
  braid::RuntimeOptions opts;
  opts.connection.tls.alpn = {kAlpn};
  opts.connection.tls.insecure = true;   // the example server's certificate is self-signed
  auto client = braid::Client::create(opts);
  if (!client) return std::fprintf(stderr, "client: %s\n", client.error().reason.c_str()), 1;
  auto conn = client->connect(*remote);
  if (!conn) return std::fprintf(stderr, "connect: %s\n", conn.error().reason.c_str()), 1;

  bool ready = false;
  int next = 1;                 // the ping waiting for its pong
  Clock::time_point first_sent{}, last_sent{};
  auto give_up = Clock::now() + std::chrono::seconds(20);
  while (next <= count && Clock::now() < give_up) {
    if (ready && Clock::now() - last_sent > std::chrono::milliseconds(200)) {
      if (auto s = client->send_datagram(*conn, bytes("ping " + std::to_string(next))); !s) {
        std::fprintf(stderr, "send_datagram: %s\n", s.error().reason.c_str());
        return 1;
      }
      last_sent = Clock::now();
      if (first_sent == Clock::time_point{}) first_sent = last_sent;
    }
    auto ev = client->wait_event(std::chrono::milliseconds(20));
    if (!ev) continue;
    if (ev->type == braid::RuntimeEventType::kClosed) {
      std::fprintf(stderr, "connection closed: %s\n", ev->error ? ev->error->reason.c_str() : "no reason");
      return 1;
    }
    if (ev->type == braid::RuntimeEventType::kEvent &&
        ev->event.type == braid::ConnectionEventType::kHandshakeCompleted) {
      ready = true;
    }
    if (ev->type != braid::RuntimeEventType::kDatagram) continue;
    std::string text(ev->data.begin(), ev->data.end());
    if (text != "pong " + std::to_string(next)) continue;   // a late answer to a resent ping
    auto rtt = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - first_sent);
    std::printf("%s rtt_us=%lld\n", text.c_str(), static_cast<long long>(rtt.count()));
    ++next;
    first_sent = last_sent = Clock::time_point{};
  }
  (void)client->close(*conn);
  std::printf("received %d/%d pongs\n", next - 1, count);
  return next > count ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "server") return run_server(argc > 2 ? argv[2] : "127.0.0.1:0");
  if (mode == "client" && argc > 2) return run_client(argv[2], argc > 3 ? std::atoi(argv[3]) : 5);
  std::fprintf(stderr, "usage: %s server [LISTEN] | client SERVER:PORT [COUNT]\n", argv[0]);
  return 2;
}

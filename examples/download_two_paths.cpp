// Downloads one file from a `braid server` (hq-interop: "GET /name" on a bidirectional
// stream, the body back until FIN) over two paths: path 0 from the route's source address
// and a second path from another local address, opened by the runtime after the
// handshake. Prints per-path statistics, so you can see both paths carried the file.
//
//   download_two_paths 127.0.0.1:4433 /file.bin out.bin [127.0.0.2]
#include <braid/runtime.h>

#include <cstdio>
#include <fstream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s SERVER:PORT /NAME OUTPUT [SECOND_LOCAL_ADDRESS]\n", argv[0]);
    return 2;
  }
  auto server = braid::SocketAddress::parse(argv[1]);
  auto second = braid::SocketAddress::parse(argc > 4 ? argv[4] : "127.0.0.2");
  if (!server || !second) {
    std::fprintf(stderr, "bad address\n");
    return 2;
  }
  std::string request = std::string("GET ") + argv[2] + "\r\n";
  std::ofstream out(argv[3], std::ios::binary | std::ios::trunc);
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", argv[3]);
    return 1;
  }

  braid::RuntimeOptions opts;
  opts.connection.tls.alpn = {"hq-interop"};
  opts.connection.tls.insecure = true;   // the test server's certificate is self-signed
  opts.path_addresses = {*second};       // one more path, opened after the handshake
  auto client = braid::Client::create(opts);
  if (!client) {
    std::fprintf(stderr, "client: %s\n", client.error().reason.c_str());
    return 1;
  }
  auto conn = client->connect(*server);
  if (!conn) {
    std::fprintf(stderr, "connect: %s\n", conn.error().reason.c_str());
    return 1;
  }

  uint64_t bytes = 0;
  bool done = false;
  std::string failure;
  std::optional<braid::StreamId> stream;
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!done && failure.empty() && std::chrono::steady_clock::now() < give_up) {
    auto ev = client->wait_event(std::chrono::milliseconds(200));
    if (!ev) continue;
    switch (ev->type) {
      case braid::RuntimeEventType::kEvent:
        if (ev->event.type == braid::ConnectionEventType::kHandshakeCompleted) {
          auto s = client->open_stream(*conn);
          if (!s) {
            failure = "open_stream: " + s.error().reason;
            break;
          }
          stream = *s;
          auto n = client->write(*conn, *s, request, /*fin=*/true);
          if (!n || *n != request.size()) failure = "cannot send the request";
        } else if (ev->event.type == braid::ConnectionEventType::kStreamReset && ev->event.stream_id == stream) {
          failure = "the server refused the request (error " + std::to_string(ev->event.error_code) + ")";
        } else if (ev->event.type == braid::ConnectionEventType::kPathEvent) {
          std::printf("path %u: %s\n", ev->event.path_id, ev->event.detail.c_str());
        }
        break;
      case braid::RuntimeEventType::kStreamData:
        if (ev->stream != stream) break;
        out.write(reinterpret_cast<const char*>(ev->data.data()), static_cast<std::streamsize>(ev->data.size()));
        bytes += ev->data.size();
        done = ev->fin;
        break;
      case braid::RuntimeEventType::kClosed:
        failure = "connection closed: " + (ev->error ? ev->error->reason : std::string("no reason"));
        break;
      default:
        break;
    }
  }
  if (!done && failure.empty()) failure = "timed out";
  out.close();
  if (auto st = client->stats(*conn)) {
    for (const auto& p : st->paths) {
      std::printf("path %u %s -> %s state=%s srtt_us=%lld stream_bytes_received=%llu packets_received=%llu\n",
                  p.path_id, p.tuple.local.to_string().c_str(), p.tuple.remote.to_string().c_str(),
                  std::string(braid::path_state_name(p.state)).c_str(),
                  static_cast<long long>(braid::to_us(p.smoothed_rtt)),
                  static_cast<unsigned long long>(p.stream_bytes_received),
                  static_cast<unsigned long long>(p.packets_received));
    }
  }
  (void)client->close(*conn);
  if (!failure.empty()) {
    std::fprintf(stderr, "download failed: %s\n", failure.c_str());
    return 1;
  }
  std::printf("downloaded %llu bytes into %s\n", static_cast<unsigned long long>(bytes), argv[3]);
  return 0;
}

// An echo server on the braid runtime: every byte a client sends on a stream comes back on
// that stream, and the client's FIN ends the echo. Writes the stream does not take yet
// wait for kStreamWritable. ALPN "echo"; a self-signed certificate is generated.
//
//   echo_server [LISTEN_ADDRESS]      (default 127.0.0.1:0; prints the bound address)
#include <braid/runtime.h>

#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "example_signals.h"

namespace {

struct Pending {
  std::vector<uint8_t> bytes;   // received, not yet accepted by the stream
  bool fin = false;             // the client's FIN arrived: send ours after the bytes
  bool done = false;
};

// Writes what the stream takes; keeps the rest for the next kStreamWritable.
void flush(braid::Server& server, braid::ConnId c, braid::StreamId s, Pending& p) {
  if (p.done) return;
  auto n = server.write(c, s, p.bytes, p.fin);
  if (!n) {
    p.done = true;   // reset by the client or the connection is closing
    return;
  }
  p.bytes.erase(p.bytes.begin(), p.bytes.begin() + static_cast<std::ptrdiff_t>(*n));
  if (p.fin && p.bytes.empty()) p.done = true;
}

}  // namespace

int main(int argc, char** argv) {
  auto listen = braid::SocketAddress::parse(argc > 1 ? argv[1] : "127.0.0.1:0");
  if (!listen) {
    std::fprintf(stderr, "bad listen address\n");
    return 2;
  }
  braid::RuntimeOptions opts;
  opts.bind = *listen;
  opts.connection.tls.alpn = {"echo"};
  auto server = braid::Server::create(opts);
  if (!server) {
    std::fprintf(stderr, "server: %s\n", server.error().reason.c_str());
    return 1;
  }
  std::printf("listening on %s\n", server->local_address().to_string().c_str());
  std::fflush(stdout);
  example::stop_on_signals();

  std::map<std::pair<braid::ConnId, braid::StreamId>, Pending> streams;
  while (!example::stop_requested) {
    auto ev = server->wait_event(std::chrono::milliseconds(100));
    if (!ev) continue;
    if (ev->type == braid::RuntimeEventType::kStreamData) {
      auto& p = streams[{ev->conn, ev->stream}];
      p.bytes.insert(p.bytes.end(), ev->data.begin(), ev->data.end());
      p.fin = p.fin || ev->fin;
      flush(*server, ev->conn, ev->stream, p);
    } else if (ev->type == braid::RuntimeEventType::kEvent &&
               ev->event.type == braid::ConnectionEventType::kStreamWritable) {
      if (auto it = streams.find({ev->conn, ev->event.stream_id}); it != streams.end()) {
        flush(*server, ev->conn, ev->event.stream_id, it->second);
      }
    } else if (ev->type == braid::RuntimeEventType::kClosed) {
      std::erase_if(streams, [&](const auto& kv) { return kv.first.first == ev->conn; });
    }
    std::erase_if(streams, [](const auto& kv) { return kv.second.done; });
  }
  std::printf("echo server stopped\n");
  return 0;
}

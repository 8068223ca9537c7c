// Helpers for the runtime tests: a loopback echo server on braid::Server run by a thread of
// its own (the application side), and event waiting with a deadline.
#pragma once
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "braid/runtime.h"

namespace braid::runtime_test {

inline RuntimeOptions client_options(std::string alpn = "echo") {
  RuntimeOptions o;
  o.connection.tls.alpn = {std::move(alpn)};
  o.connection.tls.insecure = true;
  return o;
}

inline RuntimeOptions server_options(std::string alpn = "echo") {
  RuntimeOptions o;
  o.bind = SocketAddress::v4(127, 0, 0, 1, 0);
  o.connection.tls.alpn = {std::move(alpn)};
  return o;
}

// Echoes every stream (FIN included) from a thread that consumes the server's queue.
class EchoServer {
 public:
  EchoServer() {
    auto s = Server::create(server_options());
    EXPECT_TRUE(s) << (s ? "" : s.error().reason);
    server_.emplace(std::move(*s));
    thread_ = std::thread([this] { run(); });
  }
  ~EchoServer() {
    stop_ = true;
    thread_.join();
  }
  SocketAddress address() { return server_->local_address(); }
  Server& server() { return *server_; }

 private:
  struct Pending {
    std::vector<uint8_t> bytes;
    bool fin = false, done = false;
  };
  void flush(ConnId c, StreamId s, Pending& p) {
    if (p.done) return;
    auto n = server_->write(c, s, p.bytes, p.fin);
    if (!n) {
      p.done = true;
      return;
    }
    p.bytes.erase(p.bytes.begin(), p.bytes.begin() + static_cast<std::ptrdiff_t>(*n));
    if (p.fin && p.bytes.empty()) p.done = true;
  }
  void run() {
    std::map<std::pair<ConnId, StreamId>, Pending> streams;
    while (!stop_) {
      auto ev = server_->wait_event(std::chrono::milliseconds(20));
      if (!ev) continue;
      if (ev->type == RuntimeEventType::kStreamData) {
        auto& p = streams[{ev->conn, ev->stream}];
        p.bytes.insert(p.bytes.end(), ev->data.begin(), ev->data.end());
        p.fin = p.fin || ev->fin;
        flush(ev->conn, ev->stream, p);
      } else if (ev->type == RuntimeEventType::kEvent && ev->event.type == ConnectionEventType::kStreamWritable) {
        if (auto it = streams.find({ev->conn, ev->event.stream_id}); it != streams.end()) {
          flush(ev->conn, ev->event.stream_id, it->second);
        }
      }
    }
  }
  std::optional<Server> server_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Takes events until `pred` accepts one or `limit` passes; the others are dropped.
template <typename Pred>
std::optional<RuntimeEvent> wait_for(Runtime& rt, Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto ev = rt.wait_event(std::chrono::milliseconds(20));
    if (ev && pred(*ev)) return ev;
  }
  return std::nullopt;
}

inline bool is_handshake(const RuntimeEvent& ev) {
  return ev.type == RuntimeEventType::kEvent && ev.event.type == ConnectionEventType::kHandshakeCompleted;
}

inline std::vector<uint8_t> pattern_bytes(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 31 + seed + (i >> 12));
  return v;
}

}  // namespace braid::runtime_test

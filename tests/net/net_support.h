// Real-socket test fixtures on 127.0.0.1 (port 0 only): a bulk server on its own loop
// thread that answers "GET /<bytes>" with a deterministic pattern and echoes DATAGRAMs, and
// a client driven on the test thread that downloads into SHA-256 digests.
#pragma once
#include <gnutls/crypto.h>
#include <gtest/gtest.h>

#include <array>
#include <charconv>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "braid/connection.h"
#include "core/crypto/tls_session.h"
#include "io/crypto_random.h"
#include "io/endpoint_driver.h"
#include "io/loop_thread.h"
#include "io/monotonic_clock.h"

namespace braid::net_test {

using Digest = std::array<uint8_t, 32>;

// Byte i of every response: a cheap pattern that still catches reordering and loss.
inline uint8_t pattern_byte(uint64_t i) { return static_cast<uint8_t>((i * 2654435761ULL) >> 13); }

inline const std::vector<uint8_t>& pattern(size_t n) {
  static std::vector<uint8_t> p;
  if (p.size() < n) {
    p.resize(n);
    for (size_t i = 0; i < n; ++i) p[i] = pattern_byte(i);
  }
  return p;
}

inline Digest sha256(std::span<const uint8_t> data) {
  Digest d{};
  gnutls_hash_fast(GNUTLS_DIG_SHA256, data.data(), data.size(), d.data());
  return d;
}

inline const crypto::GeneratedCertificate& certificate() {
  static crypto::GeneratedCertificate cert = *crypto::generate_self_signed({"localhost", "127.0.0.1"}, 7, 1700000000, 365);
  return cert;
}

class BulkServer {
 public:
  BulkServer() {
    pattern(kPatternBytes);  // built before the loop thread reads it
    thread_ = std::move(*io::LoopThread::start());
    bool ok = thread_->call([&] {
      io::EndpointDriverOptions o;
      o.bind = *SocketAddress::parse("127.0.0.1:0");
      o.endpoint.connection.tls.cert_pem = certificate().cert_pem;
      o.endpoint.connection.tls.key_pem = certificate().key_pem;
      o.endpoint.connection.tls.alpn = {"hq-interop"};
      io::DriverCallbacks cb;
      cb.on_event = [this](Connection& c, const ConnectionEvent& ev) { on_event(c, ev); };
      cb.on_service = [this](Connection& c) { top_up(c); };
      cb.on_closed = [this](Connection& c) { std::erase_if(streams_, [&](auto& kv) { return kv.first.first == &c; }); };
      auto d = io::EndpointDriver::create(thread_->loop(), rng_, o, cb);
      if (!d) return false;
      driver_ = std::move(*d);
      return true;
    });
    EXPECT_TRUE(ok);
  }
  ~BulkServer() {
    thread_->call([&] { driver_.reset(); });
    thread_->stop();
  }
  SocketAddress address() { return thread_->call([&] { return driver_->local_address(); }); }
  // Statistics of every live server-side connection.
  std::vector<ConnectionStats> connection_stats() {
    return thread_->call([&] {
      std::vector<ConnectionStats> out;
      for (Connection* c : driver_->endpoint().connections()) out.push_back(c->stats());
      return out;
    });
  }
  io::UdpSocketCounters counters() { return thread_->call([&] { return driver_->socket().counters(); }); }
  io::LoopThread& thread() { return *thread_; }

 private:
  struct Response {
    std::string request;
    uint64_t size = 0, sent = 0;
    bool started = false;
  };

  void on_event(Connection& c, const ConnectionEvent& ev) {
    if (ev.type == ConnectionEventType::kStreamReadable) {
      auto& r = streams_[{&c, ev.stream_id}];
      uint8_t buf[256];
      bool fin = false;
      for (;;) {
        auto n = c.stream_read(ev.stream_id, buf, fin);
        if (!n || *n == 0) break;
        r.request.append(reinterpret_cast<char*>(buf), *n);
      }
      if (!r.started && (fin || r.request.find('\n') != std::string::npos)) {
        r.started = true;
        auto slash = r.request.find('/');
        std::string_view num(r.request);
        num = num.substr(slash + 1);
        std::from_chars(num.data(), num.data() + num.size(), r.size);
      }
    } else if (ev.type == ConnectionEventType::kDatagramReceived) {
      while (auto d = c.recv_datagram()) (void)c.send_datagram(*d);
    }
  }

  void top_up(Connection& c) {
    const auto& p = pattern(kPatternBytes);
    for (auto& [key, r] : streams_) {
      if (key.first != &c || !r.started || r.sent > r.size) continue;
      r.size = std::min<uint64_t>(r.size, kPatternBytes);
      while (r.sent <= r.size) {
        uint64_t left = r.size - r.sent;
        size_t chunk = static_cast<size_t>(std::min<uint64_t>(left, 256 * 1024));
        // The pattern depends on the absolute offset; responses are at most kPatternBytes.
        std::span<const uint8_t> data(p.data() + r.sent, chunk);
        auto n = c.stream_write(key.second, data, chunk == left);
        if (!n) { r.sent = r.size + 1; break; }
        r.sent += *n;
        if (*n == chunk && chunk == left) { r.sent = r.size + 1; break; }
        if (*n < chunk) break;
      }
    }
  }

 public:
  static constexpr size_t kPatternBytes = 64u << 20;  // largest response size served

 private:
  io::CryptoRandom rng_;
  std::unique_ptr<io::LoopThread> thread_;
  std::unique_ptr<io::EndpointDriver> driver_;
  std::map<std::pair<Connection*, StreamId>, Response> streams_;
};

// A client connection driven on the calling thread.
class TestClient {
 public:
  explicit TestClient(SocketAddress server, ConnectionConfig cfg = default_config(),
                      SocketAddress bind = *SocketAddress::parse("127.0.0.1:0")) {
    loop_ = std::move(*io::EventLoop::create());
    io::EndpointDriverOptions o;
    o.bind = bind;
    o.endpoint.accept_connections = false;
    io::DriverCallbacks cb;
    cb.on_event = [this](Connection& c, const ConnectionEvent& ev) { on_event(c, ev); };
    cb.on_closed = [this](Connection& c) {
      closed_ = true;
      close_reason_ = c.close_reason();
      conn_ = nullptr;
    };
    driver_ = std::move(*io::EndpointDriver::create(*loop_, rng_, o, cb));
    auto c = driver_->connect(cfg, server);
    EXPECT_TRUE(c.has_value());
    if (c) conn_ = *c;
  }

  static ConnectionConfig default_config() {
    ConnectionConfig cfg;
    cfg.tls.insecure = true;
    cfg.tls.alpn = {"hq-interop"};
    return cfg;
  }

  bool run_until(const std::function<bool()>& done, Duration limit) {
    return loop_->run_until(done, io::monotonic_now() + limit);
  }
  bool handshake(Duration limit = std::chrono::seconds(5)) {
    return run_until([&] { return !conn_ || conn_->is_handshake_complete(); }, limit) && conn_ &&
           conn_->is_handshake_complete();
  }

  // Opens a stream asking for `bytes`; returns its id.
  StreamId request(uint64_t bytes) {
    auto id = conn_->open_stream(true);
    EXPECT_TRUE(id.has_value());
    std::string req = "GET /" + std::to_string(bytes) + "\r\n";
    auto n = conn_->stream_write(*id, std::span(reinterpret_cast<const uint8_t*>(req.data()), req.size()), true);
    EXPECT_TRUE(n.has_value());
    auto& d = downloads_[*id];
    gnutls_hash_init(&d.hash, GNUTLS_DIG_SHA256);
    driver_->service(*conn_);
    return *id;
  }

  struct Download {
    gnutls_hash_hd_t hash = nullptr;
    uint64_t bytes = 0;
    bool fin = false;
    bool reset = false;
    Digest digest{};
  };

  bool all_done() const {
    for (auto& [id, d] : downloads_) if (!d.fin && !d.reset) return false;
    return true;
  }
  const Download& download(StreamId id) { return downloads_.at(id); }
  Connection* conn() { return conn_; }
  io::EndpointDriver& driver() { return *driver_; }
  std::vector<std::vector<uint8_t>>& datagrams() { return datagrams_; }
  bool closed() const { return closed_; }

 private:
  void on_event(Connection& c, const ConnectionEvent& ev) {
    if (ev.type == ConnectionEventType::kStreamReadable) {
      auto it = downloads_.find(ev.stream_id);
      if (it == downloads_.end()) return;
      auto& d = it->second;
      std::vector<uint8_t>& buf = buf_;
      buf.resize(256 * 1024);
      bool fin = false;
      for (;;) {
        auto n = c.stream_read(ev.stream_id, buf, fin);
        if (!n) break;
        if (*n) {
          gnutls_hash(d.hash, buf.data(), *n);
          d.bytes += *n;
        }
        if (fin || *n == 0) break;
      }
      if (fin && !d.fin) {
        d.fin = true;
        gnutls_hash_deinit(d.hash, d.digest.data());
        d.hash = nullptr;
      }
    } else if (ev.type == ConnectionEventType::kStreamReset) {
      if (auto it = downloads_.find(ev.stream_id); it != downloads_.end()) it->second.reset = true;
    } else if (ev.type == ConnectionEventType::kDatagramReceived) {
      while (auto d = c.recv_datagram()) datagrams_.push_back(std::move(*d));
    }
  }

  io::CryptoRandom rng_;
  std::unique_ptr<io::EventLoop> loop_;
  std::unique_ptr<io::EndpointDriver> driver_;
  Connection* conn_ = nullptr;
  bool closed_ = false;
  std::optional<TransportError> close_reason_;
  std::map<StreamId, Download> downloads_;
  std::vector<std::vector<uint8_t>> datagrams_;
  std::vector<uint8_t> buf_;
};

}  // namespace braid::net_test

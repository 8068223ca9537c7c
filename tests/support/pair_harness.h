// Test harness: a client connection and a server endpoint exchanging datagrams in virtual
// time over a simple lossy, reordering, delaying link. Deterministic for a given seed.
#pragma once
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <vector>

#include "braid/connection.h"
#include "braid/endpoint.h"
#include "core/crypto/tls_session.h"

namespace braid::test {

inline const crypto::GeneratedCertificate& test_certificate() {
  static crypto::GeneratedCertificate cert = [] {
    auto c = crypto::generate_self_signed({"localhost"}, 1, 1700000000, 365);
    EXPECT_TRUE(c.has_value());
    return *c;
  }();
  return cert;
}

struct LinkParams {
  Duration delay = std::chrono::milliseconds(10);   // one way
  double loss = 0.0;
  double reorder = 0.0;                              // probability of extra delay
  Duration reorder_delay = std::chrono::milliseconds(5);
  uint64_t rate_bps = 0;                             // 0 = unlimited
  bool bleach_ecn = false;                           // clear ECN bits (ECN-hostile middlebox)
  double ce_mark = 0.0;                              // probability an ECT packet gets CE
  size_t queue_packets = 0;                          // drop-tail bound (0 = unbounded)
};

class PairHarness {
 public:
  struct Options {
    ConnectionConfig client;
    ConnectionConfig server;
    LinkParams link;
    bool require_retry = false;
    uint64_t seed = 1;
    // Optional: builds the client instead of Connection::connect (test hooks).
    std::function<Result<std::unique_ptr<Connection>>(TimePoint, const ConnectionConfig&, const PathTuple&, Random&)>
        make_client;
  };

  static Options default_options() {
    Options o;
    o.client.tls.insecure = true;
    o.server.tls.cert_pem = test_certificate().cert_pem;
    o.server.tls.key_pem = test_certificate().key_pem;
    return o;
  }

  explicit PairHarness(Options o)
      : opts_(std::move(o)), rng_(opts_.seed), link_rng_(opts_.seed * 7919 + 1) {
    now_ = time_from_us(1'000'000);
    EndpointConfig ec;
    ec.connection = opts_.server;
    ec.require_retry = opts_.require_retry;
    server_ = std::make_unique<Endpoint>(ec, rng_);
    client_tuple_.local = *SocketAddress::parse("10.0.0.1:5000");
    client_tuple_.remote = *SocketAddress::parse("10.0.0.2:443");
    auto c = opts_.make_client ? opts_.make_client(now_, opts_.client, client_tuple_, rng_)
                               : Connection::connect(now_, opts_.client, client_tuple_, rng_);
    EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().reason);
    if (c) client_ = std::move(*c);
  }

  Connection& client() { return *client_; }
  Connection* server_conn() {
    if (!server_conn_) server_conn_ = server_->accept();
    return server_conn_;
  }
  Endpoint& endpoint() { return *server_; }
  TimePoint now() const { return now_; }
  LinkParams& link() { return opts_.link; }
  PathTuple& client_tuple() { return client_tuple_; }
  uint64_t delivered_to_server() const { return delivered_to_server_; }
  // Per-path links, keyed by the client's local address (default: the `link` option).
  void set_path_link(const SocketAddress& client_local, const LinkParams& l) { path_links_[client_local] = l; }
  // Drops everything to and from this client address while present (path blackhole).
  std::set<SocketAddress> blackholed;
  // Drops client datagrams addressed to this server address (unreachable address).
  std::optional<SocketAddress> drop_to_server_address;
  // Per-address NAT rebinding: datagrams from `key` appear to come from the mapped address.
  std::map<SocketAddress, SocketAddress> nat;
  // NAT rebinding: datagrams from the client appear to come from this address.
  std::optional<SocketAddress> rewrite_client_source;
  // Server crash: all connection state is lost; the endpoint (and its reset key) remain.
  void forget_server_connections() { forgotten_ = true; }
  // Drops every datagram while set (blackhole).
  bool blackhole = false;
  // Hook: inspect/modify datagrams client->server before delivery; return false to drop.
  std::function<bool(std::vector<uint8_t>&)> client_to_server_filter;
  std::function<bool(std::vector<uint8_t>&)> server_to_client_filter;
  // Hook: sees every datagram as sent (before loss), with the sender's tuple; return false
  // to drop it (PacketObserver decrypts through this).
  std::function<bool(bool from_client, const PathTuple& sender, std::span<const uint8_t> bytes)> tap;

  // Runs until `done` returns true or `limit` of virtual time passes. Returns done().
  bool run_until(const std::function<bool()>& done, Duration limit = std::chrono::seconds(30)) {
    TimePoint end = now_ + limit;
    for (int iter = 0; iter < 5'000'000; ++iter) {
      if (done()) return true;
      flush();
      if (done()) return true;
      TimePoint next = next_event_time();
      if (next == kNever || next > end) {
        now_ = end;
        return done();
      }
      now_ = std::max(now_, next);
      deliver_due();
      fire_timers();
    }
    return done();
  }

  void run_for(Duration d) {
    TimePoint end = now_ + d;
    run_until([&] { return now_ >= end; }, d);
  }

  bool handshake() {
    return run_until([&] {
      return client_->is_handshake_complete() && server_conn() && server_conn()->is_handshake_complete();
    });
  }

  void flush() {
    std::vector<uint8_t> buf(65536);
    for (int guard = 0; guard < 100000; ++guard) {
      bool any = false;
      if (auto t = client_->poll_transmit(now_, buf, 1)) {
        send(true, t->tuple, {buf.data(), t->length}, t->ecn);
        any = true;
      }
      while (auto s = server_->poll_stateless(buf)) {
        send(false, s->tuple, {buf.data(), s->length});
        any = true;
      }
      for (auto* c : server_->connections()) {
        if (auto t = c->poll_transmit(now_, buf, 1)) {
          send(false, t->tuple, {buf.data(), t->length}, t->ecn);
          any = true;
        }
      }
      if (!any) break;
    }
  }

 private:
  struct InFlight {
    TimePoint at;
    uint64_t seq;
    bool to_server;
    PathTuple tuple;   // as seen by the receiver
    std::vector<uint8_t> bytes;
    uint8_t ecn = 0;
    bool operator>(const InFlight& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  double uniform() { return static_cast<double>(link_rng_.next_u64() >> 11) / 9007199254740992.0; }

  void send(bool from_client, const PathTuple& sender_tuple, std::span<const uint8_t> bytes, uint8_t ecn = 0) {
    {
      SocketAddress ca = from_client ? sender_tuple.local : sender_tuple.remote;
      auto li = path_links_.find(ca);
      const LinkParams& l = li == path_links_.end() ? opts_.link : li->second;
      if (l.bleach_ecn) ecn = 0;
      if (ecn && l.ce_mark > 0 && uniform() < l.ce_mark) ecn = 3;
    }
    if (std::getenv("BRAID_TRACE")) {
      fprintf(stderr, "[%8.3f ms] %s %zu bytes first=0x%02x\n", to_us(now_) / 1000.0 - 1000,
              from_client ? "C->S" : "S->C", bytes.size(), bytes.empty() ? 0 : bytes[0]);
    }
    if (tap && !tap(from_client, sender_tuple, bytes)) return;
    if (blackhole) return;
    if (from_client && drop_to_server_address && sender_tuple.remote == *drop_to_server_address) return;
    SocketAddress client_addr = from_client ? sender_tuple.local : sender_tuple.remote;
    if (blackholed.count(client_addr)) return;
    auto lit = path_links_.find(client_addr);
    const LinkParams& link = lit == path_links_.end() ? opts_.link : lit->second;
    if (link.loss > 0 && uniform() < link.loss) return;
    std::vector<uint8_t> v(bytes.begin(), bytes.end());
    if (from_client && client_to_server_filter && !client_to_server_filter(v)) return;
    if (!from_client && server_to_client_filter && !server_to_client_filter(v)) return;
    auto& busy_pair = busy_[client_addr];
    TimePoint& busy = from_client ? busy_pair.first : busy_pair.second;
    TimePoint start = std::max(now_, busy);
    if (link.rate_bps) {
      auto ser = std::chrono::nanoseconds(static_cast<int64_t>(v.size() * 8 * 1e9 / link.rate_bps));
      if (link.queue_packets && busy > now_ &&
          (busy - now_) > ser * static_cast<int64_t>(link.queue_packets)) {
        return;  // drop-tail
      }
      busy = start + ser;
      start = busy;
    }
    TimePoint at = start + link.delay;
    if (link.reorder > 0 && uniform() < link.reorder) at += link.reorder_delay;
    PathTuple recv_tuple{sender_tuple.remote, sender_tuple.local};
    if (from_client && rewrite_client_source) recv_tuple.remote = *rewrite_client_source;
    if (from_client) {
      if (auto n = nat.find(sender_tuple.local); n != nat.end()) recv_tuple.remote = n->second;
    }
    queue_.push(InFlight{at, seq_++, from_client, recv_tuple, std::move(v), ecn});
  }

  TimePoint next_event_time() {
    TimePoint t = queue_.empty() ? kNever : queue_.top().at;
    t = std::min(t, client_->poll_timeout());
    for (auto* c : server_->connections()) t = std::min(t, c->poll_timeout());
    return t;
  }

  void deliver_due() {
    while (!queue_.empty() && queue_.top().at <= now_) {
      auto f = queue_.top();
      queue_.pop();
      if (f.to_server) {
        delivered_to_server_++;
        if (forgotten_) {
          for (auto* c : server_->connections()) c->handle_timeout(kNever - std::chrono::hours(1));
          server_->collect_closed();
        }
        server_->handle_datagram(now_, f.tuple, f.bytes, f.ecn);
      } else {
        // The client's socket may have moved (migration): deliver to its current local address.
        PathTuple t = f.tuple;
        if (rewrite_client_source && t.local == *rewrite_client_source) t.local = client_tuple_.local;
        for (auto& [inner, outer] : nat) {
          if (t.local == outer) t.local = inner;
        }
        client_->handle_datagram(now_, t, f.bytes, f.ecn);
      }
    }
  }

  void fire_timers() {
    if (client_->poll_timeout() <= now_) client_->handle_timeout(now_);
    for (auto* c : server_->connections()) {
      if (c->poll_timeout() <= now_) c->handle_timeout(now_);
    }
  }

  Options opts_;
  SeededRandom rng_;
  SeededRandom link_rng_;
  TimePoint now_;
  std::unique_ptr<Endpoint> server_;
  std::unique_ptr<Connection> client_;
  Connection* server_conn_ = nullptr;
  PathTuple client_tuple_;
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<>> queue_;
  uint64_t seq_ = 0;
  std::map<SocketAddress, std::pair<TimePoint, TimePoint>> busy_;
  std::map<SocketAddress, LinkParams> path_links_;
  uint64_t delivered_to_server_ = 0;
  bool forgotten_ = false;
};

}  // namespace braid::test

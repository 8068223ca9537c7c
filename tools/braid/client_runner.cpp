// run_client: the event loop around one client connection and its failure reporting.
#include "tools/braid/client_runner.h"

#include <fmt/format.h>
#include <netdb.h>

#include "io/crypto_random.h"
#include "io/event_loop.h"
#include "io/monotonic_clock.h"
#include "io/sockaddr_conv.h"
#include "tools/braid/progress.h"
#include "tools/braid/tool_support.h"

namespace braid::tool {

std::optional<SocketAddress> resolve_host(const std::string& host, uint16_t port) {
  std::string h = host;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(h.c_str(), nullptr, &hints, &res) != 0 || !res) return std::nullopt;
  auto a = io::from_sockaddr(res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (a) a->port = port;
  return a;
}

ClientReport run_client(const ClientOptions& opts, ClientApp& app) {
  ClientReport rep;
  rep.remote = opts.remote;
  auto fail = [&](std::string msg) {
    if (rep.error.empty()) rep.error = std::move(msg);
  };
  auto loop_r = io::EventLoop::create();
  if (!loop_r) {
    rep.error = "cannot create the event loop: " + loop_r.error().message();
    return rep;
  }
  auto& loop = **loop_r;
  io::CryptoRandom rng;

  ConnectionConfig cfg = opts.base;
  cfg.tls.alpn = opts.alpn;
  cfg.tls.server_name = opts.server_name;
  cfg.tls.insecure = opts.insecure;
  cfg.tls.ca_file = opts.ca_file;
  cfg.congestion_controller = opts.congestion_controller;
  cfg.key_update_interval_packets = opts.key_update_after_packets;
  try {
    cfg.tls.keylog = keylog_to_file(opts.keylog_file);
  } catch (const std::exception& e) {
    rep.error = e.what();
    return rep;
  }

  io::EndpointDriverOptions o;
  if (opts.local) {
    o.bind = *opts.local;
  } else {
    auto src = io::EndpointDriver::source_address_for(opts.remote);
    if (!src) {
      rep.error = fmt::format("no route to {}", opts.remote.to_string());
      return rep;
    }
    o.bind = *src;
  }
  o.endpoint.accept_connections = false;
  o.qlog_dir = opts.qlog_dir;

  Connection* conn = nullptr;
  bool closed_by_peer_or_timer = false;
  io::DriverCallbacks cb;
  cb.on_event = [&](Connection& c, const ConnectionEvent& ev) {
    if (ev.type == ConnectionEventType::kHandshakeCompleted) {
      rep.handshake_done = io::monotonic_now();
      rep.alpn = c.alpn();
      app.on_handshake(c, rep.handshake_done);
    }
    app.on_event(c, ev);
    if (ev.type == ConnectionEventType::kConnectionClosed && !app.done()) {
      closed_by_peer_or_timer = true;
      std::string why = ev.error ? describe_error(*ev.error) : (ev.detail.empty() ? "closed" : ev.detail);
      fail(rep.handshake_done == TimePoint{} ? "handshake failed: " + why : "connection closed: " + why);
    }
  };
  cb.on_service = [&](Connection& c) { app.on_service(c); };
  cb.on_closed = [&](Connection& c) {
    rep.stats = c.stats();
    if (auto r = c.close_reason(); r && !app.done()) {
      fail((rep.handshake_done == TimePoint{} ? "handshake failed: " : "connection closed: ") + describe_error(*r));
    }
    conn = nullptr;
  };
  auto driver_r = io::EndpointDriver::create(loop, rng, o, cb);
  if (!driver_r) {
    rep.error = driver_r.error();
    return rep;
  }
  auto& driver = **driver_r;
  rep.local = driver.local_address();
  rep.start = io::monotonic_now();
  auto c = driver.connect(cfg, opts.remote);
  if (!c) {
    rep.error = "cannot start the connection: " + describe_error(c.error());
    return rep;
  }
  conn = *c;

  ProgressBar bar(opts.progress_label, opts.progress_total, opts.progress);
  TimePoint last_progress = rep.start;
  uint64_t last_bytes = 0;
  std::function<void()> tick = [&] {
    TimePoint now = io::monotonic_now();
    uint64_t b = app.progress_bytes();
    if (b != last_bytes) {
      last_bytes = b;
      last_progress = now;
    }
    if (conn) {
      app.on_tick(*conn, now);
      driver.service(*conn);
    }
    bar.update(now, b);
    if (rep.handshake_done == TimePoint{} && now - rep.start >= opts.timeout) {
      fail(fmt::format("no handshake with {} within {:.1f} s (is a QUIC server listening there?)",
                       opts.remote.to_string(), std::chrono::duration<double>(opts.timeout).count()));
    } else if (rep.handshake_done != TimePoint{} && now - last_progress >= opts.timeout) {
      fail(fmt::format("timed out: no progress for {:.1f} s", std::chrono::duration<double>(opts.timeout).count()));
    }
    loop.add_timer(now + std::chrono::milliseconds(100), tick);
  };
  loop.add_timer(rep.start + std::chrono::milliseconds(100), tick);
  stop_loop_on_signals(&loop);
  loop.run_until([&] {
    if (auto f = app.failure()) fail(*f);
    return app.done() || !rep.error.empty() || conn == nullptr || closed_by_peer_or_timer;
  });
  stop_loop_on_signals(nullptr);
  bar.finish();
  rep.end = io::monotonic_now();
  if (stop_signal_received()) fail("interrupted");
  if (!app.done()) fail("connection ended before the transfer finished");
  rep.ok = rep.error.empty();
  if (conn) {
    rep.stats = conn->stats();
    if (!conn->is_draining()) conn->close(rep.end, rep.ok ? 0 : 1, rep.ok ? "done" : "client error");
    driver.service(*conn);
  }
  rep.socket = driver.socket().counters();
  rep.driver = driver.counters();
  return rep;
}

}  // namespace braid::tool

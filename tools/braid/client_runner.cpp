// run_client: the event loop around one client connection and its failure reporting.
#include "tools/braid/client_runner.h"

#include <fmt/format.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>

#include <algorithm>

#include "io/crypto_random.h"
#include "io/event_loop.h"
#include "io/monotonic_clock.h"
#include "io/sockaddr_conv.h"
#include "tools/braid/auto_paths.h"
#include "io/netlink_parser.h"
#include "tools/braid/metrics_flag.h"
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

std::vector<SocketAddress> local_interface_addresses(SocketAddress::Family family, bool include_loopback) {
  std::vector<SocketAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || !(i->ifa_flags & IFF_UP)) continue;
    if ((i->ifa_flags & IFF_LOOPBACK) && !include_loopback) continue;
    int fam = i->ifa_addr->sa_family;
    if (fam != AF_INET && fam != AF_INET6) continue;
    auto a = io::from_sockaddr(i->ifa_addr, fam == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
    if (!a || a->family != family) continue;
    if (fam == AF_INET6 && a->ip[0] == 0xfe && (a->ip[1] & 0xc0) == 0x80) continue;  // link-local
    a->port = 0;
    if (std::find(out.begin(), out.end(), *a) == out.end()) out.push_back(*a);
  }
  ::freeifaddrs(list);
  return out;
}

namespace {

struct PendingPath {
  SocketAddress local;   // bound socket address (port filled in)
  SocketAddress remote;
};

}  // namespace

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
  cfg.ack_frequency = opts.ack_frequency;
  if (opts.scheduler) cfg.scheduler = *opts.scheduler;
  if (opts.use_advertised) cfg.accept_advertised_addresses = kMaxAdvertisedAddresses;
  if (opts.duplication) cfg.duplication = *opts.duplication;
  if (opts.reinjection) cfg.reinjection = *opts.reinjection;
  if (opts.failure_detection) cfg.failure_detection = *opts.failure_detection;
  if (opts.rtt_priors) cfg.rtt_priors = opts.rtt_priors;
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
  o.socket_mode = opts.socket_mode;
  o.qlog_dir = opts.qlog_dir;

  Connection* conn = nullptr;
  bool closed_by_peer_or_timer = false;
  std::vector<PendingPath> pending_paths;
  std::unique_ptr<AutoPaths> auto_paths;
  // Stall tracking: the app's delivered byte count, checked after every round.
  uint64_t stall_bytes = 0;
  TimePoint stall_since{};
  auto track_stall = [&](TimePoint now) {
    if (rep.handshake_done == TimePoint{}) return;
    uint64_t b = app.progress_bytes();
    if (stall_since == TimePoint{}) stall_since = rep.handshake_done;
    if (b != stall_bytes || app.done()) {
      if (now - stall_since >= std::chrono::milliseconds(50) && rep.stalls.size() < 1000) {
        rep.stalls.push_back(ClientReport::Stall{stall_since - rep.start, now - stall_since});
      }
      if (now - stall_since > rep.longest_stall) {
        rep.longest_stall = now - stall_since;
        rep.longest_stall_at = stall_since - rep.start;
      }
      stall_bytes = b;
      stall_since = now;
    }
  };
  // DATAGRAM probe: resent every 500 ms until the echo arrives or 3 s pass.
  TimePoint datagram_sent{}, datagram_first_sent{};
  bool datagram_finished = !opts.datagram.has_value();
  auto send_probe = [&](Connection& c, TimePoint now) {
    if (datagram_finished || rep.handshake_done == TimePoint{}) return;
    if (datagram_sent != TimePoint{} && now - datagram_sent < std::chrono::milliseconds(500)) return;
    if (datagram_first_sent != TimePoint{} && now - datagram_first_sent > std::chrono::seconds(3)) {
      datagram_finished = true;
      fail(fmt::format("no echo of DATAGRAM \"{}\" within 3 s (does the server echo DATAGRAMs?)", *opts.datagram));
      return;
    }
    if (c.max_datagram_payload() < opts.datagram->size()) {
      datagram_finished = true;
      fail(c.max_datagram_payload() == 0 ? std::string("the server does not accept DATAGRAM frames")
                                         : fmt::format("--datagram: {} bytes do not fit (at most {})",
                                                       opts.datagram->size(), c.max_datagram_payload()));
      return;
    }
    auto r = c.send_datagram(std::span(reinterpret_cast<const uint8_t*>(opts.datagram->data()), opts.datagram->size()));
    if (r) {
      datagram_sent = now;
      if (datagram_first_sent == TimePoint{}) datagram_first_sent = now;
    }
  };
  // Extra paths are asked for once, right after connect: the connection queues them until
  // the handshake and the server's path IDs and CIDs allow (kNotOpened if it never can).
  auto open_paths = [&](Connection& c, TimePoint now) {
    for (const auto& p : pending_paths) {
      auto id = c.open_path(now, p.local, p.remote);
      if (!id) {
        rep.path_warnings.push_back(
            fmt::format("path {} -> {} not opened: {}", p.local.to_string(), p.remote.to_string(), id.error().reason));
      }
    }
    pending_paths.clear();
  };
  PathActionRunner actions(opts.path_actions);
  actions.set_default_remote(opts.remote);
  auto run_actions = [&](Connection& c, TimePoint now) {
    if (rep.handshake_done == TimePoint{}) return false;
    return actions.run(c, now, rep.handshake_done, app.progress_bytes());
  };
  io::DriverCallbacks cb;
  if (opts.metrics) cb.on_connection = [&](Connection& c) { opts.metrics->on_connection(c); };
  cb.on_event = [&](Connection& c, const ConnectionEvent& ev) {
    if (opts.metrics) opts.metrics->on_event(c, ev);
    if (ev.type == ConnectionEventType::kHandshakeCompleted) {
      rep.handshake_done = io::monotonic_now();
      rep.alpn = c.alpn();
      app.on_handshake(c, rep.handshake_done);
    }
    if (ev.type == ConnectionEventType::kPathEvent) {
      rep.path_events.push_back(PathEventRecord{io::monotonic_now() - rep.start, ev.path_id, ev.detail});
      if (ev.path_change == PathChange::kNotOpened) {
        rep.path_warnings.push_back(fmt::format("path {} {}", ev.path_id, ev.detail));
      }
      if (auto_paths && (ev.path_change == PathChange::kNotOpened || ev.path_state == PathState::kClosed ||
                         ev.path_state == PathState::kClosing)) {
        auto_paths->on_path_closed(ev.path_id);
      }
    }
    if (ev.type == ConnectionEventType::kAddressAdvertised && opts.use_advertised) {
      PathEventRecord r{io::monotonic_now() - rep.start, 0, "opened", "advertised", rep.local, ev.address};
      if (ev.address.family != rep.local.family) {
        r.state = "not opened: another address family than the local address";
      } else if (auto id = c.open_path(io::monotonic_now(), rep.local, ev.address); id) {
        r.path = *id;
      } else {
        r.state = "not opened: " + id.error().reason;
      }
      if (r.state != "opened") {
        rep.path_warnings.push_back(fmt::format("advertised address {} {}", ev.address.to_string(), r.state));
      }
      rep.path_events.push_back(std::move(r));
    }
    if (ev.type == ConnectionEventType::kPathHealthChanged) {
      rep.path_events.push_back(PathEventRecord{io::monotonic_now() - rep.start, ev.path_id, ev.detail, "health"});
    }
    if (ev.type == ConnectionEventType::kDatagramReceived && opts.datagram) {
      while (auto d = c.recv_datagram()) {
        std::string text(d->begin(), d->end());
        if (!rep.datagram_echo && text == *opts.datagram) {
          rep.datagram_echo = text;
          datagram_finished = true;
        }
      }
    }
    app.on_event(c, ev);
    if (ev.type == ConnectionEventType::kConnectionClosed && !app.done()) {
      closed_by_peer_or_timer = true;
      std::string why = ev.error ? describe_error(*ev.error) : (ev.detail.empty() ? "closed" : ev.detail);
      fail(rep.handshake_done == TimePoint{} ? "handshake failed: " + why : "connection closed: " + why);
    }
  };
  cb.on_service = [&](Connection& c) {
    TimePoint now = io::monotonic_now();
    run_actions(c, now);
    send_probe(c, now);
    app.on_service(c);
    track_stall(now);
  };
  cb.on_closed = [&](Connection& c) {
    if (opts.metrics) opts.metrics->on_closed(c);
    rep.stats = c.stats();
    if (auto r = c.close_reason(); r && !app.done()) {
      fail((rep.handshake_done == TimePoint{} ? "handshake failed: " : "connection closed: ") + describe_error(*r));
    }
    conn = nullptr;
    if (auto_paths) auto_paths->attach(nullptr);
  };
  auto driver_r = io::EndpointDriver::create(loop, rng, o, cb);
  if (!driver_r) {
    rep.error = driver_r.error();
    return rep;
  }
  auto& driver = **driver_r;
  rep.local = driver.local_address();
  {
    // One socket per extra local address, bound now so a bad address fails before connecting.
    if (opts.auto_paths) auto_paths = std::make_unique<AutoPaths>(loop, driver, opts.remote, rep);
    for (const auto& w : opts.extra_paths) {
      SocketAddress remote = w.remote.value_or(opts.remote);
      if (w.local.same_ip(rep.local) && (w.local.port == 0 || w.local.port == rep.local.port) && remote == opts.remote) {
        continue;  // that is the first path already
      }
      auto bound = driver.add_socket(w.local);
      if (!bound) {
        rep.error = bound.error();
        return rep;
      }
      pending_paths.push_back(PendingPath{*bound, remote});
    }
    // Sockets for scheduled --open-path / --migrate, bound now for the same reason.
    for (const auto& local : actions.local_addresses()) {
      auto bound = driver.add_socket(local);
      if (!bound) {
        rep.error = bound.error();
        return rep;
      }
      actions.set_bound_address(local, *bound);
    }
  }
  rep.start = io::monotonic_now();
  auto c = driver.connect(cfg, opts.remote);
  if (!c) {
    rep.error = "cannot start the connection: " + describe_error(c.error());
    return rep;
  }
  conn = *c;
  open_paths(*conn, rep.start);
  if (auto_paths) auto_paths->attach(conn);
  driver.service(*conn);
  if (opts.metrics) opts.metrics->start(loop);

  ProgressBar bar(opts.progress_label, opts.progress_total, opts.progress);
  std::unique_ptr<PathLines> paths_view;
  if (opts.path_lines && (opts.progress || opts.path_lines_without_terminal)) {
    paths_view = std::make_unique<PathLines>(opts.progress, rep.start);
  }
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
      run_actions(*conn, now);
      driver.service(*conn);
    }
    if (opts.on_tick && conn) {
      opts.on_tick(*conn, now, b);
      driver.service(*conn);
    }
    bar.update(now, b);
    if (paths_view && conn) paths_view->update(now, conn->stats());
    if (rep.handshake_done == TimePoint{} && now - rep.start >= opts.timeout) {
      fail(fmt::format("no handshake with {} within {:.1f} s (is a QUIC server listening there?)",
                       opts.remote.to_string(), std::chrono::duration<double>(opts.timeout).count()));
    } else if (rep.handshake_done != TimePoint{} && now - last_progress >= opts.timeout) {
      fail(fmt::format("timed out: no progress for {:.1f} s", std::chrono::duration<double>(opts.timeout).count()));
    }
    TimePoint next = now + std::chrono::milliseconds(100);
    if (rep.handshake_done != TimePoint{}) {
      TimePoint due = actions.next_deadline(rep.handshake_done);   // a scheduled action, to the millisecond
      if (due > now) next = std::min(next, due);
    }
    loop.add_timer(next, tick);
  };
  loop.add_timer(rep.start + std::chrono::milliseconds(100), tick);
  stop_loop_on_signals(&loop);
  loop.run_until([&] {
    if (auto f = app.failure()) fail(*f);
    return (app.done() && datagram_finished) || !rep.error.empty() || conn == nullptr || closed_by_peer_or_timer;
  });
  stop_loop_on_signals(nullptr);
  if (paths_view) paths_view->finish();
  bar.finish();
  rep.end = io::monotonic_now();
  if (stop_signal_received()) fail("interrupted");
  if (!app.done()) fail("connection ended before the transfer finished");
  if (!datagram_finished) fail(fmt::format("connection ended before DATAGRAM \"{}\" was echoed", *opts.datagram));
  rep.ok = rep.error.empty();
  if (conn) {
    rep.stats = conn->stats();
    if (!conn->is_draining()) conn->close(rep.end, rep.ok ? 0 : 1, rep.ok ? "done" : "client error");
    driver.service(*conn);
  }
  if (opts.metrics) {
    if (conn) opts.metrics->on_closed(*conn);  // the driver goes with this function: count it closed now
    opts.metrics->stop();
  }
  rep.path_actions = actions.results();
  for (auto& r : rep.path_actions) {
    if (!r.done) {
      rep.path_warnings.push_back(fmt::format("{} not done: {}", r.spec,
                                              r.error.empty() ? "the transfer ended before it was due" : r.error));
    }
  }
  rep.socket = driver.socket_counters();
  rep.driver = driver.counters();
  return rep;
}

nlohmann::json path_event_json(const PathEventRecord& e) {
  nlohmann::json j{{"at_s", std::chrono::duration<double>(e.at).count()}, {"path_id", e.path}};
  if (e.kind == "advertised") {
    j["advertised"] = e.remote.to_string();
    j["local"] = e.local.to_string();
    j["opened"] = e.state == "opened";
    if (e.state != "opened") j["reason"] = e.state;
  } else if (e.kind == "auto") {
    j["auto"] = e.state;
    j["local"] = e.local.to_string();
    if (!e.interface_name.empty()) j["interface"] = e.interface_name;
    if (e.stream_bytes) j["stream_bytes"] = *e.stream_bytes;
  } else {
    j[e.kind == "health" ? "health" : "state"] = e.state;
  }
  return j;
}

std::vector<std::string> auto_path_lines(const ClientReport& rep) {
  std::vector<std::string> out;
  for (const auto& e : rep.path_events) {
    if (e.kind == "advertised") {
      out.push_back(e.state == "opened"
                        ? fmt::format("advertised: server address {}, path {} opened from {} at {:.2f} s",
                                      e.remote.to_string(), e.path, e.local.to_string(),
                                      std::chrono::duration<double>(e.at).count())
                        : fmt::format("advertised: server address {} {}", e.remote.to_string(), e.state));
      continue;
    }
    if (e.kind != "auto") continue;
    out.push_back(fmt::format("auto-paths: path {} from {}{} {} at {:.2f} s", e.path, e.local.to_string(),
                              e.interface_name.empty() ? "" : " (" + e.interface_name + ")", e.state,
                              std::chrono::duration<double>(e.at).count()));
  }
  return out;
}

// LOCAL[=REMOTE]: LOCAL is ADDR or ADDR:PORT; REMOTE is ADDR:PORT or ADDR (the server's
// port), default the server address.
std::expected<PathRequest, std::string> parse_path_spec(const std::string& spec, const SocketAddress& server) {
  std::string local_text = spec, remote_text;
  if (auto eq = spec.find('='); eq != std::string::npos) {
    local_text = spec.substr(0, eq);
    remote_text = spec.substr(eq + 1);
  }
  PathRequest r;
  auto l = SocketAddress::parse(local_text);
  if (!l) return std::unexpected(fmt::format("'{}' is not a local ADDR or ADDR:PORT", local_text));
  r.local = *l;
  if (!remote_text.empty()) {
    auto rem = SocketAddress::parse(remote_text);
    if (!rem) return std::unexpected(fmt::format("'{}' is not a remote ADDR or ADDR:PORT", remote_text));
    if (rem->port == 0) rem->port = server.port;
    r.remote = *rem;
  }
  if (r.local.family != r.remote.value_or(server).family) {
    return std::unexpected("the local and remote addresses are of different families");
  }
  return r;
}

}  // namespace braid::tool

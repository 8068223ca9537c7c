// `braid load URL`: many client connections from one process against one server, for load
// and soak tests. Connections start at --rate per second up to --connections at once (or
// for --duration, replacing each finished one); each downloads URL over hq-interop and
// then closes, or stays open idle with --hold. Reports handshakes per second, handshake
// latency percentiles, failures, bytes and goodput; --json for scripts.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <unordered_map>

#include "io/crypto_random.h"
#include "io/endpoint_driver.h"
#include "io/event_loop.h"
#include "io/monotonic_clock.h"
#include "tools/braid/client_runner.h"
#include "tools/braid/hq_client.h"
#include "tools/braid/subcommand.h"
#include "tools/braid/tool_support.h"
#include "tools/braid/units.h"

namespace braid::tool {
namespace {

struct LoadFlags {
  std::string url;
  size_t connections = 100;
  std::string rate = "0";          // connections started per second; 0: all at once
  std::string duration;            // soak: keep the population up this long
  std::string hold;                // keep each connection open (idle) this long after its download
  std::string timeout = "20s";     // per connection: handshake and download
  std::string ready_file;          // written once every connection has finished its download
  bool insecure = false, json = false;
};

struct ConnState {
  TimePoint started{}, handshake{}, finished{};
  StreamId stream = 0;
  uint64_t bytes = 0;
  bool done = false, failed = false, released = false;   // released: closed after its hold
  std::string error;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

void run(const LoadFlags& f) {
  auto die = [](const std::string& m, int code = 1) { fail_command("load", m, code); };
  auto url = parse_url(f.url);
  if (!url) die(url.error(), 2);
  auto remote = resolve_host(url->host, url->port);
  if (!remote) die(fmt::format("cannot resolve host '{}'", url->host));
  double per_second = 0;
  try {
    size_t used = 0;
    per_second = std::stod(f.rate, &used);
    if (used != f.rate.size() || per_second < 0) throw std::invalid_argument(f.rate);
  } catch (const std::exception&) {
    die(fmt::format("--rate {}: expected connections per second, e.g. 200", f.rate), 2);
  }
  std::optional<Duration> duration, hold;
  if (!f.duration.empty()) {
    auto d = parse_duration(f.duration);
    if (!d) die("--duration: " + d.error(), 2);
    duration = *d;
  }
  if (!f.hold.empty()) {
    auto d = parse_duration(f.hold);
    if (!d) die("--hold: " + d.error(), 2);
    hold = *d;
  }
  auto timeout = parse_duration(f.timeout);
  if (!timeout) die("--timeout: " + timeout.error(), 2);
  if (f.connections == 0) die("--connections must be at least 1", 2);

  auto loop_r = io::EventLoop::create();
  if (!loop_r) die("cannot create the event loop: " + loop_r.error().message());
  auto& loop = **loop_r;
  io::CryptoRandom rng;
  ConnectionConfig cfg;
  cfg.tls.alpn = {"hq-interop"};
  cfg.tls.server_name = url->host;
  cfg.tls.insecure = f.insecure;
  cfg.initial_max_path_id = 0;   // plain connections: the load is connections, not paths
  if (hold) cfg.idle_timeout = *hold + std::chrono::seconds(30);

  std::unordered_map<const Connection*, ConnState> states;
  std::vector<double> handshake_ms;
  uint64_t started = 0, succeeded = 0, failed = 0, bytes = 0;
  std::vector<std::string> errors;
  std::vector<uint8_t> buf(256 * 1024);
  const std::string request = "GET " + url->path + "\r\n";
  size_t open_now = 0;
  TimePoint last_handshake{}, last_finished{};   // ends of the handshake and download phases

  auto finish = [&](Connection& c, ConnState& s, bool ok, std::string why) {
    if (s.done || s.failed) return;
    (ok ? s.done : s.failed) = true;
    s.finished = io::monotonic_now();
    last_finished = s.finished;
    if (ok) {
      succeeded++;
    } else {
      failed++;
      s.error = std::move(why);
      if (errors.size() < 10) errors.push_back(s.error);
    }
    if (!hold || !ok) c.close(s.finished, ok ? 0 : 1, ok ? "done" : "load error");
  };

  io::DriverCallbacks cb;
  cb.on_event = [&](Connection& c, const ConnectionEvent& ev) {
    auto it = states.find(&c);
    if (it == states.end()) return;
    auto& s = it->second;
    switch (ev.type) {
      case ConnectionEventType::kHandshakeCompleted: {
        s.handshake = io::monotonic_now();
        last_handshake = s.handshake;
        handshake_ms.push_back(to_ms(s.handshake - s.started));
        auto id = c.open_stream(true);
        if (!id) return finish(c, s, false, "cannot open a stream: " + describe_error(id.error()));
        s.stream = *id;
        (void)c.stream_write(*id, std::span(reinterpret_cast<const uint8_t*>(request.data()), request.size()), true);
        break;
      }
      case ConnectionEventType::kStreamReadable:
        for (;;) {
          bool fin = false;
          auto n = c.stream_read(s.stream, buf, fin);
          if (!n) break;
          s.bytes += *n;
          bytes += *n;
          if (fin) {
            finish(c, s, true, {});
            break;
          }
          if (*n == 0) break;
        }
        break;
      case ConnectionEventType::kStreamReset:
        finish(c, s, false, fmt::format("stream reset with 0x{:x}", ev.error_code));
        break;
      case ConnectionEventType::kConnectionClosed:
        if (!s.done) finish(c, s, false, ev.error ? describe_error(*ev.error) : "connection closed");
        break;
      default:
        break;
    }
  };
  cb.on_closed = [&](Connection& c) {
    auto it = states.find(&c);
    if (it == states.end()) return;
    if (!it->second.done && !it->second.failed) {
      failed++;
      if (errors.size() < 10) errors.push_back("closed before the download finished");
    }
    states.erase(it);
    open_now--;
  };
  io::EndpointDriverOptions o;
  auto src = io::EndpointDriver::source_address_for(*remote);
  if (!src) die(fmt::format("no route to {}", remote->to_string()));
  o.bind = *src;
  o.endpoint.accept_connections = false;
  auto driver_r = io::EndpointDriver::create(loop, rng, o, cb);
  if (!driver_r) die(driver_r.error());
  auto& driver = **driver_r;

  TimePoint t0 = io::monotonic_now();
  bool ready_written = false;
  auto start_one = [&] {
    TimePoint now = io::monotonic_now();
    auto c = driver.connect(cfg, *remote);
    started++;
    if (!c) {
      failed++;
      if (errors.size() < 10) errors.push_back("cannot start: " + describe_error(c.error()));
      return;
    }
    // connect() has run the first round already; the state must exist before its events.
    states[*c].started = now;
    open_now++;
  };
  // The first round of a new connection emits no events, so registering right after
  // connect() is early enough.
  std::function<void()> tick = [&] {
    TimePoint now = io::monotonic_now();
    double elapsed = std::chrono::duration<double>(now - t0).count();
    bool soaking = duration && now - t0 < *duration;
    uint64_t allowed = per_second > 0 ? static_cast<uint64_t>(elapsed * per_second) + 1 : UINT64_MAX;
    while (started < allowed && open_now < f.connections && (soaking || started < f.connections)) start_one();
    // Collected first: service() may close connections and change the map.
    std::vector<Connection*> timed_out, released;
    for (auto& [c, s] : states) {
      if (!s.done && !s.failed && now - s.started > *timeout) timed_out.push_back(const_cast<Connection*>(c));
      if (hold && s.done && !s.released && now - s.finished > *hold) {
        s.released = true;
        released.push_back(const_cast<Connection*>(c));
      }
    }
    for (auto* conn : timed_out) {
      auto it = states.find(conn);
      if (it == states.end()) continue;   // closed meanwhile
      finish(*conn, it->second, false, "timed out");
      driver.service(*conn);
    }
    for (auto* conn : released) {
      if (!states.contains(conn)) continue;
      conn->close(now, 0, "held");
      driver.service(*conn);
    }
    if (!f.ready_file.empty() && !ready_written && started >= f.connections && succeeded + failed >= started) {
      ready_written = true;
      std::FILE* rf = std::fopen(f.ready_file.c_str(), "w");
      if (rf) {
        std::fprintf(rf, "%llu %llu\n", static_cast<unsigned long long>(succeeded), static_cast<unsigned long long>(failed));
        std::fclose(rf);
      }
    }
    loop.add_timer(now + std::chrono::milliseconds(per_second > 0 ? 5 : 50), tick);
  };
  loop.add_timer(t0, tick);
  stop_loop_on_signals(&loop);
  loop.run_until([&] {
    bool all_started = duration ? io::monotonic_now() - t0 >= *duration : started >= f.connections;
    return stop_signal_received() || (all_started && open_now == 0);
  });
  stop_loop_on_signals(nullptr);
  TimePoint t1 = io::monotonic_now();
  if (open_now > 0) {
    // Interrupted: close what is still open so the server does not wait for idle timeouts.
    std::vector<Connection*> open;
    for (auto& [c, st] : states) open.push_back(const_cast<Connection*>(c));
    for (auto* c : open) {
      c->close(t1, 0, "load stopped");
      driver.service(*c);
    }
    loop.run_until(io::monotonic_now() + std::chrono::milliseconds(50));
  }
  // Rates are over the phase they measure: handshakes until the last one completed,
  // downloads until the last one ended; the hold time is not part of either.
  auto since_start = [&](TimePoint t) { return t > t0 ? std::chrono::duration<double>(t - t0).count() : 0.0; };
  double secs = since_start(last_finished > t0 ? last_finished : t1);
  double handshake_secs = since_start(last_handshake);

  nlohmann::json j;
  j["connections"] = started;
  j["succeeded"] = succeeded;
  j["failed"] = failed;
  j["seconds"] = secs;
  j["total_seconds"] = since_start(t1);
  j["handshakes_per_second"] = handshake_secs > 0 ? static_cast<double>(handshake_ms.size()) / handshake_secs : 0.0;
  j["handshake_ms"] = {{"p50", percentile(handshake_ms, 0.5)},
                       {"p99", percentile(handshake_ms, 0.99)},
                       {"max", percentile(handshake_ms, 1.0)}};
  j["bytes"] = bytes;
  j["goodput_mbps"] = secs > 0 ? bytes * 8 / secs / 1e6 : 0.0;
  if (!errors.empty()) j["errors"] = errors;
  j["socket"] = socket_json(driver.socket_counters());
  if (f.json) {
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("{} connections in {:.2f} s: {} ok, {} failed; {:.0f} handshakes/s, handshake p50 {:.2f} ms p99 {:.2f} ms; "
               "{} at {:.1f} Mbit/s\n",
               started, secs, succeeded, failed, j["handshakes_per_second"].get<double>(),
               percentile(handshake_ms, 0.5), percentile(handshake_ms, 0.99), format_bytes(bytes),
               j["goodput_mbps"].get<double>());
    for (auto& e : errors) fmt::print(stderr, "braid load: {}\n", e);
  }
  if (failed > 0) throw CLI::RuntimeError(1);
}

void setup_load(CLI::App& app) {
  auto f = std::make_shared<LoadFlags>();
  auto* cmd = app.add_subcommand("load", "many connections from one process: handshake rate, latency, failures");
  cmd->add_option("url", f->url, "https://HOST:PORT/path each connection downloads (hq-interop)")->required();
  cmd->add_option("-n,--connections", f->connections, "connections open at once (and in all, without --duration)")
      ->capture_default_str();
  cmd->add_option("--rate", f->rate, "connections started per second (0: as fast as possible)")->capture_default_str();
  cmd->add_option("--duration", f->duration, "soak: keep --connections going this long, replacing finished ones");
  cmd->add_option("--hold", f->hold, "keep each connection open, idle, this long after its download");
  cmd->add_option("--timeout", f->timeout, "per connection, handshake plus download")->capture_default_str();
  cmd->add_option("--ready-file", f->ready_file,
                  "write 'SUCCEEDED FAILED' here once every connection has finished (scripts wait for it)");
  cmd->add_flag("-k,--insecure", f->insecure, "do not verify the server certificate");
  cmd->add_flag("--json", f->json, "one JSON object on stdout");
  cmd->callback([f] { run(*f); });
}

}  // namespace

BRAID_SUBCOMMAND(load, "load", setup_load);

}  // namespace braid::tool

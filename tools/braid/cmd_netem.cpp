// `braid netem`: the userspace link emulator. Parses path specifications and the runtime
// control language into the relay's typed configuration and commands, then runs the relay.
#include <atomic>
#include <charconv>
#include <csignal>
#include <fmt/format.h>
#include <map>
#include <sstream>

#include "netem/relay.h"
#include "tools/braid/metrics_flag.h"
#include "tools/braid/netem_control.h"
#include "tools/braid/subcommand.h"
#include "tools/braid/units.h"

namespace braid::tool {
namespace {

using netem::ControlCommand;
using netem::Direction;
using netem::PathConfig;
using sim::LinkConfig;
using sim::LinkEvent;

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t pos = text.find(sep, start);
    out.push_back(text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

template <typename T>
std::expected<T, std::string> with_context(std::expected<T, std::string> r, std::string_view key) {
  if (!r) return std::unexpected(fmt::format("{}: {}", key, r.error()));
  return r;
}

std::expected<bool, std::string> parse_bool(std::string_view v) {
  if (v.empty() || v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off") return false;
  return std::unexpected(fmt::format("'{}' is not a boolean (true/false)", v));
}

// "T:VALUE" for rate-at / delay-at / loss-at.
std::expected<std::pair<Duration, std::string_view>, std::string> parse_at(std::string_view v) {
  auto colon = v.find(':');
  if (colon == std::string_view::npos) return std::unexpected(fmt::format("'{}' should be TIME:VALUE, e.g. 5s:10M", v));
  auto t = parse_duration(v.substr(0, colon));
  if (!t) return std::unexpected(t.error());
  return std::pair{*t, v.substr(colon + 1)};
}

class TraceCache {
 public:
  std::expected<std::shared_ptr<const sim::Trace>, std::string> get(const std::string& file) {
    if (auto it = traces_.find(file); it != traces_.end()) return it->second;
    auto t = sim::Trace::load(file);
    if (!t) return std::unexpected(t.error());
    auto p = std::make_shared<const sim::Trace>(std::move(*t));
    traces_.emplace(file, p);
    return p;
  }

 private:
  std::map<std::string, std::shared_ptr<const sim::Trace>> traces_;
};

std::expected<void, std::string> apply_option(LinkConfig& c, std::string_view key, std::string_view v,
                                              TraceCache& traces) {
  auto fail = [&](const std::string& e) { return std::unexpected(fmt::format("{}={}: {}", key, v, e)); };
  if (key == "rate") {
    auto r = parse_rate(v);
    if (!r) return fail(r.error());
    c.rate_bps = *r;
  } else if (key == "delay" || key == "jitter") {
    auto d = parse_duration(v);
    if (!d) return fail(d.error());
    (key == "delay" ? c.delay : c.jitter) = *d;
  } else if (key == "reorder") {
    auto b = parse_bool(v);
    if (!b) return fail(b.error());
    c.jitter_reorders = *b;
  } else if (key == "loss" || key == "dup") {
    auto p = parse_fraction(v);
    if (!p) return fail(p.error());
    (key == "loss" ? c.loss : c.duplicate) = *p;
  } else if (key == "ge") {
    auto parts = split(v, '/');
    if (parts.size() < 2 || parts.size() > 4) return fail("want P_GOOD_TO_BAD/P_BAD_TO_GOOD[/LOSS_IN_BAD[/LOSS_IN_GOOD]]");
    double vals[4] = {0, 1, 1, 0};
    for (size_t i = 0; i < parts.size(); ++i) {
      auto p = parse_fraction(parts[i]);
      if (!p) return fail(p.error());
      vals[i] = *p;
    }
    c.burst_loss = {vals[0], vals[1], vals[2], vals[3]};
  } else if (key == "queue") {
    auto s = parse_size(v);
    if (!s) return fail(s.error());
    c.queue_bytes = *s;
  } else if (key == "mtu") {
    auto s = parse_size(v);
    if (!s || *s == 0 || *s > 65535) return fail(s ? "must be 1..65535" : s.error());
    c.mtu = static_cast<uint32_t>(*s);
  } else if (key == "trace") {
    auto t = traces.get(std::string(v));
    if (!t) return fail(t.error());
    c.trace = *t;
  } else if (key == "down-at" || key == "up-at") {
    auto d = parse_duration(v);
    if (!d) return fail(d.error());
    c.events.push_back(key == "down-at" ? LinkEvent::down(*d) : LinkEvent::up(*d));
  } else if (key == "outage") {
    auto parts = split(v, '-');
    if (parts.size() != 2) return fail("want FROM-TO, e.g. 5s-7s");
    auto from = parse_duration(parts[0]);
    auto to = parse_duration(parts[1]);
    if (!from || !to) return fail(!from ? from.error() : to.error());
    c.events.push_back(LinkEvent::outage(*from, *to));
  } else if (key == "rate-at" || key == "delay-at" || key == "loss-at") {
    auto at = parse_at(v);
    if (!at) return fail(at.error());
    if (key == "rate-at") {
      auto r = parse_rate(at->second);
      if (!r) return fail(r.error());
      c.events.push_back(LinkEvent::rate(at->first, *r));
    } else if (key == "delay-at") {
      auto d = parse_duration(at->second);
      if (!d) return fail(d.error());
      c.events.push_back(LinkEvent::delay_change(at->first, *d));
    } else {
      auto p = parse_fraction(at->second);
      if (!p) return fail(p.error());
      c.events.push_back(LinkEvent::loss_change(at->first, *p));
    }
  } else {
    return std::unexpected(fmt::format("unknown link option '{}' (rate, delay, jitter, reorder, loss, ge, dup, "
                                       "queue, mtu, trace, down-at, up-at, outage, rate-at, delay-at, loss-at)", key));
  }
  return {};
}

// LISTEN=TARGET[,[up:|down:]key=value...]; options without a prefix apply to both directions.
std::expected<PathConfig, std::string> parse_path_spec(std::string_view spec, TraceCache& traces) {
  auto items = split(spec, ',');
  auto eq = items[0].find('=');
  if (eq == std::string_view::npos) return std::unexpected(fmt::format("'{}' should start with LISTEN=TARGET", spec));
  PathConfig p;
  auto listen = SocketAddress::parse(items[0].substr(0, eq));
  auto target = SocketAddress::parse(items[0].substr(eq + 1));
  if (!listen) return std::unexpected(fmt::format("bad listen address '{}'", items[0].substr(0, eq)));
  if (!target || target->port == 0) return std::unexpected(fmt::format("bad target address '{}' (IP:PORT)", items[0].substr(eq + 1)));
  p.listen = *listen;
  p.target = *target;
  p.uplink.queue_bytes = p.downlink.queue_bytes = 1 << 20;
  for (size_t i = 1; i < items.size(); ++i) {
    std::string_view item = items[i];
    if (item.empty()) continue;
    bool up = true, down = true;
    if (item.starts_with("up:")) {
      down = false;
      item.remove_prefix(3);
    } else if (item.starts_with("down:")) {
      up = false;
      item.remove_prefix(5);
    }
    auto kv = item.find('=');
    std::string_view key = item.substr(0, kv);
    std::string_view value = kv == std::string_view::npos ? std::string_view{} : item.substr(kv + 1);
    if (value.empty() && key != "reorder") return std::unexpected(fmt::format("'{}' needs a value (key=value)", item));
    if (up) {
      if (auto ok = apply_option(p.uplink, key, value, traces); !ok) return std::unexpected(ok.error());
    }
    if (down) {
      if (auto ok = apply_option(p.downlink, key, value, traces); !ok) return std::unexpected(ok.error());
    }
  }
  return p;
}

std::string describe(const LinkConfig& c) {
  std::string s = c.trace ? fmt::format("trace({} opportunities, {:.2f} Mbit/s mean)", c.trace->size(),
                                        c.trace->mean_rate_bps(c.mtu) / 1e6)
                          : c.rate_bps ? fmt::format("{:.3f} Mbit/s", c.rate_bps / 1e6)
                                       : std::string("unlimited");
  s += fmt::format(" delay={}us", to_us(c.delay));
  if (c.jitter.count()) s += fmt::format(" jitter={}us{}", to_us(c.jitter), c.jitter_reorders ? " reorder" : "");
  if (c.loss > 0) s += fmt::format(" loss={}", c.loss);
  if (c.burst_loss.enabled()) s += fmt::format(" ge={}/{}", c.burst_loss.p_good_to_bad, c.burst_loss.p_bad_to_good);
  if (c.duplicate > 0) s += fmt::format(" dup={}", c.duplicate);
  s += c.queue_bytes ? fmt::format(" queue={}B", c.queue_bytes) : std::string(" queue=unbounded");
  if (!c.events.empty()) s += fmt::format(" events={}", c.events.size());
  return s;
}

std::atomic<netem::Relay*> running_relay{nullptr};

extern "C" void on_signal(int) {
  if (auto* r = running_relay.load()) r->stop();
}

struct NetemOptions {
  std::vector<std::string> paths;
  uint64_t seed = 1;
  std::string duration, stats_interval, control, metrics;
  bool no_stdin = false;
};

void run_netem(const NetemOptions& o) {
  auto die = [](const std::string& msg) {
    fmt::print(stderr, "braid netem: {}\n", msg);
    throw CLI::RuntimeError(2);
  };
  netem::RelayConfig cfg;
  TraceCache traces;
  for (const auto& spec : o.paths) {
    auto p = parse_path_spec(spec, traces);
    if (!p) die(fmt::format("--path {}: {}", spec, p.error()));
    cfg.paths.push_back(std::move(*p));
  }
  cfg.seed = o.seed;
  if (!o.duration.empty()) {
    auto d = parse_duration(o.duration);
    if (!d) die("--duration: " + d.error());
    cfg.duration = *d;
  }
  if (!o.stats_interval.empty()) {
    auto d = parse_duration(o.stats_interval);
    if (!d) die("--stats-interval: " + d.error());
    cfg.stats_interval = *d;
  }
  cfg.control = o.control;
  cfg.control_stdin = !o.no_stdin;
  cfg.parser = parse_control_line;
  // The relay's thread builds the families; the exporter's threads only serve them.
  auto exporter = start_metrics_flag("netem", o.metrics);
  if (exporter) {
    cfg.snapshot_interval = kMetricsInterval;
    cfg.on_snapshot = [e = exporter.get()](std::span<const netem::PathCounters> paths) {
      e->publish(metrics::relay_families(relay_link_values(paths)));
    };
  }
  std::vector<std::string> descriptions;
  for (const auto& p : cfg.paths) {
    descriptions.push_back(fmt::format("-> {}\n  up:   {}\n  down: {}", p.target.to_string(), describe(p.uplink),
                                       describe(p.downlink)));
  }
  auto relay = netem::Relay::create(std::move(cfg));
  if (!relay) die(relay.error());
  for (size_t i = 0; i < descriptions.size(); ++i) {
    fmt::print("path {}: {} {}\n", i, (*relay)->listen_address(i).to_string(), descriptions[i]);
  }
  if (auto ctl = (*relay)->control_address()) fmt::print("control: udp {}\n", ctl->to_string());
  else if (!o.control.empty()) fmt::print("control: {}\n", o.control);
  fmt::print("{}\n", kControlUsage);
  std::fflush(stdout);
  running_relay.store(relay->get());
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  auto result = (*relay)->run();
  running_relay.store(nullptr);
  fmt::print("{}", (*relay)->stats_text());
  if (!result) die(result.error());
}

void setup_netem(CLI::App& app) {
  auto opts = std::make_shared<NetemOptions>();
  auto* cmd = app.add_subcommand("netem", "userspace link emulator: relay UDP through emulated links");
  cmd->add_option("--path", opts->paths,
                  "LISTEN=TARGET[,[up:|down:]key=value...] (repeat per path; keys: rate delay jitter reorder "
                  "loss ge dup queue mtu trace down-at up-at outage rate-at delay-at loss-at)")
      ->required();
  cmd->add_option("--seed", opts->seed, "random seed for loss, jitter and duplication");
  cmd->add_option("--duration", opts->duration, "stop after this long (e.g. 30s)");
  cmd->add_option("--stats-interval", opts->stats_interval, "print per-path counters this often (e.g. 1s)");
  cmd->add_option("--control", opts->control, "control socket: IP:PORT (UDP) or unix:PATH (datagram)");
  cmd->add_flag("--no-stdin", opts->no_stdin, "do not read control commands from stdin");
  add_metrics_flag(cmd, opts->metrics);
  cmd->callback([opts] { run_netem(*opts); });
}

}  // namespace

BRAID_SUBCOMMAND(netem, "netem", setup_netem);

}  // namespace braid::tool

// Scenario validation: each table is read through a KeyReader that knows its key path, so
// a wrong type, an out-of-range value or an unknown (misspelt) key yields one clear message.
#include "sim/scenario_loader.h"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "braid/congestion_controller.h"
#include "braid/config.h"
#include "braid/path_scheduler.h"
#include "sim/topology.h"
#include "transfer/mode_detector.h"
#include "transfer/transfer_wire.h"

namespace braid::sim {

const char* to_string(WorkloadKind k) {
  switch (k) {
    case WorkloadKind::kBulkDownload: return "bulk_download";
    case WorkloadKind::kBulkUpload: return "bulk_upload";
    case WorkloadKind::kRequestResponse: return "request_response";
    case WorkloadKind::kDatagramFlow: return "datagram_flow";
    case WorkloadKind::kMessages: return "messages";
    case WorkloadKind::kTransfer: return "transfer";
  }
  return "?";
}

const char* to_string(MessageTransport t) {
  switch (t) {
    case MessageTransport::kStream: return "stream";
    case MessageTransport::kDatagram: return "datagram";
  }
  return "?";
}

bool WorkloadSpec::upstream() const {
  switch (kind) {
    case WorkloadKind::kBulkDownload: return false;
    case WorkloadKind::kBulkUpload: return true;
    case WorkloadKind::kTransfer: return true;
    case WorkloadKind::kRequestResponse: return false;  // small requests, large responses
    case WorkloadKind::kDatagramFlow:
    case WorkloadKind::kMessages: return !downstream;
  }
  return false;
}

Duration ClientSpec::start() const {
  if (workloads.empty()) return Duration::zero();
  Duration s = workloads[0].start;
  for (const auto& w : workloads) s = std::min(s, w.start);
  return s;
}

std::expected<PluginSpec, std::string> parse_scheduler_spec(std::string_view text) {
  return parse_scheduler_config(text);
}

std::expected<void, std::string> check_congestion_controller(std::string_view name) {
  auto names = congestion_controller_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    return std::unexpected(fmt::format("unknown controller '{}' (known: {})", name, fmt::join(names, ", ")));
  }
  return {};
}

const char* to_string(PathActionKind k) {
  switch (k) {
    case PathActionKind::kOpenPath: return "open_path";
    case PathActionKind::kClosePath: return "close_path";
    case PathActionKind::kBackup: return "backup";
    case PathActionKind::kAvailable: return "available";
  }
  return "?";
}

namespace {

struct Failure {
  ScenarioError error;
};

[[noreturn]] void fail(const std::string& msg, bool missing_trace = false) { throw Failure{{msg, missing_trace}}; }

Duration seconds_to_duration(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

// Reads the keys of one table; every key read is remembered so leftovers can be reported.
class KeyReader {
 public:
  KeyReader(const toml::table& t, std::string path) : t_(t), path_(std::move(path)) {}

  std::string key_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
  }
  const toml::node* get(std::string_view key) {
    seen_.insert(std::string(key));
    return t_.get(key);
  }
  bool has(std::string_view key) const { return t_.contains(key); }

  std::optional<double> number(std::string_view key, double lo, double hi) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    auto v = n->value<double>();
    if (!v || n->is_boolean()) fail(fmt::format("{}: expected a number", key_path(key)));
    if (!(*v >= lo && *v <= hi)) fail(fmt::format("{}: {} is out of range [{}, {}]", key_path(key), *v, lo, hi));
    return v;
  }
  std::optional<uint64_t> integer(std::string_view key, uint64_t lo, uint64_t hi) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    if (!n->is_integer()) fail(fmt::format("{}: expected an integer", key_path(key)));
    int64_t v = *n->value<int64_t>();
    if (v < 0 || uint64_t(v) < lo || uint64_t(v) > hi) {
      fail(fmt::format("{}: {} is out of range [{}, {}]", key_path(key), v, lo, hi));
    }
    return uint64_t(v);
  }
  std::optional<bool> boolean(std::string_view key) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    if (!n->is_boolean()) fail(fmt::format("{}: expected true or false", key_path(key)));
    return *n->value<bool>();
  }
  std::optional<std::string> string(std::string_view key) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    if (!n->is_string()) fail(fmt::format("{}: expected a string", key_path(key)));
    return *n->value<std::string>();
  }
  std::optional<Duration> seconds(std::string_view key, double hi = 1e6) {
    auto v = number(key, 0, hi);
    if (!v) return std::nullopt;
    return seconds_to_duration(*v);
  }
  std::optional<Duration> millis(std::string_view key) {
    auto v = number(key, 0, 1e7);
    if (!v) return std::nullopt;
    return seconds_to_duration(*v / 1000.0);
  }
  const toml::table* table(std::string_view key) {
    const toml::node* n = get(key);
    if (!n) return nullptr;
    if (!n->is_table()) fail(fmt::format("{}: expected a table", key_path(key)));
    return n->as_table();
  }
  const toml::array* array(std::string_view key) {
    const toml::node* n = get(key);
    if (!n) return nullptr;
    if (!n->is_array()) fail(fmt::format("{}: expected an array", key_path(key)));
    return n->as_array();
  }
  void require(std::string_view key) {
    if (!has(key)) fail(fmt::format("{}: missing (required)", key_path(key)));
  }
  // Call after reading: any key not read is a typo or an unsupported option.
  void reject_unknown() const {
    for (const auto& [k, v] : t_) {
      if (!seen_.count(std::string(k.str()))) fail(fmt::format("{}: unknown key", key_path(k.str())));
    }
  }

 private:
  const toml::table& t_;
  std::string path_;
  std::set<std::string> seen_;
};

const toml::table& as_table_at(const toml::node& n, const std::string& path) {
  if (!n.is_table()) fail(fmt::format("{}: expected a table", path));
  return *n.as_table();
}

class Loader {
 public:
  Loader(std::string origin, const LoadOptions& opts) : origin_(std::move(origin)), opts_(opts) {}

  Scenario load(const toml::table& root) {
    Scenario s;
    KeyReader r(root, "");
    s.name = r.string("name").value_or("");
    if (s.name.empty()) fail("name: missing (required)");
    s.description = r.string("description").value_or("");
    s.seed = r.integer("seed", 0, UINT64_MAX >> 1).value_or(1);
    if (auto d = r.seconds("time_limit_s", 1e5)) s.time_limit = *d;
    if (auto* t = r.table("transport")) s.transport = transport(*t, "transport");
    if (auto* t = r.table("links")) {
      for (const auto& [name, node] : *t) {
        std::string path = fmt::format("links.{}", name.str());
        LinkConfig c = default_link();
        apply_link(c, as_table_at(node, path), path);
        s.shared_links.emplace(std::string(name.str()), std::move(c));
      }
    }
    const toml::array* clients = r.array("clients");
    if (!clients || clients->empty()) fail("clients: at least one [[clients]] table is required");
    for (size_t i = 0; i < clients->size(); ++i) {
      std::string path = fmt::format("clients[{}]", i);
      s.clients.push_back(client(as_table_at(*clients->get(i), path), path, s, i));
    }
    if (auto* a = r.array("actions")) {
      for (size_t i = 0; i < a->size(); ++i) {
        std::string path = fmt::format("actions[{}]", i);
        s.actions.push_back(action(as_table_at(*a->get(i), path), path, s));
      }
      std::stable_sort(s.actions.begin(), s.actions.end(),
                       [](const PathAction& x, const PathAction& y) { return x.at < y.at; });
    }
    if (auto* a = r.array("triggers")) {
      for (size_t i = 0; i < a->size(); ++i) {
        std::string path = fmt::format("triggers[{}]", i);
        s.triggers.push_back(trigger(as_table_at(*a->get(i), path), path));
      }
    }
    if (auto* t = r.table("expect")) s.expect = expectations(*t, "expect");
    r.reject_unknown();
    return s;
  }

 private:
  static LinkConfig default_link() {
    LinkConfig c;
    c.queue_bytes = 1 << 20;  // like braid netem; unbounded queues hide congestion control
    return c;
  }

  TransportSpec transport(const toml::table& t, const std::string& path) {
    TransportSpec tr;
    KeyReader r(t, path);
    if (auto cc = r.string("congestion_controller")) {
      if (auto ok = check_congestion_controller(*cc); !ok) fail(fmt::format("{}.congestion_controller: {}", path, ok.error()));
      tr.congestion_controller = *cc;
    }
    if (auto m = r.boolean("multipath")) tr.multipath = *m;
    if (auto s = r.string("scheduler")) {
      auto spec = parse_scheduler_spec(*s);
      if (!spec) fail(fmt::format("{}.scheduler: {}", path, spec.error()));
      tr.scheduler = std::move(*spec);
    }
    if (auto d = r.string("duplicate")) {
      if (auto ok = parse_duplication_policy(*d); !ok) fail(fmt::format("{}.duplicate: {}", path, ok.error()));
      tr.duplicate = *d;
    }
    if (auto d = r.string("reinject")) {
      if (auto ok = parse_reinjection_policy(*d); !ok) fail(fmt::format("{}.reinject: {}", path, ok.error()));
      tr.reinject = *d;
    }
    if (auto p = r.boolean("pacing")) tr.pacing = *p;
    if (auto d = r.string("failure_detector")) {
      FailureDetectionConfig probe;
      if (auto ok = set_failure_detector(probe, *d); !ok) fail(fmt::format("{}.failure_detector: {}", path, ok.error()));
      tr.failure_detector = *d;
    }
    if (auto d = r.seconds("path_probe_interval_s")) tr.path_probe_interval = *d;
    if (auto d = r.string("on_failure")) {
      if (auto ok = parse_on_failure(*d); !ok) fail(fmt::format("{}.on_failure: {}", path, ok.error()));
      tr.on_failure = *d;
    }
    if (auto d = r.seconds("abandon_failed_after_s")) tr.abandon_failed_after = *d;
    if (auto d = r.seconds("idle_timeout_s")) tr.idle_timeout = *d;
    if (auto m = r.integer("max_udp_payload_bytes", 1200, 65527)) tr.max_udp_payload_bytes = *m;
    if (const toml::array* a = r.array("advertise")) {
      for (size_t i = 0; i < a->size(); ++i) {
        auto text = a->get(i)->value<std::string>();
        auto addr = text ? SocketAddress::parse(*text) : std::nullopt;
        if (!addr || !is_advertisable(*addr) || *addr == Topology::default_server_address()) {
          fail(fmt::format("{}.advertise[{}]: expected \"ADDR:PORT\" of a further server address", path, i));
        }
        tr.advertise.push_back(*addr);
      }
      if (tr.advertise.size() > kMaxAdvertisedAddresses) {
        fail(fmt::format("{}.advertise: at most {} addresses", path, kMaxAdvertisedAddresses));
      }
    }
    if (auto u = r.boolean("use_advertised")) tr.use_advertised = *u;
    r.reject_unknown();
    return tr;
  }

  void apply_link(LinkConfig& c, const toml::table& t, const std::string& path) {
    KeyReader r(t, path);
    if (auto v = r.number("rate_mbps", 0, 1e6)) c.rate_bps = static_cast<uint64_t>(*v * 1e6 + 0.5);
    if (auto v = r.millis("delay_ms")) c.delay = *v;
    if (auto v = r.millis("jitter_ms")) c.jitter = *v;
    if (auto v = r.boolean("reorder")) c.jitter_reorders = *v;
    if (auto v = r.integer("queue_bytes", 0, uint64_t(1) << 40)) c.queue_bytes = *v;
    if (auto v = r.number("loss", 0, 1)) c.loss = *v;
    if (auto v = r.number("duplicate", 0, 1)) c.duplicate = *v;
    if (auto v = r.integer("mtu", 100, 65535)) c.mtu = static_cast<uint32_t>(*v);
    if (auto* ge = r.table("burst_loss")) {
      KeyReader g(*ge, r.key_path("burst_loss"));
      c.burst_loss.p_good_to_bad = g.number("p_good_to_bad", 0, 1).value_or(0);
      c.burst_loss.p_bad_to_good = g.number("p_bad_to_good", 0, 1).value_or(1);
      c.burst_loss.loss_in_bad = g.number("loss_in_bad", 0, 1).value_or(1);
      c.burst_loss.loss_in_good = g.number("loss_in_good", 0, 1).value_or(0);
      g.reject_unknown();
    }
    if (auto name = r.string("trace")) c.trace = trace(*name, r.key_path("trace"));
    if (auto* ev = r.array("events")) {
      for (size_t i = 0; i < ev->size(); ++i) {
        std::string p = fmt::format("{}[{}]", r.key_path("events"), i);
        events(as_table_at(*ev->get(i), p), p, c.events);
      }
    }
    r.reject_unknown();
  }

  static Trigger trigger(const toml::table& t, const std::string& path) {
    KeyReader r(t, path);
    r.require("kind");
    r.require("at_s");
    Trigger g;
    std::string kind = *r.string("kind");
    if (kind != "outage_busiest") fail(fmt::format("{}.kind: unknown trigger '{}' (outage_busiest)", path, kind));
    g.at = *r.seconds("at_s");
    g.until = r.seconds("until_s");
    if (g.until && *g.until <= g.at) fail(fmt::format("{}.until_s: must be after at_s", path));
    r.reject_unknown();
    return g;
  }

  static constexpr size_t kMaxPeriodicOutages = 100'000;

  // One event, or for `periodic_outage` (down `down_s` every `every_s` from `at_s` until
  // `until_s`) the outages it stands for.
  void events(const toml::table& t, const std::string& path, std::vector<LinkEvent>& out) {
    KeyReader r(t, path);
    r.require("kind");
    r.require("at_s");
    std::string kind = *r.string("kind");
    Duration at = *r.seconds("at_s");
    LinkEvent e;
    if (kind == "periodic_outage") {
      r.require("every_s");
      r.require("down_s");
      r.require("until_s");
      Duration every = *r.seconds("every_s");
      Duration down = *r.seconds("down_s");
      Duration until = *r.seconds("until_s");
      if (down.count() <= 0 || every <= down) fail(fmt::format("{}: need 0 < down_s < every_s", path));
      if (until <= at) fail(fmt::format("{}.until_s: must be after at_s", path));
      if ((until - at) / every > static_cast<int64_t>(kMaxPeriodicOutages)) {
        fail(fmt::format("{}: more than {} outages", path, kMaxPeriodicOutages));
      }
      for (Duration s = at; s < until; s += every) out.push_back(LinkEvent::outage(s, std::min(s + down, until)));
      r.reject_unknown();
      return;
    }
    if (kind == "outage") {
      r.require("until_s");
      Duration until = *r.seconds("until_s");
      if (until <= at) fail(fmt::format("{}.until_s: must be after at_s", path));
      e = LinkEvent::outage(at, until);
    } else if (kind == "down") {
      e = LinkEvent::down(at);
    } else if (kind == "up") {
      e = LinkEvent::up(at);
    } else if (kind == "rate") {
      r.require("rate_mbps");
      e = LinkEvent::rate(at, static_cast<uint64_t>(*r.number("rate_mbps", 0, 1e6) * 1e6 + 0.5));
    } else if (kind == "delay") {
      r.require("delay_ms");
      e = LinkEvent::delay_change(at, *r.millis("delay_ms"));
    } else if (kind == "loss") {
      r.require("loss");
      e = LinkEvent::loss_change(at, *r.number("loss", 0, 1));
    } else {
      fail(fmt::format("{}.kind: unknown event '{}' (outage, periodic_outage, down, up, rate, delay, loss)", path,
                       kind));
    }
    r.reject_unknown();
    out.push_back(e);
  }

  std::shared_ptr<const Trace> trace(const std::string& name, const std::string& key) {
    if (auto it = traces_.find(name); it != traces_.end()) return it->second;
    namespace fs = std::filesystem;
    fs::path file = fs::path(name).is_absolute() ? fs::path(name) : fs::path(opts_.traces_dir) / name;
    if (!fs::exists(file)) {
      fail(fmt::format("{}: trace '{}' not found (traces dir '{}'; set --traces-dir or BRAID_TRACES_DIR)", key,
                       name, opts_.traces_dir),
           true);
    }
    auto t = Trace::load(file.string());
    if (!t) fail(fmt::format("{}: {}", key, t.error()));
    auto p = std::make_shared<const Trace>(std::move(*t));
    traces_.emplace(name, p);
    return p;
  }

  // `up`/`down` may be a shared link's name or a table applied over the path's `link`.
  LinkRef link_ref(KeyReader& r, std::string_view key, const LinkConfig& base, const Scenario& s) {
    LinkRef ref;
    ref.config = base;
    const toml::node* n = r.get(key);
    if (!n) return ref;
    if (n->is_string()) {
      ref.shared_name = *n->value<std::string>();
      if (!s.shared_links.count(ref.shared_name)) {
        fail(fmt::format("{}: no link named '{}' in [links]", r.key_path(key), ref.shared_name));
      }
      return ref;
    }
    if (!n->is_table()) fail(fmt::format("{}: expected a link table or the name of a [links] entry", r.key_path(key)));
    apply_link(ref.config, *n->as_table(), r.key_path(key));
    return ref;
  }

  ClientSpec client(const toml::table& t, const std::string& path, const Scenario& s, size_t index) {
    ClientSpec c;
    KeyReader r(t, path);
    c.name = r.string("name").value_or(fmt::format("client{}", index));
    c.count = static_cast<uint32_t>(r.integer("count", 1, 1000).value_or(1));
    if (auto cc = r.string("congestion_controller")) {
      if (auto ok = check_congestion_controller(*cc); !ok) fail(fmt::format("{}.congestion_controller: {}", path, ok.error()));
      c.congestion_controller = *cc;
    }
    const toml::array* paths = r.array("paths");
    if (!paths || paths->empty()) fail(fmt::format("{}.paths: at least one [[clients.paths]] is required", path));
    for (size_t i = 0; i < paths->size(); ++i) {
      std::string pp = fmt::format("{}.paths[{}]", path, i);
      KeyReader pr(as_table_at(*paths->get(i), pp), pp);
      PathSpec ps;
      ps.name = pr.string("name").value_or(fmt::format("path{}", i));
      LinkConfig base = default_link();
      if (auto* l = pr.table("link")) apply_link(base, *l, pr.key_path("link"));
      ps.up = link_ref(pr, "up", base, s);
      ps.down = link_ref(pr, "down", base, s);
      ps.backup = pr.boolean("backup").value_or(false);
      if (auto cc = pr.string("congestion_controller")) {
        if (auto ok = check_congestion_controller(*cc); !ok) fail(fmt::format("{}.congestion_controller: {}", pp, ok.error()));
        ps.congestion_controller = *cc;
      }
      if (auto srv = pr.string("server")) {
        auto addr = SocketAddress::parse(*srv);
        bool known = addr && (*addr == Topology::default_server_address() ||
                              std::find(s.transport.advertise.begin(), s.transport.advertise.end(), *addr) !=
                                  s.transport.advertise.end());
        if (!known) {
          fail(fmt::format("{}.server: {} is neither the server's address ({}) nor in transport.advertise", pp, *srv,
                           Topology::default_server_address().to_string()));
        }
        if (i == 0 && *addr != Topology::default_server_address()) {
          fail(fmt::format("{}.server: the first path carries the handshake to the server's own address", pp));
        }
        ps.server = *addr;
      }
      pr.reject_unknown();
      c.paths.push_back(std::move(ps));
    }
    // [clients.workload] (one) and/or [[clients.workloads]] (several on the same connection).
    if (auto* w = r.table("workload")) c.workloads.push_back(workload(*w, path + ".workload"));
    if (auto* ws = r.array("workloads")) {
      for (size_t i = 0; i < ws->size(); ++i) {
        std::string wp = fmt::format("{}.workloads[{}]", path, i);
        c.workloads.push_back(workload(as_table_at(*ws->get(i), wp), wp));
      }
    }
    if (c.workloads.empty()) {
      fail(fmt::format("{}: a [clients.workload] table or at least one [[clients.workloads]] is required", path));
    }
    if (c.workloads.size() > 64) fail(fmt::format("{}.workloads: at most 64 workloads per client", path));
    r.reject_unknown();
    return c;
  }

  // `client` counts expanded clients (a `count = 3` entry is three); `path` indexes that
  // client's [[clients.paths]].
  PathAction action(const toml::table& t, const std::string& path, const Scenario& s) {
    KeyReader r(t, path);
    r.require("at_s");
    r.require("kind");
    r.require("path");
    PathAction a;
    a.at = *r.seconds("at_s");
    std::string kind = *r.string("kind");
    if (kind == "open_path") a.kind = PathActionKind::kOpenPath;
    else if (kind == "close_path") a.kind = PathActionKind::kClosePath;
    else if (kind == "backup") a.kind = PathActionKind::kBackup;
    else if (kind == "available") a.kind = PathActionKind::kAvailable;
    else fail(fmt::format("{}.kind: unknown action '{}' (open_path, close_path, backup, available)", path, kind));
    a.client = r.integer("client", 0, 1'000'000).value_or(0);
    a.path = *r.integer("path", 0, 1'000'000);
    const ClientSpec* spec = nullptr;
    size_t first = 0;
    for (const auto& c : s.clients) {
      if (a.client < first + c.count) {
        spec = &c;
        break;
      }
      first += c.count;
    }
    if (!spec) fail(fmt::format("{}.client: {} is out of range (the scenario has {} clients)", path, a.client, first));
    if (a.path >= spec->paths.size()) {
      fail(fmt::format("{}.path: client {} has {} paths", path, a.client, spec->paths.size()));
    }
    if (a.path == 0 && (a.kind == PathActionKind::kOpenPath)) {
      fail(fmt::format("{}: path 0 is the connection's initial path and is always open", path));
    }
    r.reject_unknown();
    return a;
  }

  WorkloadSpec workload(const toml::table& t, const std::string& path) {
    WorkloadSpec w;
    KeyReader r(t, path);
    r.require("kind");
    std::string kind = *r.string("kind");
    if (auto d = r.seconds("start_s")) w.start = *d;
    if (kind == "bulk_download" || kind == "bulk_upload") {
      w.kind = kind == "bulk_download" ? WorkloadKind::kBulkDownload : WorkloadKind::kBulkUpload;
      r.require("bytes");
      w.bytes = *r.integer("bytes", 1, uint64_t(1) << 40);
      w.streams = static_cast<uint32_t>(r.integer("streams", 1, 100).value_or(1));
    } else if (kind == "request_response") {
      w.kind = WorkloadKind::kRequestResponse;
      r.require("count");
      r.require("rate_per_s");
      w.count = static_cast<uint32_t>(*r.integer("count", 1, 10'000'000));
      w.rate_per_s = *r.number("rate_per_s", 1e-3, 1e6);
      w.request_bytes = r.integer("request_bytes", 1, 1 << 24).value_or(100);
      w.response_bytes = r.integer("response_bytes", 1, 1 << 26).value_or(1000);
    } else if (kind == "datagram_flow") {
      w.kind = WorkloadKind::kDatagramFlow;
      r.require("count");
      r.require("rate_per_s");
      w.count = static_cast<uint32_t>(*r.integer("count", 1, 10'000'000));
      w.rate_per_s = *r.number("rate_per_s", 1e-3, 1e6);
      w.datagram_bytes = r.integer("datagram_bytes", 16, 1200).value_or(1000);
      w.downstream = direction(r, path).value_or(true);
      if (auto d = r.seconds("drain_s")) w.drain = *d;
    } else if (kind == "messages") {
      w.kind = WorkloadKind::kMessages;
      r.require("count");
      r.require("rate_per_s");
      w.count = static_cast<uint32_t>(*r.integer("count", 1, 10'000'000));
      w.rate_per_s = *r.number("rate_per_s", 1e-3, 1e6);
      w.downstream = direction(r, path).value_or(true);
      if (auto t = r.string("transport")) {
        if (*t == "stream") w.transport = MessageTransport::kStream;
        else if (*t == "datagram") w.transport = MessageTransport::kDatagram;
        else fail(fmt::format("{}.transport: '{}' is not 'stream' or 'datagram'", path, *t));
      }
      // 16 bytes of header (workload, sequence number, send time) then the checked pattern.
      w.message_bytes = r.integer("message_bytes", 16, 1 << 24).value_or(1000);
      if (w.transport == MessageTransport::kDatagram && w.message_bytes > kMaxDatagramMessage) {
        fail(fmt::format("{}.message_bytes: {} does not fit one datagram (at most {} with transport = \"datagram\")",
                         path, w.message_bytes, kMaxDatagramMessage));
      }
      if (auto d = r.seconds("drain_s")) w.drain = *d;
    } else if (kind == "transfer") {
      w.kind = WorkloadKind::kTransfer;
      r.require("bytes");
      w.bytes = *r.integer("bytes", 0, uint64_t(1) << 40);
      if (auto m = r.string("mode")) {
        if (*m != "auto" && !transfer::parse_mode(*m)) {
          fail(fmt::format("{}.mode: '{}' is not auto, datacenter, hybrid or internet", path, *m));
        }
        w.transfer_mode = *m;
      }
      if (auto d = r.seconds("check_interval_s")) {
        if (*d < std::chrono::milliseconds(100)) fail(fmt::format("{}.check_interval_s: at least 0.1", path));
        w.transfer_check_interval = *d;
      }
      w.transfer_streams = static_cast<uint32_t>(r.integer("streams", 0, 256).value_or(0));
      w.transfer_chunk = r.integer("chunk_bytes", 0, transfer::kMaxChunkLength).value_or(0);
      w.kill_at = r.number("kill_at", 0, 1).value_or(0);
      if (auto d = r.string("dir")) w.transfer_dir = *d;
      w.transfer_id = r.integer("transfer_id", 0, uint64_t(1) << 62).value_or(1);
    } else {
      fail(fmt::format(
          "{}.kind: unknown workload '{}' (bulk_download, bulk_upload, request_response, datagram_flow, messages, "
          "transfer)",
          path, kind));
    }
    r.reject_unknown();
    return w;
  }

  static constexpr uint64_t kMaxDatagramMessage = 1200;

  // `direction`: "downstream" (server to client) or "upstream"; "down" and "up" also read.
  static std::optional<bool> direction(KeyReader& r, const std::string& path) {
    auto d = r.string("direction");
    if (!d) return std::nullopt;
    if (*d == "down" || *d == "downstream") return true;
    if (*d == "up" || *d == "upstream") return false;
    fail(fmt::format("{}.direction: '{}' is not 'downstream' or 'upstream' ('down', 'up')", path, *d));
  }

  Expectations expectations(const toml::table& t, const std::string& path) {
    Expectations e;
    KeyReader r(t, path);
    e.must_complete = r.boolean("must_complete").value_or(false);
    e.must_not_complete = r.boolean("must_not_complete").value_or(false);
    if (e.must_complete && e.must_not_complete) fail(fmt::format("{}: must_complete and must_not_complete both set", path));
    e.min_goodput_mbps = r.number("min_goodput_mbps", 0, 1e6);
    e.max_goodput_mbps = r.number("max_goodput_mbps", 0, 1e6);
    e.min_total_goodput_mbps = r.number("min_total_goodput_mbps", 0, 1e6);
    e.max_completion_s = r.number("max_completion_s", 0, 1e6);
    e.max_stall_s = r.number("max_stall_s", 0, 1e6);
    e.min_stall_s = r.number("min_stall_s", 0, 1e6);
    e.min_jain_fairness = r.number("min_jain_fairness", 0, 1);
    e.min_delivery_ratio = r.number("min_delivery_ratio", 0, 1);
    e.max_p99_latency_ms = r.number("max_p99_latency_ms", 0, 1e9);
    e.min_packets_lost = r.integer("min_packets_lost", 0, UINT64_MAX >> 1);
    e.max_health_transitions = r.integer("max_health_transitions", 0, UINT64_MAX >> 1);
    e.must_degrade = r.boolean("must_degrade").value_or(false);
    e.min_failed_paths = r.integer("min_failed_paths", 0, 1024);
    e.max_detection_s = r.number("max_detection_s", 0, 1e6);
    e.max_recovery_s = r.number("max_recovery_s", 0, 1e6);
    e.min_path_stream_bytes = r.integer("min_path_stream_bytes", 0, UINT64_MAX >> 1);
    r.reject_unknown();
    return e;
  }

  std::string origin_;
  const LoadOptions& opts_;
  std::map<std::string, std::shared_ptr<const Trace>> traces_;
};

std::expected<Scenario, ScenarioError> load_table(const toml::table& root, std::string_view origin,
                                                  const LoadOptions& opts) {
  try {
    return Loader(std::string(origin), opts).load(root);
  } catch (const Failure& f) {
    return std::unexpected(ScenarioError{fmt::format("{}: {}", origin, f.error.message), f.error.missing_trace});
  }
}

// JSON scenarios are converted to the TOML tree so both formats share one validator.
std::unique_ptr<toml::node> to_toml(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      auto t = std::make_unique<toml::table>();
      for (auto it = j.begin(); it != j.end(); ++it) {
        auto child = to_toml(it.value());
        if (child) t->insert(it.key(), std::move(*child));
      }
      return t;
    }
    case nlohmann::json::value_t::array: {
      auto a = std::make_unique<toml::array>();
      for (const auto& v : j) {
        auto child = to_toml(v);
        if (child) a->push_back(std::move(*child));
      }
      return a;
    }
    case nlohmann::json::value_t::string: return std::make_unique<toml::value<std::string>>(j.get<std::string>());
    case nlohmann::json::value_t::boolean: return std::make_unique<toml::value<bool>>(j.get<bool>());
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return std::make_unique<toml::value<int64_t>>(j.get<int64_t>());
    case nlohmann::json::value_t::number_float: return std::make_unique<toml::value<double>>(j.get<double>());
    default: return nullptr;
  }
}

}  // namespace

std::expected<Scenario, ScenarioError> parse_scenario_toml(std::string_view text, std::string_view origin,
                                                           const LoadOptions& opts) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return std::unexpected(ScenarioError{fmt::format("{}:{}:{}: {}", origin, b.line, b.column, e.description())});
  }
  return load_table(root, origin, opts);
}

std::expected<Scenario, ScenarioError> parse_scenario_json(std::string_view text, std::string_view origin,
                                                           const LoadOptions& opts) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return std::unexpected(ScenarioError{fmt::format("{}: invalid JSON", origin)});
  if (!j.is_object()) return std::unexpected(ScenarioError{fmt::format("{}: the top level must be an object", origin)});
  auto root = to_toml(j);
  return load_table(*root->as_table(), origin, opts);
}

std::expected<Scenario, ScenarioError> load_scenario(const std::string& path, const LoadOptions& opts) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(ScenarioError{fmt::format("{}: cannot open", path)});
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0) return parse_scenario_json(text, path, opts);
  return parse_scenario_toml(text, path, opts);
}

}  // namespace braid::sim

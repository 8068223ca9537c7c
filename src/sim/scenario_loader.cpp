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
#include "sim/scenario_keys.h"
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

using namespace scenario_keys;

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
    if (auto* t = r.table("transport")) s.transport = read_transport(*t, "transport");
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
        s.triggers.push_back(read_trigger(as_table_at(*a->get(i), path), path));
      }
    }
    if (auto* t = r.table("expect")) s.expect = read_expectations(*t, "expect");
    r.reject_unknown();
    return s;
  }

 private:
  static LinkConfig default_link() {
    LinkConfig c;
    c.queue_bytes = 1 << 20;  // like braid netem; unbounded queues hide congestion control
    return c;
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
    if (auto* w = r.table("workload")) c.workloads.push_back(read_workload(*w, path + ".workload"));
    if (auto* ws = r.array("workloads")) {
      for (size_t i = 0; i < ws->size(); ++i) {
        std::string wp = fmt::format("{}.workloads[{}]", path, i);
        c.workloads.push_back(read_workload(as_table_at(*ws->get(i), wp), wp));
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

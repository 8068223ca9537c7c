// AutoPaths: interface events to add_socket/open_path and close_path/remove_socket.
#include "tools/braid/auto_paths.h"

#include <fmt/format.h>

#include "io/monotonic_clock.h"
#include "io/netlink_parser.h"

namespace braid::tool {
namespace {

SocketAddress ip_only(SocketAddress a) {
  a.port = 0;
  return a;
}

}  // namespace

AutoPaths::AutoPaths(io::EventLoop& loop, io::EndpointDriver& driver, const SocketAddress& remote, ClientReport& rep)
    : driver_(driver), remote_(remote), rep_(rep) {
  // The first path's address is followed too: when it goes, path 0 is abandoned.
  by_ip_[ip_only(driver_.local_address())] = Entry{driver_.local_address(), "", PathId{0}};
  auto m = io::InterfaceMonitor::create(loop, [this](const io::InterfaceEvent& e) { on_interface(e); });
  if (m) {
    monitor_ = std::move(*m);
    for (const auto& e : monitor_->usable()) {
      if (!wanted(e)) continue;
      if (auto it = by_ip_.find(ip_only(e.address)); it != by_ip_.end()) {
        it->second.interface_name = e.name;
        continue;
      }
      add_address(e.address, e.name);
    }
    return;
  }
  // Without rtnetlink (a restricted sandbox): the addresses there now, not followed.
  warn(fmt::format("--auto-paths: interfaces are not followed ({}); using the addresses present now", m.error()));
  for (const auto& a : local_interface_addresses(remote_.family, io::is_loopback_address(remote_))) {
    if (!by_ip_.contains(ip_only(a))) add_address(a, "");
  }
}

AutoPaths::~AutoPaths() = default;

bool AutoPaths::wanted(const io::InterfaceEvent& e) const {
  if (e.address.family != remote_.family) return false;
  if (e.loopback && !io::is_loopback_address(remote_)) return false;
  return true;
}

void AutoPaths::attach(Connection* c) {
  conn_ = c;
  if (!conn_) return;
  for (auto& [ip, e] : by_ip_) {
    if (!e.path) open(e);
  }
}

void AutoPaths::on_path_closed(PathId id) {
  for (auto& [ip, e] : by_ip_) {
    if (e.path == id) e.path.reset();
  }
}

void AutoPaths::on_interface(const io::InterfaceEvent& e) {
  if (e.type == io::InterfaceEventType::kLinkUp || e.type == io::InterfaceEventType::kLinkDown) return;  // addresses follow
  if (!wanted(e)) return;
  if (e.type == io::InterfaceEventType::kAddressAdded) {
    add_address(e.address, e.name);
  } else {
    remove_address(e.address, fmt::format("address {} went away{}", e.address.ip_string(),
                                          e.name.empty() ? "" : " from " + e.name));
  }
  if (conn_) driver_.service(*conn_);
}

void AutoPaths::add_address(const SocketAddress& ip, const std::string& name) {
  SocketAddress key = ip_only(ip);
  auto it = by_ip_.find(key);
  if (it != by_ip_.end()) {
    if (!it->second.path && conn_) open(it->second);  // the first address came back
    return;
  }
  auto bound = driver_.add_socket(key);
  if (!bound) {
    warn(fmt::format("--auto-paths: {} not used: {}", ip.ip_string(), bound.error()));
    return;
  }
  Entry& e = by_ip_[key] = Entry{*bound, name, std::nullopt};
  if (conn_) open(e);
}

void AutoPaths::open(Entry& e) {
  auto id = conn_->open_path(io::monotonic_now(), e.bound, remote_);
  if (!id) {
    warn(fmt::format("--auto-paths: path {} -> {} not opened: {}", e.bound.to_string(), remote_.to_string(),
                     id.error().reason));
    return;
  }
  e.path = *id;
  record(*id, "opened", e);
}

void AutoPaths::remove_address(const SocketAddress& ip, const std::string& why) {
  auto it = by_ip_.find(ip_only(ip));
  if (it == by_ip_.end()) return;
  Entry& e = it->second;
  bool first = e.bound == driver_.local_address();
  if (e.path && conn_) {
    // What the path carried, for the report: the stats lose the path once it is retired.
    std::optional<uint64_t> carried;
    bool another = false;
    for (const auto& p : conn_->stats().paths) {
      if (p.path_id == *e.path) carried = p.stream_bytes_received + p.stream_bytes_sent;
      else if (!p.abandoned && p.state != PathState::kClosing && p.state != PathState::kClosed) another = true;
    }
    if (!another) {
      // Abandoning the last path would end the connection; a carrier flap may come back
      // (IPv4 keeps its addresses over a link down), and idle timeout decides otherwise.
      warn(fmt::format("--auto-paths: {}; path {} is the only path and stays", why, *e.path));
      return;
    }
    auto closed = conn_->close_path(io::monotonic_now(), *e.path);
    if (closed) {
      record(*e.path, "abandoned", e, carried);
    } else if (*e.path != 0 || !first) {
      warn(fmt::format("--auto-paths: {}; path {} not abandoned: {}", why, *e.path, closed.error().reason));
    } else {
      warn(fmt::format("--auto-paths: {}; path 0 stays: {}", why, closed.error().reason));
    }
  }
  e.path.reset();
  if (first) return;  // the endpoint's own socket stays (remove_socket refuses it)
  if (auto r = driver_.remove_socket(e.bound); !r) warn(fmt::format("--auto-paths: {}: {}", why, r.error()));
  by_ip_.erase(it);
}

void AutoPaths::record(PathId path, const std::string& what, const Entry& e, std::optional<uint64_t> stream_bytes) {
  PathEventRecord r;
  r.at = io::monotonic_now() - rep_.start;
  r.path = path;
  r.state = what;
  r.kind = "auto";
  r.local = e.bound;
  r.interface_name = e.interface_name;
  r.stream_bytes = stream_bytes;
  rep_.path_events.push_back(std::move(r));
}

void AutoPaths::warn(std::string text) {
  if (rep_.path_warnings.size() < 100) rep_.path_warnings.push_back(std::move(text));
}

}  // namespace braid::tool

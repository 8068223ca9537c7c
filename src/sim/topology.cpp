// Topology construction: shared links first (in name order), then each client's per-path
// links in client/path order, so link seeds and indices are stable for a scenario.
#include "sim/topology.h"

#include <fmt/format.h>

namespace braid::sim {

namespace {
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
}  // namespace

SocketAddress Topology::client_address(size_t client, size_t path) {
  return SocketAddress::v4(10, static_cast<uint8_t>(path + 1), static_cast<uint8_t>(client / 250),
                           static_cast<uint8_t>(client % 250 + 2), 5000);
}

size_t Topology::add_link(std::string name, const LinkConfig& cfg, uint64_t seed, TimePoint origin) {
  uint64_t link_seed = mix(seed ^ mix(links_.size() + 1));
  links_.push_back({std::move(name), std::make_unique<Link>(cfg, link_seed, origin)});
  return links_.size() - 1;
}

Topology::Topology(const Scenario& s, uint64_t seed, TimePoint origin)
    : server_(default_server_address()) {
  std::map<std::string, size_t> shared;
  for (const auto& [name, cfg] : s.shared_links) shared[name] = add_link("links." + name, cfg, seed, origin);
  for (const auto& spec : s.clients) {
    for (uint32_t copy = 0; copy < spec.count; ++copy) {
      ClientHost host;
      host.name = spec.count == 1 ? spec.name : fmt::format("{}-{}", spec.name, copy);
      host.workloads = spec.workloads;
      host.start = spec.start();
      host.congestion_controller = spec.congestion_controller;
      size_t ci = clients_.size();
      for (size_t p = 0; p < spec.paths.size(); ++p) {
        const PathSpec& ps = spec.paths[p];
        SimPath path;
        path.name = ps.name;
        path.local = client_address(ci, p);
        path.server = ps.server.value_or(server_);
        path.backup = ps.backup;
        path.congestion_controller = ps.congestion_controller;
        auto link_for = [&](const LinkRef& ref, const char* dir) {
          if (!ref.shared_name.empty()) return shared.at(ref.shared_name);
          return add_link(fmt::format("{}/{}/{}", host.name, ps.name, dir), ref.config, seed, origin);
        };
        path.up_link = link_for(ps.up, "up");
        path.down_link = link_for(ps.down, "down");
        by_address_[path.local] = {ci, p};
        host.paths.push_back(std::move(path));
      }
      clients_.push_back(std::move(host));
    }
  }
}

std::optional<Topology::PathRef> Topology::locate(const SocketAddress& client_side) const {
  auto it = by_address_.find(client_side);
  if (it == by_address_.end()) return std::nullopt;
  return it->second;
}

}  // namespace braid::sim

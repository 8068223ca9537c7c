// The simulated network: the server's address (and the further ones it advertises), clients with one interface per path, and the
// Links that carry each path's uplink (client → server) and downlink. A path whose up or down
// names a shared link queues into the same Link as every other path naming it (a common
// bottleneck). Addresses are derived from (client, path) so any packet can be routed back
// to its path from its client-side address.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "braid/address.h"
#include "sim/link_model.h"
#include "sim/scenario.h"

namespace braid::sim {

struct SimPath {
  std::string name;
  SocketAddress local;  // the client's interface for this path
  SocketAddress server; // the server address it goes to (the server's own or an advertised one)
  size_t up_link = 0, down_link = 0;  // indices into Topology::links
  bool backup = false;                // marked backup by the client once open
  std::string congestion_controller;  // the client's on this path; empty: the connection's
};

struct ClientHost {
  std::string name;
  std::vector<SimPath> paths;  // path 0 carries the handshake
  std::vector<WorkloadSpec> workloads;  // all on the client's one connection
  Duration start{};                     // when the client connects (earliest workload start)
  std::string congestion_controller;    // the client connection's; empty: the scenario's
};

struct NamedLink {
  std::string name;  // "links.NAME" for shared links, "CLIENT/PATH/up" otherwise
  std::unique_ptr<Link> link;
};

class Topology {
 public:
  // Builds clients (expanding `count`) and links; each link's randomness derives from
  // `seed` and the link's position, so adding a client does not reshuffle the others.
  Topology(const Scenario& s, uint64_t seed, TimePoint origin);

  const SocketAddress& server_address() const { return server_; }
  static SocketAddress default_server_address() { return SocketAddress::v4(192, 0, 2, 1, 443); }
  std::vector<ClientHost>& clients() { return clients_; }
  const std::vector<ClientHost>& clients() const { return clients_; }
  std::vector<NamedLink>& links() { return links_; }
  const std::vector<NamedLink>& links() const { return links_; }

  struct PathRef {
    size_t client, path;
  };
  // The path whose client interface is `client_side` (the packet's client address).
  std::optional<PathRef> locate(const SocketAddress& client_side) const;

  static SocketAddress client_address(size_t client, size_t path);

 private:
  size_t add_link(std::string name, const LinkConfig& cfg, uint64_t seed, TimePoint origin);

  SocketAddress server_;
  std::vector<ClientHost> clients_;
  std::vector<NamedLink> links_;
  std::map<SocketAddress, PathRef> by_address_;
};

}  // namespace braid::sim

// One client connection on the calling thread: resolves and binds, connects, hands the
// connection to a ClientApp (hq download, perf), opens extra paths from further local
// addresses once the handshake is done (one socket each), enforces the handshake and
// no-progress timeouts, draws the progress display, measures the longest stall, and reports
// statistics and the reason for any failure.
#pragma once
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "braid/rtt_prior.h"
#include "braid/connection.h"
#include "io/endpoint_driver.h"
#include "tools/braid/path_actions.h"

namespace braid::tool {

class ConnectionMetrics;

// An extra path: from `local` (port 0: any) to `remote` (default: the server address).
struct PathRequest {
  SocketAddress local;
  std::optional<SocketAddress> remote;
};

struct ClientOptions {
  SocketAddress remote;
  std::optional<SocketAddress> local;     // default: the route's source address, port 0
  std::string server_name;                // SNI and the name verified
  std::vector<std::string> alpn{"hq-interop"};
  bool insecure = false;
  std::string ca_file;
  std::string congestion_controller = "cubic";
  std::string qlog_dir;
  std::string keylog_file;
  Duration timeout = std::chrono::seconds(10);  // handshake, and longest time without progress
  uint64_t key_update_after_packets = 0;
  bool ack_frequency = true;              // ConnectionConfig::ack_frequency
  bool progress = false;                  // draw the bar (callers pass isatty(stderr))
  std::string progress_label = "download";
  uint64_t progress_total = 0;            // 0: unknown
  ConnectionConfig base;                  // other connection settings
  std::optional<PluginSpec> scheduler;    // unset: base.scheduler
  std::optional<DuplicationConfig> duplication;
  std::optional<ReinjectionConfig> reinjection;
  std::optional<FailureDetectionConfig> failure_detection;   // unset: base.failure_detection
  std::shared_ptr<RttPriorStore> rtt_priors;                 // --rtt-cache (unset: none)
  std::vector<PathRequest> extra_paths;   // opened after the handshake
  // Also every other usable local address of the server's family, followed as interfaces
  // come and go (rtnetlink; see auto_paths.h).
  bool auto_paths = false;
  // Offer address advertisement and open a path from the first local address to every
  // server address told (docs/address-advertisement.md).
  bool use_advertised = false;
  io::SocketMode socket_mode = io::SocketMode::kPerAddress;  // --socket-mode
  bool path_lines = false;                // per-path lines under the bar (needs `progress`
                                          // on a terminal; without a terminal: a line per second)
  bool path_lines_without_terminal = false;
  std::optional<std::string> datagram;    // send this DATAGRAM after the handshake, await its echo
  std::vector<PathAction> path_actions;   // --abandon-path, --open-path, --migrate, --path-status
  // Called every 100 ms with the bytes delivered so far (the demo cuts links from here).
  std::function<void(Connection& c, TimePoint now, uint64_t bytes)> on_tick;
  // --metrics: follows the connection and publishes from the loop (nullptr: none). Stopped
  // before run_client returns; the caller's exporter keeps serving the last numbers.
  ConnectionMetrics* metrics = nullptr;
};

// A path event as the client saw it, for summaries.
struct PathEventRecord {
  Duration at{};  // since the start
  PathId path = 0;
  std::string state;           // the new path state, the new health, or for "auto": opened / abandoned
  // "state" (path state), "health" (failure detection), "auto" (--auto-paths followed an
  // address that appeared or went away: `local` and `interface_name` say which),
  // "advertised" (--use-advertised: the server told `remote`; state is "opened" or why not).
  std::string kind = "state";
  SocketAddress local, remote;
  std::string interface_name;
  std::optional<uint64_t> stream_bytes;  // "auto" abandoned: stream bytes the path had carried (both ways)
};

class ClientApp {
 public:
  virtual ~ClientApp() = default;
  virtual void on_handshake(Connection& c, TimePoint now) = 0;  // open streams here
  virtual void on_event(Connection& c, const ConnectionEvent& ev) = 0;
  virtual void on_service(Connection&) {}
  virtual void on_tick(Connection&, TimePoint) {}                // every 100 ms
  virtual bool done() const = 0;                                  // all work finished
  virtual std::optional<std::string> failure() const = 0;         // stops the run
  virtual uint64_t progress_bytes() const = 0;
};

struct ClientReport {
  bool ok = false;
  std::string error;
  TimePoint start{}, handshake_done{}, end{};
  std::string alpn;
  SocketAddress local, remote;
  ConnectionStats stats;
  // Longest interval during the transfer in which the application got no new in-order
  // bytes, and when it began (since `start`).
  Duration longest_stall{};
  Duration longest_stall_at{};
  struct Stall {
    Duration at{}, length{};  // at: since `start`
  };
  std::vector<Stall> stalls;  // every stall of 50 ms or more, in order
  std::vector<PathEventRecord> path_events;
  std::vector<std::string> path_warnings;   // extra paths that could not be opened or closed
  std::optional<std::string> datagram_echo; // the echoed DATAGRAM payload
  std::vector<PathActionResult> path_actions;
  io::UdpSocketCounters socket;
  io::DriverCounters driver;
};

ClientReport run_client(const ClientOptions& opts, ClientApp& app);

// One path_events entry of the --json reports: at_s, path_id and state / health, or for
// "auto": {"auto": "opened"|"abandoned", "local": ADDR:PORT, "interface": NAME}.
nlohmann::json path_event_json(const PathEventRecord& e);
// "auto-paths: path 2 from 10.77.2.2:40001 (veth1) opened at 1.52 s" for every "auto" event.
std::vector<std::string> auto_path_lines(const ClientReport& rep);

// --path LOCAL[=REMOTE]: LOCAL is ADDR or ADDR:PORT; REMOTE is ADDR:PORT or ADDR (the
// server's port), default the server address.
std::expected<PathRequest, std::string> parse_path_spec(const std::string& spec, const SocketAddress& server);

// "host:port" or "[v6]:port" to an address, resolving names (first result).
std::optional<SocketAddress> resolve_host(const std::string& host, uint16_t port);

// Local addresses of `family` from getifaddrs, up interfaces only, without IPv6 link-local
// addresses (they need a scope) and without loopback unless `include_loopback`; port 0.
std::vector<SocketAddress> local_interface_addresses(SocketAddress::Family family, bool include_loopback);

}  // namespace braid::tool

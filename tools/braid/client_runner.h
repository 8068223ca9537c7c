// One client connection on the calling thread: resolves and binds, connects, hands the
// connection to a ClientApp (hq download, perf), enforces the handshake and no-progress
// timeouts, draws the progress bar, and reports statistics and the reason for any failure.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "braid/connection.h"
#include "io/endpoint_driver.h"

namespace braid::tool {

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
  bool progress = false;                  // draw the bar (callers pass isatty(stderr))
  std::string progress_label = "download";
  uint64_t progress_total = 0;            // 0: unknown
  ConnectionConfig base;                  // other connection settings
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
  io::UdpSocketCounters socket;
  io::DriverCounters driver;
};

ClientReport run_client(const ClientOptions& opts, ClientApp& app);

// "host:port" or "[v6]:port" to an address, resolving names (first result).
std::optional<SocketAddress> resolve_host(const std::string& host, uint16_t port);

}  // namespace braid::tool

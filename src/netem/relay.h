// Real-time UDP relay that emulates links: for each path, datagrams from clients to the
// path's listen address cross the uplink model and go to the target from an upstream socket
// owned by that (path, client) pair, like a NAT; replies cross the downlink model back to
// the client. Runtime control arrives as typed commands; text lines from stdin or a control
// socket are turned into commands by a parser the caller supplies (the CLI owns the syntax).
#pragma once
#include <atomic>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "braid/address.h"
#include "braid/time.h"
#include "sim/link_model.h"

namespace braid::netem {

struct PathConfig {
  SocketAddress listen;   // port 0: ephemeral, see Relay::listen_address()
  SocketAddress target;
  sim::LinkConfig uplink;    // client -> target
  sim::LinkConfig downlink;  // target -> client
};

enum class Direction : uint8_t { kBoth, kUp, kDown };

struct ControlCommand {
  // kRebind: every flow of the path gets a new upstream socket (a new source port), as a
  // NAT that forgets its mapping does; replies to the old port are lost.
  enum class Kind : uint8_t { kDown, kUp, kRate, kDelay, kLoss, kStats, kRebind };
  Kind kind = Kind::kStats;
  std::optional<size_t> path;  // nullopt: every path
  Direction direction = Direction::kBoth;
  uint64_t rate_bps = 0;
  Duration delay{};
  double loss = 0;
};

using ControlParser = std::function<std::expected<ControlCommand, std::string>(std::string_view line)>;

struct PathCounters {
  sim::LinkCounters uplink, downlink;
  size_t flows = 0;
  uint64_t store_full_drops = 0;  // datagrams refused because max_stored_packets was reached
  uint64_t send_errors = 0;
  uint64_t flow_limit_drops = 0;
  // Link state now: bytes waiting to serialise, and up (false while down or blackholed).
  uint64_t uplink_queued_bytes = 0, downlink_queued_bytes = 0;
  bool uplink_up = true, downlink_up = true;
};

struct RelayConfig {
  std::vector<PathConfig> paths;
  uint64_t seed = 1;
  Duration duration{};        // 0: until stop()
  Duration stats_interval{};  // 0: no periodic counters
  // Control socket: "" none, "unix:/path" (datagram), or "127.0.0.1:port" (UDP, port 0 ok).
  std::string control;
  bool control_stdin = false;
  ControlParser parser;  // required for text control; typed post() works without it
  std::function<void(std::string_view)> output;  // stats and stdin replies; default stdout
  size_t max_flows_per_path = 1024;
  size_t max_stored_packets = 1 << 16;  // payloads held by the links at once
  // Exporters (braid netem --metrics): called on the relay's thread with every path's
  // counters this often and once when run() ends, so nothing reads the relay from another
  // thread. 0 or no callback: never.
  Duration snapshot_interval{};
  std::function<void(std::span<const PathCounters>)> on_snapshot;
};

class Relay {
 public:
  static std::expected<std::unique_ptr<Relay>, std::string> create(RelayConfig config);
  ~Relay();

  SocketAddress listen_address(size_t path) const;
  std::optional<SocketAddress> control_address() const;  // UDP control only
  size_t path_count() const;

  // Runs the loop on the calling thread until stop(), the configured duration, or an error.
  std::expected<void, std::string> run();
  // Thread-safe and async-signal-safe.
  void stop();
  // Thread-safe: the loop executes the command at its next turn; the reply goes to output.
  void post(ControlCommand command);

  // Loop thread only (or after run() returned).
  std::string execute(const ControlCommand& command);
  std::string stats_text();
  PathCounters counters(size_t path) const;

 private:
  struct State;
  explicit Relay(std::unique_ptr<State> state);
  void snapshot(TimePoint now);  // RelayConfig::on_snapshot
  std::unique_ptr<State> state_;
};

// The monotonic clock as a braid::TimePoint.
TimePoint monotonic_now();

}  // namespace braid::netem

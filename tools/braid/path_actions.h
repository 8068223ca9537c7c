// Scheduled path operations for `braid client` and `braid server`: abandon a path, open
// one from another local address, migrate the connection to another local address, mark a
// path backup or available, each at a time after the handshake or once an amount of data
// has been received. Parsed from flags like `--abandon-path 1@2s` or
// `--path-status 0=backup@10M`, run against a connection after every event-loop round.
#pragma once
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "braid/connection.h"

namespace braid::tool {

// When an action runs: `after` the handshake completed, or once `bytes` of stream data
// were received (downloads) or sent (uploads, the server).
struct ActionTrigger {
  std::optional<Duration> after;
  std::optional<uint64_t> bytes;
};
// "2s", "1500ms", "1.5min" (a time: ends in s, min or h) or "10M", "5MB", "4096" (bytes).
std::expected<ActionTrigger, std::string> parse_trigger(std::string_view text);

struct PathAction {
  enum class Kind : uint8_t { kAbandon, kOpen, kMigrate, kStatus };
  Kind kind = Kind::kAbandon;
  PathId path = 0;                       // abandon, status
  SocketAddress local;                   // open, migrate: the local address (bound later)
  std::optional<SocketAddress> remote;   // open: default the server address
  bool backup = false;                   // status
  ActionTrigger when;
  std::string spec;                      // the flag as given, for reports
};

// --abandon-path ID@WHEN
std::expected<PathAction, std::string> parse_abandon_path(std::string_view spec);
// --open-path LOCAL[=REMOTE]@WHEN
std::expected<PathAction, std::string> parse_open_path(std::string_view spec);
// --migrate LOCAL@WHEN
std::expected<PathAction, std::string> parse_migrate(std::string_view spec);
// --path-status ID=backup|available@WHEN
std::expected<PathAction, std::string> parse_path_status(std::string_view spec);

// What happened to one action.
struct PathActionResult {
  std::string spec;
  bool done = false;
  std::optional<Duration> at;   // since the handshake, when it ran
  std::optional<PathId> path;   // the path it opened or acted on
  std::string error;            // why it could not run (empty when done)
  bool reported = false;        // the caller has logged this outcome
};

// Runs due actions. An action that cannot run yet (on a server: a path the peer has not
// opened yet) is retried until `retry_window` after it became due, then reported. Opening
// a path never needs a retry: the connection queues the request until it can start.
class PathActionRunner {
 public:
  explicit PathActionRunner(std::vector<PathAction> actions, Duration retry_window = std::chrono::seconds(2));
  // `handshake` is when the handshake completed; `bytes` the stream bytes counted for
  // byte triggers. Returns true when it changed the connection (the caller services it).
  bool run(Connection& c, TimePoint now, TimePoint handshake, uint64_t bytes);
  // The earliest time trigger still pending (for a timer), or kNever.
  TimePoint next_deadline(TimePoint handshake) const;
  bool finished() const;
  const std::vector<PathActionResult>& results() const { return results_; }
  // Marks every finished or failed result as logged (so a log prints each once).
  void mark_reported() {
    for (auto& r : results_) r.reported = r.done || !r.error.empty();
  }
  // Local addresses that --open-path and --migrate need bound before connecting.
  std::vector<SocketAddress> local_addresses() const;
  // Where --open-path goes without =REMOTE (and the port of a REMOTE without one).
  void set_default_remote(const SocketAddress& a) { default_remote_ = a; }
  // Replaces an action's local address with the bound one (port filled in).
  void set_bound_address(const SocketAddress& requested, const SocketAddress& bound);

 private:
  bool due(const PathAction& a, TimePoint now, TimePoint handshake, uint64_t bytes) const;
  std::vector<PathAction> actions_;
  std::vector<PathActionResult> results_;
  std::vector<TimePoint> first_due_;
  Duration retry_window_;
  SocketAddress default_remote_;
};

}  // namespace braid::tool

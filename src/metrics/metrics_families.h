// Pure functions from braid values to Prometheus metric families (docs/metrics.md): no
// threads, no sockets, no clock. The event loop calls them with what it sampled and hands
// the result to a MetricsExporter.
//
// Naming: every series starts with `braid_`, uses base units (seconds, bytes), counters end
// in `_total`, every family has HELP text. Labels are low-cardinality only: `role`
// ("client"/"server"), `path_id`, enum values (`state`, `health`, `mode`, `reason`), and
// the netem `link`/`direction`. Never a connection ID, address or port: those would make a
// new series per connection and leak who talked to whom.
//
// Aggregation when several connections share a role (a server with many clients): there is
// no per-connection label. For each (role[, path_id]):
//   - counters are summed over the open connections plus the counters of connections that
//     have closed (RoleValues::closed, fed by fold_closed), so `_total` series never go
//     backwards when a connection ends;
//   - numeric gauges (RTT, window, bytes in flight, rates, MTU, buffers) take the maximum
//     over the open connections: the worst or largest one is what an alert wants;
//   - 0/1 and one-hot enum gauges (bonding state, path state, health, backup, multipath)
//     count the open connections in that state, so with one connection they read 0 or 1 and
//     with many they say how many are bonded, failed, ...
// Gauges exist only while a connection with that path is open; counters stay.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/metric_family.h>

#include "braid/connection.h"
#include "braid/time.h"

namespace braid::metrics {

using Families = std::vector<prometheus::MetricFamily>;

// Handshake latencies observed by the caller, as a cumulative Prometheus histogram.
class HandshakeHistogram {
 public:
  HandshakeHistogram();
  void observe(Duration d);
  // Upper bounds in seconds, ascending (the +Inf bucket is implied).
  const std::vector<double>& upper_bounds() const { return bounds_; }
  const std::vector<uint64_t>& bucket_counts() const { return counts_; }  // not cumulative
  uint64_t count() const { return count_; }
  double sum_seconds() const { return sum_s_; }

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  double sum_s_ = 0;
};

// Everything one role of an endpoint exposes at one moment.
struct RoleValues {
  std::string role;                     // "client" or "server"
  std::vector<ConnectionStats> open;    // connections alive now
  ConnectionStats closed;               // counters of connections that ended (fold_closed)
  uint64_t connections_total = 0;       // connections ever accepted or started
  HandshakeHistogram handshakes;
};

// Adds the counters of a connection's final statistics into `closed` (connection-wide and
// per path ID). Gauges in `closed` are left alone: closed connections have none.
void fold_closed(ConnectionStats& closed, const ConnectionStats& final_stats);

// braid_connection_* and braid_bonding_state.
Families connection_families(std::span<const RoleValues> roles);
// braid_path_*, labelled role and path_id.
Families path_families(std::span<const RoleValues> roles);
// braid_connections_open, braid_connections_total, braid_handshake_duration_seconds.
Families endpoint_families(std::span<const RoleValues> roles);
// All three above.
Families braid_families(std::span<const RoleValues> roles);

// One direction of one emulated link of `braid netem` (netem::PathCounters, converted by
// the caller so this library does not depend on the emulator).
struct RelayDirectionValues {
  uint64_t packets_offered = 0;     // datagrams that reached the link
  uint64_t packets_forwarded = 0;   // delivered out of the link, duplicates included
  uint64_t bytes_forwarded = 0;
  uint64_t packets_duplicated = 0;
  uint64_t dropped_queue = 0, dropped_loss = 0, dropped_down = 0, dropped_mtu = 0;
  uint64_t queue_bytes = 0;         // waiting to serialise now
  bool up = true;                   // false while down or blackholed
};

struct RelayLinkValues {
  std::string link;                 // the path index as text, or a name
  RelayDirectionValues up, down;    // up: client -> target; down: target -> client
  uint64_t flows = 0;               // client flows (upstream sockets) now
  uint64_t store_full_drops = 0, flow_limit_drops = 0, send_errors = 0;
};

// braid_netem_*, labelled link and direction ("up"/"down").
Families relay_families(std::span<const RelayLinkValues> links);

// The hook for the adaptive transfer layer (src/transfer): it fills these and calls
// transfer_families(); nothing here knows how a transfer works.
struct TransferMetricsValues {
  std::string role = "client";
  uint64_t bytes_total = 0;              // size of everything to transfer (0: unknown)
  uint64_t bytes_done = 0;               // verified bytes so far (monotonic)
  uint64_t active_streams = 0;           // streams carrying chunks now
  uint64_t total_streams = 0;            // streams opened so far (monotonic)
  std::string mode;                      // the transfer mode in use now
  std::vector<std::string> modes;        // every mode name for the one-hot (empty: just `mode`)
  double throughput_bytes_per_second = 0;
  uint64_t chunks_ok_total = 0, chunks_failed_total = 0, chunks_retried_total = 0;
};

// braid_transfer_*, labelled role (and mode for the one-hot).
Families transfer_families(const TransferMetricsValues& v);

// Appends `more` to `into`, merging families of the same name (their samples are joined),
// so the outputs of several builders form one valid exposition.
void merge_families(Families& into, Families more);

}  // namespace braid::metrics

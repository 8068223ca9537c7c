// What a simulation measures, as plain values: progress of in-order delivery (and its
// longest stall), latency samples, per-path and per-client results, and Jain's fairness.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "braid/time.h"
#include "sim/timeseries.h"

namespace braid::sim {

// Longest gap between successive pieces of new in-order data delivered to the receiving
// application, counted from `start` (the first gap includes the wait for the first byte).
class StallTracker {
 public:
  void start(TimePoint t) {
    if (!started_) last_ = t, started_ = true;
  }
  void on_progress(TimePoint t) {
    if (!started_) return start(t);
    if (t - last_ > longest_) longest_ = t - last_, longest_ends_at_ = t;
    last_ = t;
  }
  Duration longest() const { return longest_; }
  TimePoint longest_ends_at() const { return longest_ends_at_; }

 private:
  bool started_ = false;
  TimePoint last_{};
  Duration longest_{};
  TimePoint longest_ends_at_{};
};

struct LatencySummary {
  uint64_t samples = 0;
  double mean_ms = 0, p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
};
LatencySummary summarize_latencies(std::vector<Duration> samples);

// Jain's fairness index of non-negative values: 1 when equal, 1/n when one takes all.
double jain_fairness(const std::vector<double>& values);

// One endpoint's traffic on one path (or, summed, on the whole connection), from
// Connection::stats() at the end of the run. Stream bytes include retransmissions;
// duplicate_bytes_sent: stream bytes sent here as copies of data also sent on another path;
// reinjected_bytes_sent: stream bytes sent here again after the path they first took
// stalled; duplicate_bytes_received: stream bytes received here that had already arrived.
struct TrafficCounters {
  uint64_t bytes_sent = 0, bytes_received = 0;
  uint64_t stream_bytes_sent = 0, stream_bytes_received = 0;
  uint64_t duplicate_bytes_sent = 0, reinjected_bytes_sent = 0, duplicate_bytes_received = 0;
  uint64_t packets_sent = 0, packets_received = 0, packets_lost = 0;
  TrafficCounters& operator+=(const TrafficCounters& o);
};

struct PathResult {
  std::string name;              // from the scenario
  std::string local_address;     // the client interface
  bool used = false;             // the client connection has a path on this interface
  // The connection's last path on this interface (unused: empty / zero).
  std::optional<uint64_t> path_id;
  std::string state;             // path state name ("active", "standby", "closed", ...)
  bool backup = false;           // local or peer status says backup
  // From the client connection's per-path stats (zero when unused); summed over every path
  // the connection had on this interface.
  uint64_t bytes_sent = 0, bytes_received = 0;
  // Stream bytes each sender put on this path (incl. retransmissions): up = the client's,
  // down = the server's.
  uint64_t stream_bytes_up = 0, stream_bytes_down = 0;
  uint64_t packets_sent = 0, packets_received = 0;
  uint64_t packets_lost = 0;     // declared lost by either endpoint on this path
  double srtt_ms = 0;
  uint64_t cwnd_bytes = 0;       // client's congestion window at the end
  // From the links: datagrams delivered / dropped in each direction.
  uint64_t up_delivered_bytes = 0, down_delivered_bytes = 0;
  uint64_t up_dropped = 0, down_dropped = 0;
  // Both endpoints' counters for this path (client: paths whose local address is this
  // interface; server: paths whose remote address is).
  TrafficCounters client, server;
};

// What braid itself did to a path (failure detection, failure, recovery), on either
// endpoint: "suspect", "failed", "probing", "healthy" (health), "state failed",
// "state active" / "state standby" after a failure (recovered), "closing", "carries data"
// (the first stream bytes on a recovered path), and "bonding degraded".
struct HealthRecord {
  double at_s = 0;                 // from the simulation start
  bool server = false;             // which endpoint reported it
  uint64_t path_id = 0;
  std::optional<size_t> path;      // the scenario path (index into [[clients.paths]])
  std::string what;
};

// A scenario path's link blackholed or down (either direction), from the link events and
// state-triggered outages; until_s is infinite when it never came back.
struct OutageWindow {
  size_t path = 0;
  double from_s = 0, until_s = 0;
};

// One workload of a client (a client runs one or more on its connection).
struct WorkloadResult {
  std::string kind;               // "bulk_download", "messages", ...
  std::string detail;             // e.g. "downstream, stream, 1000 B" for messages
  double start_s = 0;             // the workload's start, from the simulation start
  bool completed = false;
  double completion_s = 0;        // from the workload's start
  double goodput_mbps = 0;        // app bytes over (completion - max(handshake, start))
  uint64_t app_bytes = 0;
  uint64_t corrupt_bytes = 0;     // stream bytes read that differ from what was written
  double longest_stall_s = 0;
  double longest_stall_end_s = 0; // from the workload's start
  // Request/response, datagram flows and messages.
  uint64_t messages_sent = 0, messages_delivered = 0;
  uint64_t messages_corrupt = 0;  // arrived with the wrong length, header or content
  uint64_t messages_refused = 0;  // the connection refused the datagram (too big, no support)
  bool has_latency = false;       // the kind measures per-message latency
  LatencySummary latency;
  // Transfers: chunk bytes the sender wrote (resends count), bytes a previous run left
  // confirmed, the error that ended it, and every mode the sender ran in (the first at
  // its start) with the profile it applied.
  bool has_transfer = false;
  uint64_t transfer_bytes_sent = 0, transfer_resumed_bytes = 0;
  std::string transfer_error;
  bool transfer_killed = false;
  struct ModeChange {
    double at_s = 0;              // from the simulation start
    std::string mode, congestion_controller;
    uint32_t streams = 0;
  };
  std::vector<ModeChange> transfer_modes;
};

// A client's fields summarize its workloads: completed when all completed; completion at the
// last one's end (from the client's start); app bytes summed; goodput = the bulk transfers'
// app bytes over (their last completion - their earliest begin), or, for a client without
// bulk transfers, the same over all its workloads; longest stall = the longest of any
// workload; messages and latency merged over the workloads that send messages. Per
// workload: `workloads`.
struct ClientResult {
  std::string name;
  std::string workload;           // the kinds, joined by "+"
  bool completed = false;
  std::string failure;            // why not, when not completed (closed, time limit)
  double handshake_s = 0;         // from the client's start; 0 if never completed
  double completion_s = 0;        // from the client's start to the workload's end
  double goodput_mbps = 0;        // bulk transfers' bytes over their span (see above)
  uint64_t app_bytes = 0;         // application bytes delivered in order
  uint64_t corrupt_bytes = 0;     // stream bytes read that differ from what was written
  // The goodput's numerator and span, from the simulation start (several clients' goodput
  // taken together: their bytes over the union of their spans).
  uint64_t goodput_bytes = 0;
  double goodput_begin_s = 0, goodput_end_s = 0;
  double longest_stall_s = 0;
  double longest_stall_end_s = 0; // when that stall ended, from the client's start
  // Loss recovery, summed over both endpoints of the connection.
  uint64_t packets_sent = 0, packets_lost = 0;
  uint64_t retransmitted_stream_bytes = 0;  // stream bytes sent beyond the payload
  uint64_t duplicate_stream_bytes = 0;      // received twice: spurious retransmissions
  uint64_t spurious_losses = 0;             // as reported by the core
  // Request/response and datagram flows.
  uint64_t messages_sent = 0, messages_delivered = 0, messages_corrupt = 0;
  LatencySummary latency;
  std::vector<WorkloadResult> workloads;
  // Connection totals from each endpoint's ConnectionStats (the per-path counters summed
  // for duplicate/reinjected bytes sent, which the connection has only per path).
  TrafficCounters client_totals, server_totals;
  // Multipath: negotiated or not, the bonding state at the end, and what happened to the
  // paths (opened, retried, failed, scheduled actions) at which virtual time.
  bool multipath = false;
  std::string bonding;
  std::vector<std::string> path_log;
  std::vector<PathResult> paths;
  std::vector<HealthRecord> health;     // in time order
  std::vector<OutageWindow> outages;
  bool degraded = false;                // either endpoint's bonding state went DEGRADED
};

struct SimulationResult {
  std::string scenario;
  uint64_t seed = 0;
  std::string congestion_controller, scheduler;
  double virtual_time_s = 0;       // when the run ended
  bool time_limit_reached = false;
  std::vector<ClientResult> clients;
  double total_goodput_mbps = 0;
  double jain_fairness = 1;        // over the clients' goodputs
  uint64_t events_run = 0;
  uint64_t datagrams_delivered = 0;
  std::optional<Timeseries> timeseries;   // only with SimulationOptions::timeseries_interval
};

}  // namespace braid::sim

// Per-path time series of a simulation run (`braid sim --timeseries INTERVAL`): every
// INTERVAL of virtual time, one sample per client, endpoint and path, read from
// Connection::stats(). Counters are cumulative so a reader derives rates from deltas
// (throughput per interval) without the simulator choosing a window for it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace braid::sim {

struct TimeseriesSample {
  double t_s = 0;                   // virtual time from the simulation start
  size_t client = 0;                // index into SimulationResult::clients
  bool server = false;              // which endpoint's view ("side" in JSON)
  uint64_t path_id = 0;             // the connection's path ID (both ends share them)
  std::optional<size_t> path;       // the scenario path (index into [[clients.paths]])
  std::string state;                // path state name ("active", "failed", ...)
  std::string health;               // failure detection's verdict ("healthy", "suspect", ...)
  uint64_t cwnd_bytes = 0;
  uint64_t bytes_in_flight = 0;
  double srtt_ms = 0;
  uint64_t pacing_rate_bps = 0;     // bits per second; 0 = unpaced
  uint64_t delivery_rate_bps = 0;   // newest delivery-rate sample, bits per second
  uint64_t stream_bytes_sent = 0;   // so far on this path (incl. retransmissions)
  uint64_t stream_bytes_received = 0;
};

struct Timeseries {
  double interval_s = 0;
  std::vector<TimeseriesSample> samples;  // in time order; within a time, client, side, path
};

}  // namespace braid::sim

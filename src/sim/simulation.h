// The simulation loop: real braid endpoints (sans-IO core, real TLS) exchanging datagrams
// over the Topology's Links in virtual time. Everything runs from one EventQueue: link
// deliveries at Link::next_delivery_time(), connection timers at poll_timeout(), workload
// wake-ups; after each event the touched connections are drained (events → workload →
// poll_transmit → Link::enqueue). Same scenario and seed → same run.
//
// Paths: each client host has N paths (interface address + uplink + downlink). Routing is
// per path: a datagram leaves on the path whose client address is its tuple's client side.
// The client connection starts on path 0; once its handshake completes it opens paths
// 1..N-1 (multipath, unless the scenario turns it off) and runs the scenario's path actions.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "braid/connection.h"
#include "braid/endpoint.h"
#include "sim/event_queue.h"
#include "sim/metrics.h"
#include "sim/packet_store.h"
#include "sim/scenario.h"
#include "sim/topology.h"
#include "sim/workload.h"

namespace braid::sim {

struct SimulationOptions {
  std::optional<uint64_t> seed;  // overrides the scenario's seed
  std::string qlog_dir;          // non-empty: one .sqlog per connection (virtual times)
  // Set: every interval of virtual time, both endpoints' per-path stats go into
  // SimulationResult::timeseries. Sampling only reads stats; the run is the same.
  std::optional<Duration> timeseries_interval;
};

class Simulation {
 public:
  Simulation(const Scenario& scenario, SimulationOptions opts = {});
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // Runs until every client's workloads completed (or the client failed), or the time limit.
  SimulationResult run();

  // Multipath hook, called once per client whose host has more than one path (and whose
  // scenario leaves multipath on), when its connection's handshake completes. Empty (the
  // default): the simulation opens paths 1..N-1 itself, from each interface's address to the
  // server, retrying every 10 ms while the handshake is unconfirmed or the peer's
  // PATH_NEW_CONNECTION_IDs are still in flight, and marks `backup` paths backup. Set it to
  // replace that (e.g. a no-op keeps the client on path 0). Datagrams the connection sends
  // from host.paths[p].local travel path p's links.
  std::function<void(TimePoint now, Connection& conn, const ClientHost& host, const SocketAddress& server)>
      on_multipath_ready;

  EventQueue& events() { return queue_; }
  Topology& topology() { return topology_; }
  TimePoint origin() const { return origin_; }
  Connection* client_connection(size_t client);
  Connection* server_connection(size_t client);

 private:
  struct ClientState;

  void start_client(size_t i);
  void flush(size_t i);
  bool drain_events(size_t i, Side side);
  bool transmit(size_t i, Side side);
  void send_on_path(const Topology::PathRef& ref, bool to_server, std::span<const uint8_t> data, uint8_t ecn);
  void schedule_link(size_t link);
  void on_link(size_t link);
  void deliver(const Delivery& d);
  void schedule_timer(size_t i, Side side);
  void schedule_wake(size_t i);
  void mark_dirty(size_t i);
  void flush_dirty();
  void check_failure(size_t i);
  // Path control (simulation_paths.cpp).
  void open_extra_paths(size_t i);
  void open_client_path(size_t i, size_t p);
  void run_action(const PathAction& a);
  void on_client_path_event(size_t i, const ConnectionEvent& ev);
  void on_address_advertised(size_t i, const ConnectionEvent& ev);
  void log_path(size_t i, std::string what);
  // Failure detection and braid's own path changes (simulation_health.cpp).
  static bool is_braid_path_change(const ConnectionEvent& ev);
  void on_health_event(size_t i, Side side, const ConnectionEvent& ev);
  void watch_recovered_path(size_t i, PathId id, uint64_t base, int polls_left);
  void run_trigger(const Trigger& t);
  std::vector<OutageWindow> outage_windows(size_t i) const;
  static PathResult path_result(const SimPath& sp, const ConnectionStats& client, const ConnectionStats& server);
  // Time series sampling (simulation_timeseries.cpp).
  void schedule_sample(TimePoint at);
  void take_samples();
  bool all_finished() const;
  SimulationResult collect(TimePoint end, bool time_limit_reached);

  const Scenario& scenario_;
  SimulationOptions opts_;
  uint64_t seed_;
  TimePoint origin_;
  EventQueue queue_;
  Topology topology_;
  PacketStore store_;
  std::unique_ptr<SeededRandom> server_rng_;
  std::unique_ptr<Endpoint> server_;
  std::vector<std::unique_ptr<ClientState>> clients_;
  std::vector<TimePoint> link_wake_at_;
  std::vector<EventQueue::EventId> link_wake_id_;
  std::vector<size_t> dirty_;
  std::vector<Delivery> deliveries_;
  std::vector<uint8_t> tx_buf_, rx_buf_;
  size_t new_connection_client_ = 0;  // the client whose datagram the server is handling
  uint64_t events_run_ = 0, datagrams_delivered_ = 0, unroutable_ = 0;
  std::optional<Timeseries> timeseries_;
  uint64_t sample_events_ = 0;   // sampler events, left out of events_run in the result
};

}  // namespace braid::sim

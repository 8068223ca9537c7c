// Internal to the simulation: what the loop keeps per client — both connections, the
// workloads, pending timer/wake events, qlog sinks, and which connection path each scenario
// path became. Shared by simulation.cpp (loop) and simulation_paths.cpp (path control).
#pragma once
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "braid/random.h"
#include "sim/simulation.h"

namespace braid::sim {

struct Simulation::ClientState {
  explicit ClientState(uint64_t seed) : rng(seed) {}
  SeededRandom rng;
  std::unique_ptr<Connection> conn;
  Connection* server = nullptr;
  std::unique_ptr<WorkloadSet> workload;  // every workload the client runs on `conn`
  TimePoint start{};
  bool started = false, failed = false, dirty = false, multipath_notified = false;
  std::string failure;
  EventQueue::EventId timer_id[2] = {0, 0};
  TimePoint timer_at[2] = {kNever, kNever};
  EventQueue::EventId wake_id = 0;
  TimePoint wake_at = kNever;
  std::unique_ptr<std::ofstream> qlog[2];
  // Per scenario path: the connection's PathId once opened (path 0 is the initial path).
  std::vector<std::optional<PathId>> path_ids;
  std::vector<bool> backup_reasserted;
  std::vector<std::string> path_log;
  // Failure detection as both endpoints reported it, outages the triggers caused, and
  // which (endpoint, path ID) pairs are failed now (so "active" afterwards reads recovered).
  std::vector<HealthRecord> health;
  std::vector<OutageWindow> triggered_outages;
  std::set<std::pair<bool, PathId>> failed_now, state_failed_now;
  bool degraded = false;

  Connection* side(Side s) { return s == Side::kClient ? conn.get() : server; }
};

}  // namespace braid::sim

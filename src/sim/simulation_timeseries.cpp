// Time series sampling: a self-rescheduling event every interval of virtual time that
// copies each connection's per-path stats (both endpoints) into the result. It only reads
// (Connection::stats() is const), so the connections and links do exactly what they would
// without it; the event count it adds is subtracted from the result's.
#include <chrono>

#include "sim/client_state.h"

namespace braid::sim {

void Simulation::schedule_sample(TimePoint at) {
  queue_.schedule(at, [this] {
    sample_events_++;
    take_samples();
    // Reschedule only while the simulation has work of its own, so an idle queue still
    // ends the run as it would without sampling.
    if (!queue_.empty()) schedule_sample(queue_.now() + *opts_.timeseries_interval);
  });
}

void Simulation::take_samples() {
  const double t_s = std::chrono::duration<double>(queue_.now() - origin_).count();
  for (size_t i = 0; i < clients_.size(); ++i) {
    ClientState& cs = *clients_[i];
    for (Side side : {Side::kClient, Side::kServer}) {
      Connection* c = cs.side(side);
      if (!c) continue;
      const bool server = side == Side::kServer;
      for (const PathStats& p : c->stats().paths) {
        TimeseriesSample s;
        s.t_s = t_s;
        s.client = i;
        s.server = server;
        s.path_id = p.path_id;
        // The client side of the tuple names the scenario path (see Topology::locate).
        if (auto ref = topology_.locate(server ? p.tuple.remote : p.tuple.local); ref && ref->client == i) {
          s.path = ref->path;
        }
        s.state = std::string(path_state_name(p.state));
        s.health = std::string(path_health_name(p.health));
        s.cwnd_bytes = p.congestion_window;
        s.bytes_in_flight = p.bytes_in_flight;
        s.srtt_ms = std::chrono::duration<double, std::milli>(p.smoothed_rtt).count();
        s.pacing_rate_bps = p.pacing_rate_bytes_per_second * 8;
        s.delivery_rate_bps = p.delivery_rate_bytes_per_second * 8;
        s.stream_bytes_sent = p.stream_bytes_sent;
        s.stream_bytes_received = p.stream_bytes_received;
        timeseries_->samples.push_back(std::move(s));
      }
    }
  }
}

}  // namespace braid::sim

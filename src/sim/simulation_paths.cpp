// Path control for multipath clients: opening paths 1..N-1 after the handshake (the core
// queues each request until the peer's path ID limit and connection IDs allow it), backup marks, scheduled path actions, and
// the per-path summary drawn from both connections' stats.
#include <fmt/format.h>

#include "sim/client_state.h"
#include "sim/simulation.h"

namespace braid::sim {


void Simulation::log_path(size_t i, std::string what) {
  clients_[i]->path_log.push_back(
      fmt::format("{:.6f} s: {}", std::chrono::duration<double>(queue_.now() - origin_).count(), what));
}

void Simulation::open_extra_paths(size_t i) {
  ClientState& cs = *clients_[i];
  const ClientHost& host = topology_.clients()[i];
  if (host.paths[0].backup) {
    auto st = cs.conn->set_path_status(queue_.now(), 0, true);
    log_path(i, st ? fmt::format("path 0 ({}) marked backup", host.paths[0].name)
                   : fmt::format("path 0 ({}) backup: {}", host.paths[0].name, st.error().reason));
  }
  for (size_t p = 1; p < host.paths.size(); ++p) {
    // A path to an advertised address waits until the server tells the client about it.
    if (host.paths[p].server == topology_.server_address()) open_client_path(i, p);
  }
}

void Simulation::on_address_advertised(size_t i, const ConnectionEvent& ev) {
  const ClientHost& host = topology_.clients()[i];
  log_path(i, fmt::format("the server advertised {}", ev.address.to_string()));
  if (!scenario_.transport.multipath) return;
  for (size_t p = 1; p < host.paths.size(); ++p) {
    if (host.paths[p].server == ev.address && !clients_[i]->path_ids[p]) open_client_path(i, p);
  }
}

void Simulation::open_client_path(size_t i, size_t p) {
  ClientState& cs = *clients_[i];
  const SimPath& sp = topology_.clients()[i].paths[p];
  if (!cs.conn || cs.failed || cs.conn->is_closed() || cs.conn->is_draining()) return;
  TimePoint now = queue_.now();
  auto r = cs.conn->open_path(now, sp.local, sp.server);
  if (!r) {
    log_path(i, fmt::format("path {} ({}) not opened: {}", p, sp.name, r.error().reason));
    return;
  }
  cs.path_ids[p] = *r;
  log_path(i, fmt::format("path {} ({}) opened as path id {}", p, sp.name, *r));
  if (sp.backup) {
    auto st = cs.conn->set_path_status(now, *r, true);
    log_path(i, st ? fmt::format("path {} ({}) marked backup", p, sp.name)
                   : fmt::format("path {} ({}) backup: {}", p, sp.name, st.error().reason));
  }
  mark_dirty(i);
}

// A backup mark sent right after open_path can reach the server (over the older path)
// before the new path's first packet; the core drops PATH_STATUS for a path it has not
// created yet, so the server would schedule data there as if it were available. Marking the
// path again once it is active (a newer status sequence number) makes the status stick.
void Simulation::on_client_path_event(size_t i, const ConnectionEvent& ev) {
  ClientState& cs = *clients_[i];
  if (ev.path_change != PathChange::kState ||
      (ev.path_state != PathState::kActive && ev.path_state != PathState::kStandby)) {
    return;
  }
  const ClientHost& host = topology_.clients()[i];
  for (size_t p = 0; p < host.paths.size(); ++p) {
    if (cs.path_ids[p] != ev.path_id || !host.paths[p].backup || cs.backup_reasserted[p]) continue;
    cs.backup_reasserted[p] = true;
    auto st = cs.conn->set_path_status(queue_.now(), ev.path_id, true);
    log_path(i, st ? fmt::format("path {} ({}) {}: marked backup again", p, host.paths[p].name, ev.detail)
                   : fmt::format("path {} ({}) backup: {}", p, host.paths[p].name, st.error().reason));
  }
}

void Simulation::run_action(const PathAction& a) {
  ClientState& cs = *clients_[a.client];
  const SimPath& sp = topology_.clients()[a.client].paths[a.path];
  std::string what = fmt::format("{} path {} ({})", to_string(a.kind), a.path, sp.name);
  if (!cs.conn || cs.failed || cs.conn->is_closed() || cs.conn->is_draining()) {
    log_path(a.client, what + ": skipped, no open connection");
    return;
  }
  TimePoint now = queue_.now();
  ApiStatus st;
  switch (a.kind) {
    case PathActionKind::kOpenPath:
      // A path still open (or still queued) on that tuple is refused by open_path itself.
      log_path(a.client, what);
      open_client_path(a.client, a.path);
      return;
    case PathActionKind::kClosePath:
    case PathActionKind::kBackup:
    case PathActionKind::kAvailable: {
      if (!cs.path_ids[a.path]) {
        log_path(a.client, what + ": skipped, the path is not open");
        return;
      }
      PathId id = *cs.path_ids[a.path];
      if (a.kind == PathActionKind::kClosePath) {
        st = cs.conn->close_path(now, id);
        if (st) cs.path_ids[a.path].reset();
      } else {
        st = cs.conn->set_path_status(now, id, a.kind == PathActionKind::kBackup);
      }
      break;
    }
  }
  log_path(a.client, st ? what : fmt::format("{}: {}", what, st.error().reason));
  mark_dirty(a.client);
}

namespace {
void add(TrafficCounters& t, const PathStats& ps) {
  t.bytes_sent += ps.bytes_sent;
  t.bytes_received += ps.bytes_received;
  t.stream_bytes_sent += ps.stream_bytes_sent;
  t.stream_bytes_received += ps.stream_bytes_received;
  t.duplicate_bytes_sent += ps.duplicate_bytes_sent;
  t.reinjected_bytes_sent += ps.reinjected_bytes_sent;
  t.duplicate_bytes_received += ps.duplicate_bytes_received;
  t.packets_sent += ps.packets_sent;
  t.packets_received += ps.packets_received;
  t.packets_lost += ps.packets_lost;
}
}  // namespace

PathResult Simulation::path_result(const SimPath& sp, const ConnectionStats& client, const ConnectionStats& server) {
  PathResult pr;
  pr.name = sp.name;
  pr.local_address = sp.local.to_string();
  for (const PathStats& ps : client.paths) {
    if (ps.tuple.local != sp.local) continue;
    add(pr.client, ps);
    pr.used = true;
    pr.path_id = ps.path_id;
    pr.state = std::string(path_state_name(ps.state));
    pr.backup = ps.backup;
    pr.bytes_sent += ps.bytes_sent;
    pr.bytes_received += ps.bytes_received;
    pr.stream_bytes_up += ps.stream_bytes_sent;
    pr.packets_sent += ps.packets_sent;
    pr.packets_received += ps.packets_received;
    pr.packets_lost += ps.packets_lost;
    pr.srtt_ms = std::chrono::duration<double, std::milli>(ps.smoothed_rtt).count();
    pr.cwnd_bytes = ps.congestion_window;
  }
  for (const PathStats& ps : server.paths) {
    if (ps.tuple.remote != sp.local) continue;
    add(pr.server, ps);
    pr.stream_bytes_down += ps.stream_bytes_sent;
    pr.packets_lost += ps.packets_lost;
  }
  return pr;
}

}  // namespace braid::sim

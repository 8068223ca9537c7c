// Failure detection in the simulation: both endpoints' health transitions and braid's own
// path changes (failed, recovered, abandoned) recorded with their virtual times and put in
// the path log; when a recovered path carries stream data again; state-triggered outages
// (blackhole the busiest path); and the outage windows the expectations measure against.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/client_state.h"
#include "sim/simulation.h"

namespace braid::sim {

namespace {
constexpr Duration kRecoveryPoll = std::chrono::milliseconds(5);
constexpr int kRecoveryPolls = 2000;   // 10 s of virtual time

uint64_t path_stream_bytes_sent(const Connection* c, PathId id) {
  if (!c) return 0;
  for (const auto& ps : c->stats().paths) {
    if (ps.path_id == id) return ps.stream_bytes_sent;
  }
  return 0;
}
}  // namespace

bool Simulation::is_braid_path_change(const ConnectionEvent& ev) {
  if (ev.path_change != PathChange::kState) return false;
  auto s = ev.path_state;
  return s == PathState::kFailed || s == PathState::kActive || s == PathState::kStandby || s == PathState::kClosing;
}

void Simulation::on_health_event(size_t i, Side side, const ConnectionEvent& ev) {
  ClientState& cs = *clients_[i];
  bool server = side == Side::kServer;
  HealthRecord h;
  h.at_s = std::chrono::duration<double>(queue_.now() - origin_).count();
  h.server = server;
  h.path_id = ev.path_id;
  for (size_t p = 0; p < cs.path_ids.size(); ++p) {
    if (cs.path_ids[p] == ev.path_id) h.path = p;
  }
  auto key = std::make_pair(server, ev.path_id);
  if (ev.type == ConnectionEventType::kBondingChanged) {
    if (ev.bonding != BondingState::kDegraded) return;
    cs.degraded = true;
    h.what = "bonding degraded";
  } else if (ev.type == ConnectionEventType::kPathHealthChanged) {
    h.what = std::string(path_health_name(ev.health));
    if (ev.health == PathHealth::kHealthy && cs.failed_now.erase(key)) {
      // Back from a failure: watch for the first stream bytes it carries again.
      watch_recovered_path(i, ev.path_id, path_stream_bytes_sent(cs.conn.get(), ev.path_id) +
                                              path_stream_bytes_sent(cs.server, ev.path_id),
                           kRecoveryPolls);
    }
    if (ev.health == PathHealth::kFailed) cs.failed_now.insert(key);
  } else {
    // Path state: "failed" and "closing" always; "active"/"standby" only after a failure.
    PathState st = ev.path_state;
    if (st == PathState::kFailed) cs.state_failed_now.insert(key);
    if ((st == PathState::kActive || st == PathState::kStandby) && !cs.state_failed_now.erase(key)) return;
    h.what = st == PathState::kClosing ? "closing" : fmt::format("state {}", path_state_name(st));
  }
  std::string where = h.path ? fmt::format("path {} (id {})", *h.path, h.path_id) : fmt::format("path id {}", h.path_id);
  log_path(i, fmt::format("{}: {} {}", server ? "server" : "client", where, h.what));
  cs.health.push_back(std::move(h));
}

void Simulation::watch_recovered_path(size_t i, PathId id, uint64_t base, int polls_left) {
  ClientState& cs = *clients_[i];
  uint64_t now_bytes = path_stream_bytes_sent(cs.conn.get(), id) + path_stream_bytes_sent(cs.server, id);
  if (now_bytes > base) {
    HealthRecord h;
    h.at_s = std::chrono::duration<double>(queue_.now() - origin_).count();
    h.path_id = id;
    for (size_t p = 0; p < cs.path_ids.size(); ++p) {
      if (cs.path_ids[p] == id) h.path = p;
    }
    h.what = "carries data";
    log_path(i, fmt::format("path id {} carries data again", id));
    cs.health.push_back(std::move(h));
    return;
  }
  if (polls_left <= 0 || !cs.conn || cs.conn->is_closed()) return;
  queue_.schedule(queue_.now() + kRecoveryPoll,
                  [this, i, id, base, polls_left] { watch_recovered_path(i, id, base, polls_left - 1); });
}

void Simulation::run_trigger(const Trigger& t) {
  TimePoint now = queue_.now();
  for (size_t i = 0; i < clients_.size(); ++i) {
    ClientState& cs = *clients_[i];
    const ClientHost& host = topology_.clients()[i];
    if (!cs.conn || !cs.server) {
      log_path(i, "outage_busiest: skipped, no connection");
      continue;
    }
    auto cst = cs.conn->stats();
    auto sst = cs.server->stats();
    size_t best = 0;
    uint64_t most = 0;
    for (size_t p = 0; p < host.paths.size(); ++p) {
      PathResult pr = path_result(host.paths[p], cst, sst);
      uint64_t b = pr.stream_bytes_up + pr.stream_bytes_down;
      if (b > most) {
        most = b;
        best = p;
      }
    }
    const SimPath& sp = host.paths[best];
    for (size_t li : {sp.up_link, sp.down_link}) {
      topology_.links()[li].link->set_up(now, false);
      schedule_link(li);
    }
    OutageWindow w;
    w.path = best;
    w.from_s = std::chrono::duration<double>(now - origin_).count();
    w.until_s = t.until ? std::chrono::duration<double>(*t.until).count() : std::numeric_limits<double>::infinity();
    cs.triggered_outages.push_back(w);
    log_path(i, fmt::format("outage_busiest: path {} ({}) down, it carried {} stream bytes", best, sp.name, most));
    if (t.until) {
      queue_.schedule(origin_ + *t.until, [this, i, sp, best] {
        for (size_t li : {sp.up_link, sp.down_link}) {
          topology_.links()[li].link->set_up(queue_.now(), true);
          schedule_link(li);
        }
        log_path(i, fmt::format("outage_busiest: path {} ({}) up again", best, sp.name));
      });
    }
  }
}

std::vector<OutageWindow> Simulation::outage_windows(size_t i) const {
  std::vector<OutageWindow> out = clients_[i]->triggered_outages;
  const ClientHost& host = topology_.clients()[i];
  constexpr double kInf = std::numeric_limits<double>::infinity();
  for (size_t p = 0; p < host.paths.size(); ++p) {
    for (size_t li : {host.paths[p].up_link, host.paths[p].down_link}) {
      double down_since = -1;
      for (const LinkEvent& e : topology_.links()[li].link->config().events) {
        double at = std::chrono::duration<double>(e.at).count();
        if (e.kind == LinkEvent::Kind::kOutage) {
          out.push_back({p, at, std::chrono::duration<double>(e.until).count()});
        } else if (e.kind == LinkEvent::Kind::kDown && down_since < 0) {
          down_since = at;
        } else if (e.kind == LinkEvent::Kind::kUp && down_since >= 0) {
          out.push_back({p, down_since, at});
          down_since = -1;
        }
      }
      if (down_since >= 0) out.push_back({p, down_since, kInf});
    }
  }
  // The two directions of one outage count once.
  std::sort(out.begin(), out.end(), [](const OutageWindow& a, const OutageWindow& b) {
    return a.path != b.path ? a.path < b.path : a.from_s < b.from_s;
  });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const OutageWindow& a, const OutageWindow& b) {
                          return a.path == b.path && a.from_s == b.from_s && a.until_s == b.until_s;
                        }),
            out.end());
  return out;
}

}  // namespace braid::sim

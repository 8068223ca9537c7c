// Simulation loop and packet plumbing between connections and links; results are gathered
// in collect(). Timers and link wake-ups are events that are rescheduled only when their
// time changes, so an idle connection costs nothing.
#include "sim/simulation.h"

#include <filesystem>
#include <fmt/format.h>
#include <fstream>

#include "braid/certificate.h"
#include "sim/client_state.h"

namespace braid::sim {

namespace {

const Certificate& server_certificate() {
  // One certificate per process: key generation uses GnuTLS's own RNG, so it is the same
  // size in every run (ECDSA P-256 DER signatures may differ by a byte between processes;
  // see docs/simulator.md on determinism).
  static const Certificate cert = [] {
    auto c = generate_self_signed_certificate({"localhost"}, 1, 1700000000, 3650);
    if (!c) throw std::runtime_error(c.error().reason);
    return *c;
  }();
  return cert;
}

uint64_t derive_seed(uint64_t seed, uint64_t salt) {
  uint64_t x = seed ^ (salt * 0x9e3779b97f4a7c15ULL);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// Connection totals; duplicate/reinjected bytes sent exist only per path.
TrafficCounters totals(const ConnectionStats& s) {
  TrafficCounters t;
  t.bytes_sent = s.bytes_sent;
  t.bytes_received = s.bytes_received;
  t.stream_bytes_sent = s.stream_bytes_sent;
  t.stream_bytes_received = s.stream_bytes_received;
  t.duplicate_bytes_received = s.duplicate_bytes_received;
  t.packets_sent = s.packets_sent;
  t.packets_received = s.packets_received;
  t.packets_lost = s.packets_lost;
  for (const PathStats& p : s.paths) {
    t.duplicate_bytes_sent += p.duplicate_bytes_sent;
    t.reinjected_bytes_sent += p.reinjected_bytes_sent;
  }
  return t;
}

ConnectionConfig connection_config(const TransportSpec& t) {
  ConnectionConfig c;
  c.congestion_controller = t.congestion_controller;
  c.scheduler = t.scheduler;
  c.duplication = parse_duplication_policy(t.duplicate).value_or(DuplicationConfig{});   // checked when loaded
  c.reinjection = parse_reinjection_policy(t.reinject).value_or(ReinjectionConfig{});
  (void)set_failure_detector(c.failure_detection, t.failure_detector);   // checked when loaded
  c.failure_detection.probe_interval = t.path_probe_interval;
  c.failure_detection.on_failure = parse_on_failure(t.on_failure).value_or(FailureDetectionConfig::OnFailure::kFail);
  c.failure_detection.abandon_after = t.abandon_failed_after;
  c.pacing = t.pacing;
  c.ack_frequency = t.ack_frequency;
  c.ack_frequency_max_threshold = t.ack_frequency_max_threshold;
  c.idle_timeout = t.idle_timeout;
  c.max_udp_payload_size = t.max_udp_payload_bytes;
  c.advertise_addresses = t.advertise;   // used by the server only
  if (t.use_advertised) c.accept_advertised_addresses = kMaxAdvertisedAddresses;
  return c;
}

}  // namespace

Simulation::Simulation(const Scenario& scenario, SimulationOptions opts)
    : scenario_(scenario),
      opts_(std::move(opts)),
      seed_(opts_.seed.value_or(scenario.seed)),
      origin_(time_from_us(1'000'000)),
      queue_(origin_),
      topology_(scenario, seed_, origin_),
      tx_buf_(65536),
      rx_buf_(65536) {
  server_rng_ = std::make_unique<SeededRandom>(derive_seed(seed_, 0x5e12e1));
  EndpointConfig ec;
  ec.connection = connection_config(scenario.transport);
  ec.connection.tls.cert_pem = server_certificate().cert_pem;
  ec.connection.tls.key_pem = server_certificate().key_pem;
  if (!opts_.qlog_dir.empty()) {
    ec.on_new_connection = [this](Connection& c, TimePoint) {
      size_t i = new_connection_client_;
      auto path = std::filesystem::path(opts_.qlog_dir) /
                  fmt::format("{}-{}-server.sqlog", scenario_.name, topology_.clients()[i].name);
      auto& out = clients_[i]->qlog[1];
      out = std::make_unique<std::ofstream>(path, std::ios::binary);
      std::ofstream* os = out.get();
      c.set_qlog_sink([os](std::string_view rec) { os->write(rec.data(), static_cast<std::streamsize>(rec.size())); },
                      origin_);
    };
  }
  server_ = std::make_unique<Endpoint>(ec, *server_rng_);
  for (size_t i = 0; i < topology_.clients().size(); ++i) {
    clients_.push_back(std::make_unique<ClientState>(derive_seed(seed_, 1000 + i)));
  }
  link_wake_at_.assign(topology_.links().size(), kNever);
  link_wake_id_.assign(topology_.links().size(), 0);
}

Simulation::~Simulation() = default;

Connection* Simulation::client_connection(size_t client) { return clients_.at(client)->conn.get(); }
Connection* Simulation::server_connection(size_t client) { return clients_.at(client)->server; }

void Simulation::start_client(size_t i) {
  ClientState& cs = *clients_[i];
  const ClientHost& host = topology_.clients()[i];
  cs.start = queue_.now();
  cs.started = true;
  cs.workload = std::make_unique<WorkloadSet>(host.workloads, origin_);
  cs.workload->start(cs.start);
  ConnectionConfig cfg = connection_config(scenario_.transport);
  cfg.tls.insecure = true;
  if (!scenario_.transport.multipath) cfg.initial_max_path_id = 0;
  if (!host.congestion_controller.empty()) cfg.congestion_controller = host.congestion_controller;
  for (size_t p = 0; p < host.paths.size(); ++p) {
    if (!host.paths[p].congestion_controller.empty()) {
      cfg.path_congestion_controllers[static_cast<PathId>(p)] = host.paths[p].congestion_controller;
    }
  }
  cs.path_ids.assign(host.paths.size(), std::nullopt);
  cs.path_ids[0] = PathId{0};
  cs.backup_reasserted.assign(host.paths.size(), false);
  PathTuple tuple{host.paths[0].local, topology_.server_address()};
  auto c = Connection::connect(queue_.now(), cfg, tuple, cs.rng);
  if (!c) {
    cs.failed = true;
    cs.failure = "connect: " + c.error().reason;
    return;
  }
  cs.conn = std::move(*c);
  if (!opts_.qlog_dir.empty()) {
    auto path = std::filesystem::path(opts_.qlog_dir) / fmt::format("{}-{}-client.sqlog", scenario_.name, host.name);
    cs.qlog[0] = std::make_unique<std::ofstream>(path, std::ios::binary);
    std::ofstream* os = cs.qlog[0].get();
    cs.conn->set_qlog_sink([os](std::string_view rec) { os->write(rec.data(), static_cast<std::streamsize>(rec.size())); },
                           origin_);
  }
  mark_dirty(i);
}

void Simulation::mark_dirty(size_t i) {
  if (!clients_[i]->dirty) {
    clients_[i]->dirty = true;
    dirty_.push_back(i);
  }
}

void Simulation::flush_dirty() {
  // Flushing may deliver nothing synchronously (links always add an event), so one pass.
  for (size_t k = 0; k < dirty_.size(); ++k) {
    size_t i = dirty_[k];
    clients_[i]->dirty = false;
    flush(i);
  }
  dirty_.clear();
}

bool Simulation::drain_events(size_t i, Side side) {
  ClientState& cs = *clients_[i];
  Connection* c = cs.side(side);
  if (!c) return false;
  bool any = false;
  while (auto ev = c->poll_event()) {
    any = true;
    cs.workload->on_event(queue_.now(), side, *c, *ev);
    if (side == Side::kClient && ev->type == ConnectionEventType::kPathEvent) on_client_path_event(i, *ev);
    if (side == Side::kClient && ev->type == ConnectionEventType::kAddressAdvertised) on_address_advertised(i, *ev);
    if (ev->type == ConnectionEventType::kPathHealthChanged || ev->type == ConnectionEventType::kBondingChanged ||
        (ev->type == ConnectionEventType::kPathEvent && is_braid_path_change(*ev))) {
      on_health_event(i, side, *ev);
    }
    if (side == Side::kClient && ev->type == ConnectionEventType::kHandshakeCompleted && !cs.multipath_notified) {
      cs.multipath_notified = true;
      const ClientHost& host = topology_.clients()[i];
      if (host.paths.size() > 1 && scenario_.transport.multipath) {
        if (on_multipath_ready) {
          on_multipath_ready(queue_.now(), *c, host, topology_.server_address());
        } else {
          open_extra_paths(i);
        }
      }
    }
  }
  return any;
}

void Simulation::send_on_path(const Topology::PathRef& ref, bool to_server, std::span<const uint8_t> data, uint8_t ecn) {
  const SimPath& path = topology_.clients()[ref.client].paths[ref.path];
  size_t li = to_server ? path.up_link : path.down_link;
  uint64_t id = store_.put(data, ecn, to_server, ref.client, ref.path);
  if (topology_.links()[li].link->enqueue(queue_.now(), data.size(), id) != EnqueueResult::kQueued) store_.release(id);
  schedule_link(li);
}

bool Simulation::transmit(size_t i, Side side) {
  ClientState& cs = *clients_[i];
  Connection* c = cs.side(side);
  if (!c) return false;
  bool any = false;
  while (auto t = c->poll_transmit(queue_.now(), tx_buf_, 1)) {
    any = true;
    const SocketAddress& client_side = side == Side::kClient ? t->tuple.local : t->tuple.remote;
    auto ref = topology_.locate(client_side);
    if (!ref || ref->client != i) {
      unroutable_++;
      continue;
    }
    send_on_path(*ref, side == Side::kClient, {tx_buf_.data(), t->length}, t->ecn);
  }
  return any;
}

void Simulation::flush(size_t i) {
  ClientState& cs = *clients_[i];
  if (!cs.conn) return;
  TimePoint now = queue_.now();
  for (int round = 0; round < 1000; ++round) {
    bool client_events = drain_events(i, Side::kClient);   // both sides drain every round
    bool server_events = drain_events(i, Side::kServer);
    bool any = client_events || server_events;
    cs.workload->pump(now, Side::kClient, *cs.conn);
    if (cs.server) cs.workload->pump(now, Side::kServer, *cs.server);
    any |= transmit(i, Side::kClient);
    any |= transmit(i, Side::kServer);
    if (!any) break;
  }
  schedule_timer(i, Side::kClient);
  schedule_timer(i, Side::kServer);
  schedule_wake(i);
  check_failure(i);
}

void Simulation::check_failure(size_t i) {
  ClientState& cs = *clients_[i];
  if (cs.failed || cs.workload->complete()) return;
  if (cs.conn->is_closed() || cs.conn->is_draining()) {
    cs.failed = true;
    auto r = cs.conn->close_reason();
    cs.failure = fmt::format("connection closed at {:.3f} s: {}", seconds(queue_.now() - cs.start),
                             r ? r->reason : std::string("no reason"));
  }
}

void Simulation::schedule_timer(size_t i, Side side) {
  ClientState& cs = *clients_[i];
  Connection* c = cs.side(side);
  int k = static_cast<int>(side);
  TimePoint t = c ? c->poll_timeout() : kNever;
  if (t == cs.timer_at[k]) return;
  if (cs.timer_id[k]) queue_.cancel(cs.timer_id[k]);
  cs.timer_id[k] = 0;
  cs.timer_at[k] = t;
  if (t == kNever) return;
  cs.timer_id[k] = queue_.schedule(t, [this, i, side, k] {
    ClientState& s = *clients_[i];
    s.timer_id[k] = 0;
    s.timer_at[k] = kNever;
    Connection* conn = s.side(side);
    if (conn && conn->poll_timeout() <= queue_.now()) conn->handle_timeout(queue_.now());
    mark_dirty(i);
  });
}

void Simulation::schedule_wake(size_t i) {
  ClientState& cs = *clients_[i];
  TimePoint t = cs.workload->next_wake(queue_.now());
  if (t == cs.wake_at) return;
  if (cs.wake_id) queue_.cancel(cs.wake_id);
  cs.wake_id = 0;
  cs.wake_at = t;
  if (t == kNever) return;
  cs.wake_id = queue_.schedule(t, [this, i] {
    ClientState& s = *clients_[i];
    s.wake_id = 0;
    s.wake_at = kNever;
    s.workload->on_wake(queue_.now(), s.conn.get(), s.server);
    mark_dirty(i);
  });
}

void Simulation::schedule_link(size_t li) {
  TimePoint t = topology_.links()[li].link->next_delivery_time();
  if (t == link_wake_at_[li]) return;
  if (link_wake_id_[li]) queue_.cancel(link_wake_id_[li]);
  link_wake_id_[li] = 0;
  link_wake_at_[li] = t;
  if (t == kNever) return;
  link_wake_id_[li] = queue_.schedule(t, [this, li] {
    link_wake_id_[li] = 0;
    link_wake_at_[li] = kNever;
    on_link(li);
  });
}

void Simulation::on_link(size_t li) {
  Link& link = *topology_.links()[li].link;
  deliveries_.clear();
  link.pop_delivered(queue_.now(), deliveries_);
  for (const Delivery& d : deliveries_) deliver(d);
  for (uint64_t id : link.take_discarded()) store_.release(id);
  schedule_link(li);
}

void Simulation::deliver(const Delivery& d) {
  StoredPacket* p = store_.find(d.packet_id);
  if (!p) return;
  size_t n = p->bytes.size();
  std::copy(p->bytes.begin(), p->bytes.end(), rx_buf_.begin());
  uint8_t ecn = p->ecn;
  bool to_server = p->to_server;
  size_t ci = p->client, pi = p->path;
  if (d.last_copy) store_.release(d.packet_id);
  datagrams_delivered_++;
  const SocketAddress& client_addr = topology_.clients()[ci].paths[pi].local;
  std::span<uint8_t> data(rx_buf_.data(), n);
  TimePoint now = queue_.now();
  if (to_server) {
    new_connection_client_ = ci;
    const SocketAddress& server_addr = topology_.clients()[ci].paths[pi].server;
    Connection* c = server_->handle_datagram(now, PathTuple{server_addr, client_addr}, data, ecn);
    while (Connection* a = server_->accept()) {
      if (!clients_[ci]->server) clients_[ci]->server = a;
    }
    if (c) mark_dirty(ci);
    while (auto s = server_->poll_stateless(tx_buf_)) {
      if (auto ref = topology_.locate(s->tuple.remote)) {
        send_on_path(*ref, false, {tx_buf_.data(), s->length}, 0);
      } else {
        unroutable_++;
      }
    }
  } else {
    ClientState& cs = *clients_[ci];
    if (!cs.conn) return;
    cs.conn->handle_datagram(now, PathTuple{client_addr, topology_.clients()[ci].paths[pi].server}, data, ecn);
    mark_dirty(ci);
  }
}

bool Simulation::all_finished() const {
  for (const auto& cs : clients_) {
    if (!cs->started) return false;
    if (!cs->failed && !cs->workload->complete()) return false;
  }
  return true;
}

SimulationResult Simulation::run() {
  for (size_t i = 0; i < clients_.size(); ++i) {
    queue_.schedule(origin_ + topology_.clients()[i].start, [this, i] { start_client(i); });
  }
  for (const PathAction& a : scenario_.actions) {
    queue_.schedule(origin_ + a.at, [this, &a] { run_action(a); });
  }
  for (const Trigger& t : scenario_.triggers) {
    queue_.schedule(origin_ + t.at, [this, &t] { run_trigger(t); });
  }
  if (opts_.timeseries_interval && *opts_.timeseries_interval > Duration::zero()) {
    timeseries_.emplace();
    timeseries_->interval_s = seconds(*opts_.timeseries_interval);
    schedule_sample(origin_ + *opts_.timeseries_interval);
  }
  TimePoint deadline = origin_ + scenario_.time_limit;
  bool limit = false;
  for (;;) {
    if (all_finished()) break;
    TimePoint next = queue_.next_time();
    if (next == kNever) break;
    if (next > deadline) {
      queue_.run_until(deadline);
      limit = true;
      break;
    }
    queue_.run_next();
    events_run_++;
    flush_dirty();
  }
  return collect(queue_.now(), limit);
}

SimulationResult Simulation::collect(TimePoint end, bool time_limit_reached) {
  SimulationResult res;
  res.scenario = scenario_.name;
  res.seed = seed_;
  res.congestion_controller = scenario_.transport.congestion_controller;
  res.scheduler = scenario_.transport.scheduler.to_string();
  res.virtual_time_s = seconds(end - origin_);
  res.time_limit_reached = time_limit_reached;
  res.events_run = events_run_ - std::min(events_run_, sample_events_);
  res.datagrams_delivered = datagrams_delivered_;
  std::vector<double> goodputs;
  for (size_t i = 0; i < clients_.size(); ++i) {
    ClientState& cs = *clients_[i];
    const ClientHost& host = topology_.clients()[i];
    ClientResult r;
    r.name = host.name;
    r.workload.clear();
    for (const auto& w : host.workloads) r.workload += (r.workload.empty() ? "" : "+") + std::string(to_string(w.kind));
    if (cs.workload) {
      cs.workload->end(end);
      cs.workload->fill(r);
    }
    if (!r.completed) {
      r.failure = cs.failed ? cs.failure : !cs.started ? "not started before the time limit" : "time limit reached";
    }
    ConnectionStats cst, sst;
    if (cs.conn) cst = cs.conn->stats();
    if (cs.server) sst = cs.server->stats();
    r.packets_sent = cst.packets_sent + sst.packets_sent;
    r.packets_lost = cst.packets_lost + sst.packets_lost;
    r.spurious_losses = cst.spurious_losses + sst.spurious_losses;
    r.client_totals = totals(cst);
    r.server_totals = totals(sst);
    if (cs.workload) {
      uint64_t written = cs.workload->stream_written(Side::kClient) + cs.workload->stream_written(Side::kServer);
      uint64_t read = cs.workload->stream_read(Side::kClient) + cs.workload->stream_read(Side::kServer);
      uint64_t sent = cst.stream_bytes_sent + sst.stream_bytes_sent;
      uint64_t received = cst.stream_bytes_received + sst.stream_bytes_received;
      r.retransmitted_stream_bytes = sent > written ? sent - written : 0;
      r.duplicate_stream_bytes = received > read ? received - read : 0;
    }
    r.multipath = cst.multipath;
    r.bonding = std::string(bonding_state_name(cst.bonding));
    r.path_log = cs.path_log;
    r.health = cs.health;
    r.degraded = cs.degraded;
    r.outages = outage_windows(i);
    for (const SimPath& sp : host.paths) {
      PathResult pr = path_result(sp, cst, sst);
      auto& up = *topology_.links()[sp.up_link].link;
      auto& down = *topology_.links()[sp.down_link].link;
      up.advance_to(end);
      down.advance_to(end);
      auto drops = [](const LinkCounters& c) { return c.dropped_queue + c.dropped_loss + c.dropped_down + c.dropped_mtu; };
      pr.up_delivered_bytes = up.counters().delivered_bytes;
      pr.down_delivered_bytes = down.counters().delivered_bytes;
      pr.up_dropped = drops(up.counters());
      pr.down_dropped = drops(down.counters());
      r.paths.push_back(std::move(pr));
    }
    goodputs.push_back(r.goodput_mbps);
    res.total_goodput_mbps += r.goodput_mbps;
    res.clients.push_back(std::move(r));
  }
  res.jain_fairness = jain_fairness(goodputs);
  res.timeseries = timeseries_;
  for (auto& cs : clients_) {
    for (auto& q : cs->qlog) {
      if (q) q->flush();
    }
  }
  return res;
}

}  // namespace braid::sim

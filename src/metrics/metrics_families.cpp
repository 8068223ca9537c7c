// Connection-level and endpoint-level families, folding closed connections' counters,
// the handshake histogram and merging; the aggregation rule is in metrics_families.h.
#include "metrics/metrics_families.h"

#include <algorithm>
#include <array>
#include <limits>

#include "braid/path.h"
#include "metrics/family_builder.h"

namespace braid::metrics {

using detail::add_sample;
using detail::Labels;

namespace {

struct ConnectionCounter {
  const char* name;
  const char* help;
  uint64_t ConnectionStats::*field;
};

constexpr std::array kConnectionCounters{
    ConnectionCounter{"braid_connection_packets_sent_total", "QUIC packets sent, all paths", &ConnectionStats::packets_sent},
    ConnectionCounter{"braid_connection_packets_received_total", "QUIC packets received, all paths",
                      &ConnectionStats::packets_received},
    ConnectionCounter{"braid_connection_packets_lost_total", "Packets declared lost by recovery, all paths",
                      &ConnectionStats::packets_lost},
    ConnectionCounter{"braid_connection_packets_dropped_total", "Received packets dropped (undecryptable or invalid)",
                      &ConnectionStats::packets_dropped},
    ConnectionCounter{"braid_connection_bytes_sent_total", "UDP payload bytes sent, all paths", &ConnectionStats::bytes_sent},
    ConnectionCounter{"braid_connection_bytes_received_total", "UDP payload bytes received, all paths",
                      &ConnectionStats::bytes_received},
    ConnectionCounter{"braid_connection_stream_bytes_sent_total", "Stream data bytes sent, retransmissions included",
                      &ConnectionStats::stream_bytes_sent},
    ConnectionCounter{"braid_connection_stream_bytes_received_total", "Stream data bytes received",
                      &ConnectionStats::stream_bytes_received},
    ConnectionCounter{"braid_connection_duplicate_bytes_received_total",
                      "Stream bytes that arrived more than once (any path)", &ConnectionStats::duplicate_bytes_received},
    ConnectionCounter{"braid_connection_datagrams_duplicate_received_total",
                      "DATAGRAM copies dropped as already delivered", &ConnectionStats::datagrams_duplicate_received},
    ConnectionCounter{"braid_connection_spurious_losses_total", "Packets declared lost that were acknowledged later",
                      &ConnectionStats::spurious_losses},
    ConnectionCounter{"braid_connection_key_updates_total", "1-RTT key updates (RFC 9001 section 6)",
                      &ConnectionStats::key_updates},
};

constexpr std::array kBondingStates{BondingState::kSinglePath, BondingState::kPending, BondingState::kBonded,
                                    BondingState::kDegraded};

Labels role_label(const RoleValues& r) { return {{"role", r.role}}; }

// The path counters summed by fold_closed; the same fields path_families() sums.
constexpr std::array<uint64_t PathStats::*, 12> kPathCounterFields64{
    &PathStats::packets_sent,          &PathStats::packets_received,      &PathStats::packets_lost,
    &PathStats::packets_missing,       &PathStats::bytes_sent,            &PathStats::bytes_received,
    &PathStats::stream_bytes_sent,     &PathStats::stream_bytes_received, &PathStats::duplicate_bytes_sent,
    &PathStats::reinjected_bytes_sent, &PathStats::duplicate_bytes_received, &PathStats::probes_sent,
};
constexpr std::array kPathCounterFields32{&PathStats::suspicions, &PathStats::failures, &PathStats::recoveries};

}  // namespace

HandshakeHistogram::HandshakeHistogram()
    : bounds_{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}, counts_(bounds_.size(), 0) {}

void HandshakeHistogram::observe(Duration d) {
  double s = std::chrono::duration<double>(d).count();
  ++count_;
  sum_s_ += s;
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), s);  // le: a value on a bound counts there
  if (it != bounds_.end()) ++counts_[static_cast<size_t>(it - bounds_.begin())];
}

void fold_closed(ConnectionStats& closed, const ConnectionStats& final_stats) {
  for (const auto& c : kConnectionCounters) closed.*(c.field) += final_stats.*(c.field);
  for (const auto& p : final_stats.paths) {
    auto it = std::find_if(closed.paths.begin(), closed.paths.end(), [&](const PathStats& q) { return q.path_id == p.path_id; });
    if (it == closed.paths.end()) {
      PathStats fresh;
      fresh.path_id = p.path_id;
      closed.paths.push_back(fresh);
      it = closed.paths.end() - 1;
    }
    for (auto f : kPathCounterFields64) (*it).*f += p.*f;
    for (auto f : kPathCounterFields32) (*it).*f += p.*f;
  }
}

Families connection_families(std::span<const RoleValues> roles) {
  Families out;
  for (const auto& c : kConnectionCounters) {
    auto f = detail::counter(c.name, c.help);
    for (const auto& r : roles) {
      uint64_t sum = r.closed.*(c.field);
      for (const auto& s : r.open) sum += s.*(c.field);
      add_sample(f, role_label(r), static_cast<double>(sum));
    }
    out.push_back(std::move(f));
  }
  auto send_buf = detail::gauge("braid_connection_send_buffered_bytes",
                                "Stream bytes held for sending or resending (largest open connection)");
  auto recv_buf = detail::gauge("braid_connection_recv_buffered_bytes",
                                "Out-of-order stream bytes held for reassembly (largest open connection)");
  auto multipath = detail::gauge("braid_connection_multipath", "Open connections that negotiated multipath");
  auto bonding = detail::gauge("braid_bonding_state",
                               "Open connections in each bonding state (one-hot for a single connection)");
  for (const auto& r : roles) {
    uint64_t sb = 0, rb = 0, mp = 0;
    for (const auto& s : r.open) {
      sb = std::max(sb, s.send_buffered_bytes);
      rb = std::max(rb, s.recv_buffered_bytes);
      mp += s.multipath ? 1 : 0;
    }
    add_sample(send_buf, role_label(r), static_cast<double>(sb));
    add_sample(recv_buf, role_label(r), static_cast<double>(rb));
    add_sample(multipath, role_label(r), static_cast<double>(mp));
    for (BondingState b : kBondingStates) {
      auto name = bonding_state_name(b);
      auto n = std::count_if(r.open.begin(), r.open.end(), [&](const ConnectionStats& s) { return s.bonding == b; });
      add_sample(bonding, {{"role", r.role}, {"state", std::string(name)}}, static_cast<double>(n));
    }
  }
  for (auto* f : {&send_buf, &recv_buf, &multipath, &bonding}) out.push_back(std::move(*f));
  return out;
}

Families endpoint_families(std::span<const RoleValues> roles) {
  auto open = detail::gauge("braid_connections_open", "Connections alive now");
  auto total = detail::counter("braid_connections_total", "Connections accepted (server) or started (client)");
  auto hs = detail::family("braid_handshake_duration_seconds",
                           "Time from connection start (client: connect; server: first Initial accepted) to "
                           "handshake completion",
                           prometheus::MetricType::Histogram);
  for (const auto& r : roles) {
    add_sample(open, role_label(r), static_cast<double>(r.open.size()));
    add_sample(total, role_label(r), static_cast<double>(r.connections_total));
    prometheus::ClientMetric m;
    m.label = role_label(r);
    m.histogram.sample_count = r.handshakes.count();
    m.histogram.sample_sum = r.handshakes.sum_seconds();
    uint64_t cumulative = 0;
    for (size_t i = 0; i < r.handshakes.upper_bounds().size(); ++i) {
      cumulative += r.handshakes.bucket_counts()[i];
      m.histogram.bucket.push_back({cumulative, r.handshakes.upper_bounds()[i]});
    }
    m.histogram.bucket.push_back({r.handshakes.count(), std::numeric_limits<double>::infinity()});
    hs.metric.push_back(std::move(m));
  }
  return {std::move(open), std::move(total), std::move(hs)};
}

Families braid_families(std::span<const RoleValues> roles) {
  Families out = connection_families(roles);
  merge_families(out, path_families(roles));
  merge_families(out, endpoint_families(roles));
  return out;
}

void merge_families(Families& into, Families more) {
  for (auto& f : more) {
    auto it = std::find_if(into.begin(), into.end(), [&](const prometheus::MetricFamily& g) { return g.name == f.name; });
    if (it == into.end()) {
      into.push_back(std::move(f));
    } else {
      for (auto& m : f.metric) it->metric.push_back(std::move(m));
    }
  }
}

}  // namespace braid::metrics

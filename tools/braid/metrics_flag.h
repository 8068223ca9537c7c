// --metrics ADDR:PORT on `braid server`, `client` and `netem` (docs/metrics.md): starts a
// Prometheus exporter, and ConnectionMetrics, which follows one role's connections on the
// loop thread and publishes their families every kMetricsInterval and once at the end.
// The exporter's HTTP threads only read published snapshots, never a connection.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "braid/connection.h"
#include "io/event_loop.h"
#include "metrics/metrics_exporter.h"
#include "metrics/metrics_families.h"
#include "netem/relay.h"

namespace CLI {
class App;
}

namespace braid::tool {

// Between the 200 ms a scrape interval is rarely shorter than and the 500 ms after which
// a dashboard looks stale; stats() of every connection this often costs little.
inline constexpr Duration kMetricsInterval = std::chrono::milliseconds(250);

void add_metrics_flag(CLI::App* cmd, std::string& address);
// An exporter for `address` (empty: none, nullptr), its URL printed on stderr as
// "metrics: http://ADDR:PORT/metrics". A bad address or a port in use ends `cmd` with
// exit code 2.
std::unique_ptr<metrics::MetricsExporter> start_metrics_flag(const std::string& cmd, const std::string& address);

// Loop thread only. Every method is a no-op without an exporter, so callers need no checks.
class ConnectionMetrics {
 public:
  ConnectionMetrics(std::string role, metrics::MetricsExporter* exporter);
  ~ConnectionMetrics();
  ConnectionMetrics(const ConnectionMetrics&) = delete;
  ConnectionMetrics& operator=(const ConnectionMetrics&) = delete;

  bool enabled() const { return exporter_ != nullptr; }
  void on_connection(const Connection& c);     // accepted or connect()ed: the handshake clock starts
  void on_event(const Connection& c, const ConnectionEvent& ev);  // kHandshakeCompleted is observed
  void on_closed(const Connection& c);         // its counters move to the closed totals; idempotent
  // Publishes now and every kMetricsInterval on `loop` until stop().
  void start(io::EventLoop& loop);
  // Cancels the timer, publishes once more and forgets the open connections (they may be
  // destroyed next); the exporter keeps serving that last snapshot.
  void stop();
  void publish();
  // More families published with the connections' (e.g. the transfer's progress), built on
  // the loop thread at every publish.
  void set_extra(std::function<metrics::Families()> extra) { extra_ = std::move(extra); }

 private:
  struct Live {
    TimePoint started{};
    bool handshake_seen = false;
  };
  void tick();

  metrics::MetricsExporter* exporter_;
  metrics::RoleValues values_;   // closed totals, connections_total, handshakes; `open` per publish
  std::unordered_map<const Connection*, Live> live_;
  io::EventLoop* loop_ = nullptr;
  io::EventLoop::TimerId timer_ = io::EventLoop::kNoTimer;
  std::function<metrics::Families()> extra_;
};

// The relay's per-path counters as the generic link values relay_families() takes; link
// names are the path indexes.
std::vector<metrics::RelayLinkValues> relay_link_values(std::span<const netem::PathCounters> paths);

}  // namespace braid::tool

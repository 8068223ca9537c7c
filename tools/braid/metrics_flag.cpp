// --metrics: the exporter start-up and the loop-side publishing; see metrics_flag.h.
#include "tools/braid/metrics_flag.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "io/monotonic_clock.h"
#include "tools/braid/tool_support.h"

namespace braid::tool {

void add_metrics_flag(CLI::App* cmd, std::string& address) {
  cmd->add_option("--metrics", address,
                  "serve Prometheus metrics at http://ADDR:PORT/metrics (port 0 picks one; docs/metrics.md)");
}

std::unique_ptr<metrics::MetricsExporter> start_metrics_flag(const std::string& cmd, const std::string& address) {
  if (address.empty()) return nullptr;
  auto e = metrics::MetricsExporter::create(address);
  if (!e) fail_command(cmd, "--metrics: " + e.error(), 2);
  fmt::print(stderr, "metrics: {}\n", (*e)->url());
  std::fflush(stderr);
  return std::move(*e);
}

ConnectionMetrics::ConnectionMetrics(std::string role, metrics::MetricsExporter* exporter) : exporter_(exporter) {
  values_.role = std::move(role);
}

ConnectionMetrics::~ConnectionMetrics() {
  if (loop_ && timer_ != io::EventLoop::kNoTimer) loop_->cancel_timer(timer_);
}

void ConnectionMetrics::on_connection(const Connection& c) {
  if (!exporter_ || live_.contains(&c)) return;
  live_[&c] = Live{io::monotonic_now(), false};
  ++values_.connections_total;
}

void ConnectionMetrics::on_event(const Connection& c, const ConnectionEvent& ev) {
  if (!exporter_ || ev.type != ConnectionEventType::kHandshakeCompleted) return;
  auto it = live_.find(&c);
  if (it == live_.end() || it->second.handshake_seen) return;
  it->second.handshake_seen = true;
  values_.handshakes.observe(io::monotonic_now() - it->second.started);
}

void ConnectionMetrics::on_closed(const Connection& c) {
  if (!exporter_ || !live_.erase(&c)) return;
  metrics::fold_closed(values_.closed, c.stats());
}

void ConnectionMetrics::start(io::EventLoop& loop) {
  if (!exporter_) return;
  loop_ = &loop;
  tick();
}

void ConnectionMetrics::tick() {
  publish();
  timer_ = loop_->add_timer(io::monotonic_now() + kMetricsInterval, [this] { tick(); });
}

void ConnectionMetrics::stop() {
  if (!exporter_) return;
  if (loop_ && timer_ != io::EventLoop::kNoTimer) loop_->cancel_timer(timer_);
  timer_ = io::EventLoop::kNoTimer;
  loop_ = nullptr;
  publish();
  live_.clear();
}

void ConnectionMetrics::publish() {
  if (!exporter_) return;
  values_.open.clear();
  for (const auto& [c, live] : live_) values_.open.push_back(c->stats());
  auto families = metrics::braid_families(std::span(&values_, 1));
  if (extra_) metrics::merge_families(families, extra_());
  exporter_->publish(std::move(families));
  values_.open.clear();
}

std::vector<metrics::RelayLinkValues> relay_link_values(std::span<const netem::PathCounters> paths) {
  auto direction = [](const sim::LinkCounters& c, uint64_t queued, bool up) {
    metrics::RelayDirectionValues d;
    d.packets_offered = c.offered_packets;
    d.packets_forwarded = c.delivered_packets;
    d.bytes_forwarded = c.delivered_bytes;
    d.packets_duplicated = c.duplicated_packets;
    d.dropped_queue = c.dropped_queue;
    d.dropped_loss = c.dropped_loss;
    d.dropped_down = c.dropped_down;
    d.dropped_mtu = c.dropped_mtu;
    d.queue_bytes = queued;
    d.up = up;
    return d;
  };
  std::vector<metrics::RelayLinkValues> out;
  for (size_t i = 0; i < paths.size(); ++i) {
    const auto& p = paths[i];
    metrics::RelayLinkValues l;
    l.link = std::to_string(i);
    l.up = direction(p.uplink, p.uplink_queued_bytes, p.uplink_up);
    l.down = direction(p.downlink, p.downlink_queued_bytes, p.downlink_up);
    l.flows = p.flows;
    l.store_full_drops = p.store_full_drops;
    l.flow_limit_drops = p.flow_limit_drops;
    l.send_errors = p.send_errors;
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace braid::tool

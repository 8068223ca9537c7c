// The Prometheus HTTP endpoint: a prometheus::Exposer (civetweb, its own threads) bound to
// ADDR:PORT serving GET /metrics from the last snapshot publish() handed over. The exposer
// threads never touch connections: the event loop builds families on its own thread and
// publishes them; a scrape copies the snapshot under a mutex.
#pragma once
#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <string>

#include "braid/address.h"
#include "metrics/metrics_families.h"

namespace prometheus {
class Exposer;
}

namespace braid::metrics {

class MetricsExporter {
 public:
  // `address` is IPv4 "A.B.C.D:PORT" or IPv6 "[ADDR]:PORT"; port 0 picks a free port. Fails
  // with a sentence for a malformed address, one the host does not have, or a port in use.
  static std::expected<std::unique_ptr<MetricsExporter>, std::string> create(const std::string& address);
  ~MetricsExporter();
  MetricsExporter(const MetricsExporter&) = delete;
  MetricsExporter& operator=(const MetricsExporter&) = delete;

  // Thread-safe: replaces what scrapes see.
  void publish(Families families);
  uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT/metrics" for the bound port.
  std::string url() const;

 private:
  class Snapshot;
  MetricsExporter() = default;
  std::shared_ptr<Snapshot> snapshot_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string host_;   // as given, brackets kept for IPv6
  SocketAddress bound_;
  uint16_t port_ = 0;
};

}  // namespace braid::metrics

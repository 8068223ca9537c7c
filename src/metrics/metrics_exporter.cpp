// MetricsExporter: address checks, the Exposer's bind failure turned into an error value,
// and the snapshot collectable.
#include "metrics/metrics_exporter.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "braid/address.h"
#include "io/sockaddr_conv.h"

namespace braid::metrics {

class MetricsExporter::Snapshot : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::lock_guard lock(mu_);
    return families_;
  }
  void replace(Families f) {
    std::lock_guard lock(mu_);
    families_ = std::move(f);
  }

 private:
  mutable std::mutex mu_;
  Families families_;
};

namespace {

// civetweb reports every bind failure as the same exception; a plain bind of the same
// address says which one it was (in use, not an address of this host, ...).
std::string bind_failure(const SocketAddress& a) {
  sockaddr_storage ss{};
  socklen_t len = io::to_sockaddr(a, ss);
  int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as civetweb does
  std::string why = ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0 ? "cannot listen there"
                                                                            : std::strerror(errno);
  ::close(fd);
  return why;
}

}  // namespace

std::expected<std::unique_ptr<MetricsExporter>, std::string> MetricsExporter::create(const std::string& address) {
  auto a = SocketAddress::parse(address);
  // parse() also takes a bare address (port 0); here the port must be spelled out.
  bool has_port = address.starts_with('[') ? address.find("]:") != std::string::npos
                                           : address.find(':') != std::string::npos;
  if (!a || !has_port) {
    return std::unexpected(fmt::format("'{}' is not ADDR:PORT (e.g. 127.0.0.1:9464 or [::1]:0)", address));
  }
  std::unique_ptr<MetricsExporter> e(new MetricsExporter);
  e->host_ = address.substr(0, address.rfind(':'));
  e->bound_ = *a;
  e->snapshot_ = std::make_shared<Snapshot>();
  try {
    // One worker thread: a command-line tool has one or two scrapers.
    e->exposer_ = std::make_unique<prometheus::Exposer>(address, 1);
    e->exposer_->RegisterCollectable(e->snapshot_);
    auto ports = e->exposer_->GetListeningPorts();
    if (ports.empty()) return std::unexpected(fmt::format("{}: no listening port", address));
    e->port_ = static_cast<uint16_t>(ports.front());
  } catch (const std::exception&) {
    return std::unexpected(fmt::format("cannot serve metrics on {}: {}", address, bind_failure(*a)));
  }
  return e;
}

MetricsExporter::~MetricsExporter() {
  if (!exposer_) return;
  // civetweb's listener waits in poll() with a 2 s timeout and sees the stop request only
  // when that returns; once it has served a scrape, stopping took those 2 s, and so did the
  // exit of every scraped command. A connection to our own port ends the wait at once.
  SocketAddress self = bound_;
  if (self.ip == std::array<uint8_t, 16>{}) {  // wildcard: reach it over loopback
    self = self.family == SocketAddress::Family::kV4 ? *SocketAddress::parse("127.0.0.1") : *SocketAddress::parse("::1");
  }
  self.port = port_;
  std::atomic<bool> stopped{false};
  std::thread poke([&] {
    sockaddr_storage ss{};
    socklen_t len = io::to_sockaddr(self, ss);
    while (!stopped.load()) {
      int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd >= 0) {
        (void)::connect(fd, reinterpret_cast<sockaddr*>(&ss), len);
        ::close(fd);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  exposer_.reset();
  stopped.store(true);
  poke.join();
}

void MetricsExporter::publish(Families families) { snapshot_->replace(std::move(families)); }

std::string MetricsExporter::url() const { return fmt::format("http://{}:{}/metrics", host_, port_); }

}  // namespace braid::metrics

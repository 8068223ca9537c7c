// check_connection_config: plugin names and parameters are refused before anything starts.
#include <fmt/format.h>

#include <algorithm>

#include "braid/config.h"
#include "braid/congestion_controller.h"
#include "braid/failure_detector.h"
#include "braid/path_scheduler.h"

namespace braid {

std::expected<void, std::string> check_connection_config(const ConnectionConfig& cfg) {
  if (auto s = make_path_scheduler(cfg.scheduler); !s) return std::unexpected(s.error());
  auto check = [&](const std::string& name) -> std::expected<void, std::string> {
    if (make_congestion_controller(name, CcContext{cfg.initial_mtu})) return {};
    return std::unexpected(fmt::format("unknown congestion controller '{}' (known: {})", name,
                                       fmt::join(congestion_controller_names(), ", ")));
  };
  if (auto ok = check(cfg.congestion_controller); !ok) return ok;
  for (const auto& [id, name] : cfg.path_congestion_controllers) {
    if (auto ok = check(name); !ok) return std::unexpected(fmt::format("path {}: {}", id, ok.error()));
  }
  const auto& fd = cfg.failure_detection;
  if (auto d = make_failure_detector(fd.detector); !d) return std::unexpected(d.error());
  if (fd.probe_burst == 0 || fd.probe_burst > 16) return std::unexpected("failure detection: probe burst must be 1..16");
  if (fd.recover_acks == 0) return std::unexpected("failure detection: recover_acks must be at least 1");
  if (fd.failed_probe_min <= Duration::zero() || fd.failed_probe_max < fd.failed_probe_min) {
    return std::unexpected("failure detection: need 0 < failed_probe_min <= failed_probe_max");
  }
  if (fd.probe_interval < Duration::zero() || fd.abandon_after < Duration::zero()) {
    return std::unexpected("failure detection: intervals cannot be negative");
  }
  if (cfg.advertise_addresses.size() > kMaxAdvertisedAddresses) {
    return std::unexpected(fmt::format("advertise_addresses: at most {} addresses", kMaxAdvertisedAddresses));
  }
  for (size_t i = 0; i < cfg.advertise_addresses.size(); ++i) {
    const auto& a = cfg.advertise_addresses[i];
    if (!is_advertisable(a)) {
      return std::unexpected(fmt::format("advertise_addresses: {} is not a concrete unicast address with a port",
                                         a.valid() ? a.to_string() : std::string("(empty)")));
    }
    for (size_t j = 0; j < i; ++j) {
      if (cfg.advertise_addresses[j] == a) {
        return std::unexpected(fmt::format("advertise_addresses: {} is listed twice", a.to_string()));
      }
    }
  }
  if (cfg.load_balancer) {
    if (auto ok = check_load_balancer_config(*cfg.load_balancer); !ok) return std::unexpected("load balancer: " + ok.error());
    if (cfg.connection_id_length != cfg.load_balancer->cid_length()) {
      return std::unexpected(fmt::format("load balancer: connection_id_length must be {} (1 + server ID + nonce), not {}",
                                         cfg.load_balancer->cid_length(), cfg.connection_id_length));
    }
  }
  if (cfg.cid_worker_count > 1) {
    if (cfg.cid_worker_index >= cfg.cid_worker_count) {
      return std::unexpected(fmt::format("cid_worker_index {} is not below cid_worker_count {}", cfg.cid_worker_index,
                                         cfg.cid_worker_count));
    }
    if (cfg.load_balancer) return std::unexpected("cid_worker_count: not combined with a load balancer config");
    if (cfg.connection_id_length == 0) return std::unexpected("cid_worker_count: needs non-empty connection IDs");
  }
  if (cfg.ack_frequency) {
    if (cfg.min_ack_delay < Duration::zero() || cfg.min_ack_delay > cfg.max_ack_delay) {
      return std::unexpected("ack frequency: min_ack_delay must lie between 0 and max_ack_delay");
    }
    if (cfg.ack_frequency_max_threshold == 0) return std::unexpected("ack frequency: max threshold must be at least 1");
  }
  if (cfg.accept_advertised_addresses > kMaxAdvertisedAddresses) {
    return std::unexpected(fmt::format("accept_advertised_addresses: at most {}", kMaxAdvertisedAddresses));
  }
  return {};
}

bool is_advertisable(const SocketAddress& a) {
  if (!a.valid() || a.port == 0) return false;
  if (a.family == SocketAddress::Family::kV4) {
    uint8_t first = a.ip[0];
    bool unspecified = first == 0;
    bool multicast_or_reserved = first >= 224;   // 224/4 multicast, 240/4 and broadcast
    return !unspecified && !multicast_or_reserved;
  }
  bool unspecified = std::all_of(a.ip.begin(), a.ip.end(), [](uint8_t b) { return b == 0; });
  bool multicast = a.ip[0] == 0xff;
  return !unspecified && !multicast;
}

}  // namespace braid

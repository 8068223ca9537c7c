// The per-path congestion controller interface. Controllers receive values, never the
// connection; one instance per path. New algorithms register a factory by name.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "braid/time.h"

namespace braid {

struct Bandwidth {
  uint64_t bits_per_second = 0;
  bool operator==(const Bandwidth&) const = default;
};

struct AckSample {
  TimePoint now;
  TimePoint sent_time;          // send time of the newest packet acknowledged
  uint64_t bytes_acked = 0;     // in-flight bytes newly acknowledged by this ACK
  Duration latest_rtt{};
  Duration smoothed_rtt{};
  Duration min_rtt{};
  uint64_t bytes_in_flight = 0; // after removing the acknowledged packets
  bool app_limited = false;
};

struct LossSample {
  TimePoint now;
  TimePoint largest_lost_sent_time;  // send time of the newest lost (or CE-marked) packet
  uint64_t bytes_lost = 0;
  uint64_t bytes_in_flight = 0;
  bool persistent_congestion = false;
  bool ecn_ce = false;               // congestion signalled by ECN-CE, nothing lost
};

struct CcMetrics {
  uint64_t congestion_window = 0;
  uint64_t ssthresh = UINT64_MAX;
  std::string_view state;            // "slow_start", "congestion_avoidance", "recovery", ...
  std::optional<Bandwidth> pacing_rate;
};

struct CcConfig {
  uint64_t max_datagram_size = 1200;
  uint64_t initial_window_packets = 10;
  uint64_t minimum_window_packets = 2;
};

class CongestionController {
 public:
  virtual ~CongestionController() = default;
  virtual void on_packet_sent(TimePoint now, uint64_t bytes, uint64_t bytes_in_flight) = 0;
  virtual void on_ack(const AckSample&) = 0;
  virtual void on_congestion_event(const LossSample&) = 0;
  virtual void on_spurious_congestion() {}
  virtual void set_max_datagram_size(uint64_t bytes) = 0;
  virtual uint64_t window() const = 0;
  virtual std::optional<Bandwidth> pacing_rate() const { return {}; }
  virtual CcMetrics metrics() const = 0;
  virtual std::string_view name() const = 0;
};

using CongestionControllerFactory = std::function<std::unique_ptr<CongestionController>(const CcConfig&)>;

// Registry: "reno" (NewReno) and "cubic" are built in. Unknown names return nullptr.
std::unique_ptr<CongestionController> make_congestion_controller(std::string_view name, const CcConfig& cfg);
void register_congestion_controller(std::string name, CongestionControllerFactory factory);
std::vector<std::string> congestion_controller_names();

}  // namespace braid

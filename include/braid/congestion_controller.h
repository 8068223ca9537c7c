// The per-path congestion controller interface (v2). Controllers receive values, never the
// connection; one instance per path, created by name from a registry with a CcContext that
// names the path, its datagram size and the coupled group the connection's paths share.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "braid/coupled_group.h"
#include "braid/time.h"
#include "braid/types.h"

namespace braid {

struct Bandwidth {
  uint64_t bits_per_second = 0;
  bool operator==(const Bandwidth&) const = default;
  static Bandwidth from_bytes_per_second(double bps) { return {static_cast<uint64_t>(bps * 8.0)}; }
  double bytes_per_second() const { return static_cast<double>(bits_per_second) / 8.0; }
};

// One delivery-rate sample (draft-ietf-ccwg-bbr §"Delivery Rate Samples", after
// draft-cheng-iccrg-delivery-rate-estimation), produced per ACK by the path's rate sampler.
struct RateSample {
  bool valid = false;                  // an interval of at least min_rtt was measured
  uint64_t delivery_rate = 0;          // bytes per second; 0 when not valid
  bool is_app_limited = false;         // the newest acked packet was sent while app-limited
  Duration interval{};                 // max(send_elapsed, ack_elapsed)
  Duration send_elapsed{}, ack_elapsed{};
  uint64_t delivered = 0;              // bytes delivered over the interval
  uint64_t prior_delivered = 0;        // path's delivered when the newest acked packet was sent
  TimePoint prior_time{};
  uint64_t tx_in_flight = 0;           // bytes in flight when that packet was sent (it included)
  uint64_t lost = 0;                   // bytes declared lost while that packet was in flight
  Duration rtt{};                      // that packet's RTT
  uint64_t newly_acked = 0;            // bytes newly acknowledged by this ACK
  uint64_t newly_lost = 0;             // bytes newly declared lost by this ACK
};

struct SentSample {
  TimePoint now;
  uint64_t bytes = 0;
  uint64_t bytes_in_flight = 0;  // including this packet
  bool app_limited = false;      // the path's rate sampler is in an app-limited period
};

struct AckSample {
  TimePoint now;
  TimePoint sent_time;          // send time of the newest packet acknowledged
  uint64_t bytes_acked = 0;     // in-flight bytes newly acknowledged by this ACK
  uint64_t packets_acked = 0;
  Duration latest_rtt{};
  Duration smoothed_rtt{};
  Duration min_rtt{};
  uint64_t bytes_in_flight = 0; // after removing the acknowledged packets
  bool app_limited = false;     // the rate sample was taken while app-limited
  uint64_t delivered = 0;       // path's total delivered bytes after this ACK
  uint64_t lost = 0;            // path's total lost bytes so far
  RateSample rate;
};

// What a controller may know about each lost packet (BBR's per-packet loss handling).
struct LostPacket {
  uint64_t packet_number = 0;
  TimePoint time_sent{};
  uint32_t size = 0;
  uint64_t tx_in_flight = 0;    // bytes in flight when it was sent, it included
  uint64_t lost_at_send = 0;    // path's total lost bytes when it was sent
  uint64_t delivered_at_send = 0;
  bool is_app_limited = false;
};

struct LossSample {
  TimePoint now;
  TimePoint largest_lost_sent_time;  // send time of the newest lost (or CE-marked) packet
  uint64_t bytes_lost = 0;
  uint64_t packets_lost = 0;
  uint64_t bytes_in_flight = 0;      // after removing the lost packets
  bool persistent_congestion = false;
  bool ecn_ce = false;               // congestion signalled by ECN-CE, nothing lost
  uint64_t delivered = 0;            // path's total delivered bytes
  uint64_t lost = 0;                 // path's total lost bytes, these included
  std::span<const LostPacket> packets;  // valid during the call only
};

// What state a controller is in, for stats, qlog and metrics.
enum class CcState : uint8_t {
  kSlowStart,
  kConservativeSlowStart,   // HyStart++ CSS
  kCongestionAvoidance,
  kRecovery,
  kStartup,                 // BBR
  kDrain,
  kProbeBwDown,
  kProbeBwCruise,
  kProbeBwRefill,
  kProbeBwUp,
  kProbeRtt,
};
std::string_view cc_state_name(CcState s);

struct CcMetrics {
  uint64_t congestion_window = 0;
  uint64_t ssthresh = UINT64_MAX;
  CcState state = CcState::kSlowStart;
  std::optional<Bandwidth> pacing_rate;
  std::optional<Bandwidth> bandwidth_estimate;   // a model's bottleneck bandwidth (BBR)
  std::optional<Duration> min_rtt_estimate;      // a model's min RTT (BBR)
};

// Created per path. `group` is shared by all paths of one connection (never null when a
// connection creates the controller; make_congestion_controller makes a private one if it
// is). Uncoupled controllers ignore it.
struct CcContext {
  uint64_t max_datagram_size = 1200;
  uint64_t initial_window_packets = 10;
  uint64_t minimum_window_packets = 2;
  PathId path_id = 0;
  std::shared_ptr<CoupledGroup> group;
};

class CongestionController {
 public:
  virtual ~CongestionController() = default;
  virtual void on_packet_sent(const SentSample&) = 0;
  virtual void on_ack(const AckSample&) = 0;
  virtual void on_congestion_event(const LossSample&) = 0;
  virtual void on_spurious_congestion() {}
  virtual void set_max_datagram_size(uint64_t bytes) = 0;
  // Back to the initial state (the path moved to a new 4-tuple, RFC 9000 §9.4).
  virtual void reset() = 0;
  // The path is gone: leave the coupled group. Called once, before destruction.
  virtual void on_path_removed() {}
  virtual uint64_t window() const = 0;
  virtual std::optional<Bandwidth> pacing_rate() const { return {}; }
  virtual CcMetrics metrics() const = 0;
  virtual std::string_view name() const = 0;
};

using CongestionControllerFactory = std::function<std::unique_ptr<CongestionController>(const CcContext&)>;

// Registry: "reno" (NewReno), "cubic", "bbr" (BBRv3), and the coupled "lia", "olia" and
// "balia" are built in. Unknown names return nullptr.
std::unique_ptr<CongestionController> make_congestion_controller(std::string_view name, const CcContext& ctx);
void register_congestion_controller(std::string name, CongestionControllerFactory factory);
std::vector<std::string> congestion_controller_names();

}  // namespace braid

// Multipath vocabulary shared by the connection, plugins and applications: path and
// bonding states (with their legal transitions), path status, and the read-only per-path
// snapshot every scheduler, coupled controller and failure detector works from.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "braid/address.h"
#include "braid/congestion_controller.h"
#include "braid/time.h"
#include "braid/types.h"

namespace braid {

// CREATED → VALIDATING → VALIDATED → ACTIVE ⇄ STANDBY → CLOSING → CLOSED/FAILED.
// ACTIVE/STANDBY → FAILED when failure detection gives up on the path, and FAILED →
// ACTIVE/STANDBY when it answers again (until it is abandoned). Nothing leaves CLOSED;
// nothing returns from CLOSING.
enum class PathState : uint8_t { kCreated, kValidating, kValidated, kActive, kStandby, kClosing, kClosed, kFailed };

bool path_transition_allowed(PathState from, PathState to);
std::string_view path_state_name(PathState s);

// SINGLE_PATH: one usable path. PENDING: one usable, another validating. BONDED: two or more
// usable. DEGRADED: a path was lost after bonding and traffic was redistributed.
enum class BondingState : uint8_t { kSinglePath, kPending, kBonded, kDegraded };
std::string_view bonding_state_name(BondingState s);

enum class PathStatus : uint8_t { kUnknown, kAvailable, kBackup };

// What failure detection says about a path (F-DETECT): SUSPECT carries no new data and is
// probed; FAILED is probed at a growing interval; PROBING answers again and is on probation.
enum class PathHealth : uint8_t { kHealthy, kSuspect, kFailed, kProbing };
std::string_view path_health_name(PathHealth h);

// ECN validation of a path (RFC 9000 §13.4.2): TESTING marks packets ECT(0) and checks the
// peer's ACK counts; UNKNOWN stopped marking until more is known; CAPABLE keeps marking;
// FAILED gave up on ECN for the path.
enum class EcnState : uint8_t { kTesting, kUnknown, kCapable, kFailed };
std::string_view ecn_state_name(EcnState s);

// Everything a path plugin may read about one path, filled by the connection before each
// decision (ALGORITHMS.md §1). Units are in the names or types.
struct PathSnapshot {
  PathId path_id = 0;
  PathState state = PathState::kCreated;
  bool validated = false;
  bool abandoned = false;
  PathStatus local_status = PathStatus::kUnknown;
  PathStatus peer_status = PathStatus::kUnknown;
  bool backup = false;               // local or peer status says backup
  PathHealth health = PathHealth::kHealthy;
  bool potentially_failed = false;

  bool has_rtt_sample = false;
  Duration smoothed_rtt{}, rtt_variance{}, latest_rtt{}, min_rtt{};
  Duration srtt_min_seen{}, srtt_max_seen{};

  uint64_t congestion_window = 0;
  uint64_t ssthresh = UINT64_MAX;
  bool in_slow_start = false;
  bool in_recovery = false;
  uint64_t bytes_in_flight = 0;
  uint64_t ack_eliciting_in_flight = 0;
  uint64_t max_datagram_size = 1200;

  uint64_t pacing_rate_bytes_per_second = 0;
  TimePoint next_send_time{};
  bool can_send_now = false;          // cwnd ∧ pacing ∧ anti-amplification allow a packet
  // Delivery-rate sampling (draft-ietf-ccwg-bbr): the newest valid sample, the highest
  // one not taken app-limited, whether the path is in an app-limited period, and the
  // totals the samples are computed from.
  uint64_t delivery_rate_bytes_per_second = 0;
  uint64_t max_delivery_rate_bytes_per_second = 0;
  bool app_limited = false;
  uint64_t delivered_bytes = 0, lost_bytes = 0;
  // The controller's own model where it has one (BBR's bottleneck bandwidth), else 0.
  uint64_t bottleneck_bandwidth_bytes_per_second = 0;
  CcState cc_state = CcState::kSlowStart;
  // Share of the connection's capacity this path carries (cwnd / srtt over all usable
  // paths, summing to 1; 0 when not usable or unknown), from the bonding tracker.
  double capacity_weight = 0;

  uint64_t packets_sent = 0, packets_lost = 0;
  double loss_rate = 0;               // lost / sent over the path's life
  uint32_t pto_count = 0;
  TimePoint last_sent{}, last_ack_received{}, last_received{};
  PathTuple tuple;
};

// What the scheduler is asked to place.
enum class SendKind : uint8_t { kNewData, kRetransmission, kDatagram, kProbe, kAckOnly };
std::string_view send_kind_name(SendKind k);
struct SendIntent {
  SendKind kind = SendKind::kNewData;
  uint64_t bytes = 0;                       // bytes ready to send (stream backlog or datagram size)
  std::optional<PathId> affinity;           // the front stream's pinned path (or the datagram flow's)
  std::optional<PathId> datagram_affinity;  // the DATAGRAM flow's pinned path
  TimePoint deadline = kNever;              // when the data is due, if known
  // The peer's connection-level flow-control window counted from the oldest unacknowledged
  // byte (credit left plus data in flight on all paths; MPTCP's meta snd_wnd), for BLEST.
  // UINT64_MAX: unknown or not limiting.
  uint64_t send_window = UINT64_MAX;
  uint8_t priority = 0;                     // higher is more urgent
};

}  // namespace braid

// Everything braid keeps per network path: the 4-tuple, the application packet-number
// space (sent packets and received ranges), RTT, congestion controller, pacer, validation
// and anti-amplification state, and counters. Path 0 is the handshake path; single-path
// QUIC is a connection with exactly one Path.
#pragma once
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>

#include "braid/address.h"
#include "braid/congestion_controller.h"
#include "braid/path.h"
#include "braid/types.h"
#include "core/cc/pacer.h"
#include "core/path/health_tracker.h"
#include "core/recovery/ack_tracker.h"
#include "core/recovery/loss_detector.h"
#include "core/recovery/rate_sampler.h"
#include "core/recovery/rtt_estimator.h"

namespace braid::path {

// A packet-number space: what we sent (recovery) and what we received (ACK generation).
struct PnSpace {
  PnSpace(bool immediate_acks, Duration max_ack_delay) : acks(immediate_acks, max_ack_delay) {}
  recovery::LossDetector sent;
  recovery::AckTracker acks;
  uint32_t probes_owed = 0;   // PTO probe packets still to send in this space
  std::deque<uint64_t> recently_lost;   // declared lost; an ACK for one means spurious
  bool ack_eliciting_received_since_ack = false;
};

// ECN validation (RFC 9000 §13.4.2): mark a few packets, keep marking only once the
// peer's ACK counts prove the marks survive the path.
using EcnState = braid::EcnState;   // public: reported in PathStats

enum class ValidationState : uint8_t { kUnvalidated, kValidating, kValidated, kFailed };

// A second 4-tuple a client validates for a path while the current one stays in use
// (RFC 9000 §9.1, §9.6.3): the probe before migrating to a new local address, or before
// moving to the server's preferred address. The path switches only once the peer answers.
struct TupleProbe {
  enum class Purpose : uint8_t { kMigration, kPreferredAddress };
  Purpose purpose = Purpose::kMigration;
  PathTuple tuple;
  ConnectionId remote_cid;               // a CID not used on any other tuple (RFC 9000 §9.5)
  uint64_t remote_cid_sequence = 0;
  std::array<uint8_t, 8> challenge{};
  bool challenge_pending_send = false;
  TimePoint next_challenge_time = kNever;
  TimePoint deadline = kNever;
};

// PATH_RESPONSE owed to a peer that probes this path from another 4-tuple without moving
// to it (probing-only packets, RFC 9000 §9.3): sent there, with its own CID, padded within
// the anti-amplification limit of that address.
struct OffPathResponse {
  PathTuple tuple;
  std::array<uint8_t, 8> data{};
  uint64_t received_bytes = 0;           // from that address, for the 3x limit
};

struct Path {
  Path(PathId id, const PathTuple& t, Duration initial_rtt, Duration max_ack_delay,
       std::unique_ptr<CongestionController> controller, uint64_t mtu)
      : id(id), tuple(t), app(false, max_ack_delay), rtt(initial_rtt), cc(std::move(controller)),
        pacer(mtu), mtu(mtu) {}

  PathId id;
  PathTuple tuple;
  PnSpace app;
  recovery::RttEstimator rtt;
  std::unique_ptr<CongestionController> cc;
  recovery::RateSampler rate;       // delivery-rate samples for the controller and snapshots
  cc::Pacer pacer;
  uint64_t mtu;
  uint32_t pto_count = 0;
  bool probe_ping_only = false;   // probes carry PING only: the data went to other paths
  // Failure detection (multipath): health, the last ACK progress on this path, and what the
  // path was before it failed (restored when it recovers).
  std::unique_ptr<HealthTracker> health;
  TimePoint last_progress{};
  PathStatus status_before_failure = PathStatus::kUnknown;
  bool failed_as_standby = false;     // OnFailure::kStandby moved it to a local backup
  TimePoint failed_with_alternative_since = kNever;   // failed while another path was usable
  TimePoint last_prior_record{};      // last RTT sample given to the RTT prior store   // PTO probes carry PING only: the data went to other paths
  TimePoint first_rtt_sample = kNever;

  // Address validation (RFC 9000 §8.2) and anti-amplification (§8.1).
  ValidationState validation = ValidationState::kUnvalidated;
  std::optional<std::array<uint8_t, 8>> challenge_data;   // outstanding PATH_CHALLENGE
  bool challenge_pending_send = false;
  TimePoint validation_deadline = kNever;
  TimePoint next_challenge_time = kNever;
  std::deque<std::array<uint8_t, 8>> responses_owed;      // PATH_RESPONSE to send on this path
  bool address_validated = false;   // peer's address validated: no amplification limit
  // The peer's CIDs for this path ID must be known to it before we probe: a new path or
  // tuple is not probed until the peer acknowledged a CID of ours it can answer with.
  bool waits_for_peer_cids = false;
  std::optional<TupleProbe> probe;                    // client: validating another tuple
  std::deque<OffPathResponse> off_path_responses;     // server: answers to probes elsewhere
  // The tuple this path used before it moved (client): late packets from there are still
  // accepted until `previous_tuple_until`, they are not a new address.
  std::optional<PathTuple> previous_tuple;
  TimePoint previous_tuple_until = kNever;
  ConnectionId last_peer_dcid;       // DCID of the newest packet the peer sent on this path
  // After a move: the peer's CID used on the old tuple, retired once the peer acknowledged
  // a packet we sent on the new tuple (`after_pn` or later). Retiring it earlier, while the
  // peer still validates the new tuple, makes picoquic close the connection.
  struct DeferredRetire {
    uint64_t sequence = 0;
    uint64_t after_pn = 0;
  };
  std::optional<DeferredRetire> deferred_retire;
  bool has_spare_remote_cid = false; // server: CID reserved for answering on another tuple
  uint64_t spare_remote_cid_sequence = 0;
  uint64_t amplification_received = 0;
  uint64_t amplification_sent = 0;

  // ECN.
  EcnState ecn = EcnState::kTesting;
  uint64_t ecn_testing_sent = 0;
  uint64_t ecn_testing_lost = 0;
  wire::EcnCounts ecn_peer{};      // highest counts the peer reported

  // DPLPMTUD (RFC 8899), one probe step from the initial size to the target.
  uint64_t pmtu_target = 0;        // size we try to reach; 0 = search done
  bool pmtu_probe_in_flight = false;
  uint32_t pmtu_probe_failures = 0;

  // Multipath lifecycle and status (draft-ietf-quic-multipath §3).
  PathState state = PathState::kCreated;
  PathStatus local_status = PathStatus::kUnknown;   // what we asked the peer
  uint64_t local_status_seq = 0;
  PathStatus peer_status = PathStatus::kUnknown;    // what the peer asked us
  uint64_t peer_status_seq = 0;
  bool peer_status_seen = false;
  bool abandon_sent = false;
  bool abandon_received = false;
  uint64_t abandon_error = 0;
  TimePoint discard_time = kNever;                  // state kept 3 PTO after abandon
  TimePoint last_received{};
  TimePoint last_sent{};
  // Failure detection's notion of a busy path: packets with more than PING, PADDING and ACK
  // frames (probes and their answers do not make a path look busy to the other paths).
  TimePoint last_data_received{};
  TimePoint last_data_sent{};
  Duration srtt_min_seen = Duration::max();
  Duration srtt_max_seen{};

  // Connection ID we put in packets we send on this path (may be zero-length).
  bool has_remote_cid = false;
  ConnectionId remote_cid;
  uint64_t remote_cid_sequence = 0;

  // Counters.
  uint64_t packets_sent = 0, packets_received = 0, packets_lost = 0;
  uint64_t bytes_sent = 0, bytes_received = 0;
  uint64_t stream_bytes_sent = 0, stream_bytes_received = 0;
  uint64_t duplicate_bytes_sent = 0, reinjected_bytes_sent = 0, duplicate_bytes_received = 0;
  TimePoint last_ack_received{};
  TimePoint last_loss{kNever};   // when a packet sent on it was last declared lost

  // Redundancy: stream ranges (copy set) and DATAGRAM payloads (shared, not cloned) to send
  // on this path as copies of data that went, or is stuck, elsewhere.
  std::deque<recovery::SentFrame> copies_owed;
  std::deque<std::shared_ptr<const std::vector<uint8_t>>> datagram_copies;
  TimePoint last_reinjection_batch{};
  // Packets up to this number were already reinjected (on a PTO or a suspicion): each
  // packet's data goes again at most once from here; its copies have their own recovery.
  std::optional<uint64_t> reinjected_through;
  bool has_reinjection_batch = false;
  bool owes_copies() const { return !copies_owed.empty() || !datagram_copies.empty(); }

  // Validated and in use: may carry data (ACTIVE) or stand by for it (STANDBY).
  bool usable() const { return state == PathState::kActive || state == PathState::kStandby; }
  // Either side asked for this path to be a backup (PATH_STATUS_BACKUP).
  bool is_backup() const { return local_status == PathStatus::kBackup || peer_status == PathStatus::kBackup; }
  // We can still put packets on it: not abandoned, a CID to use, not closing or closed.
  bool sendable() const {
    if (abandon_sent || !has_remote_cid || waits_for_peer_cids) return false;
    switch (state) {
      case PathState::kCreated:
      case PathState::kValidating:
      case PathState::kValidated:
      case PathState::kActive:
      case PathState::kStandby:
      case PathState::kFailed: return true;   // failed by detection, not abandoned: probes, ACKs
      default: return false;
    }
  }
};

}  // namespace braid::path

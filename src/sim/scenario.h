// A simulation scenario as plain values: named links, clients with one or more paths (each
// path = a client interface + an uplink and a downlink), the workload each client runs,
// transport settings and the expectations a test asserts. Loaded by scenario_loader.h.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "braid/address.h"
#include "braid/plugin_params.h"
#include "braid/time.h"
#include "sim/link_model.h"

namespace braid::sim {

enum class WorkloadKind : uint8_t { kBulkDownload, kBulkUpload, kRequestResponse, kDatagramFlow, kMessages, kTransfer };
const char* to_string(WorkloadKind k);

// How a `messages` workload carries each message: its own unidirectional stream, or one
// DATAGRAM frame (unreliable; the message must fit one datagram).
enum class MessageTransport : uint8_t { kStream, kDatagram };
const char* to_string(MessageTransport t);

struct WorkloadSpec {
  WorkloadKind kind = WorkloadKind::kBulkDownload;
  // When the workload starts, from the simulation start. The client connects at the
  // earliest start of its workloads; a later workload begins at its own start (or at the
  // handshake, whichever is later).
  Duration start{};
  // Bulk transfers: `bytes` in total, split evenly over `streams` unidirectional streams.
  uint64_t bytes = 0;
  uint32_t streams = 1;
  // Request/response: `count` requests of request_bytes at `rate_per_s`, each answered with
  // response_bytes on the same bidirectional stream.
  uint32_t count = 0;
  double rate_per_s = 0;
  uint64_t request_bytes = 0, response_bytes = 0;
  // Datagram flow: `count` datagrams of datagram_bytes at `rate_per_s`, server to client when
  // `downstream`, client to server otherwise; the flow ends `drain` after the last send.
  uint64_t datagram_bytes = 0;
  bool downstream = true;
  Duration drain = std::chrono::seconds(1);
  // Messages: `count` one-way messages of message_bytes at `rate_per_s` (direction from
  // `downstream`), each on its own unidirectional stream or as one DATAGRAM (`transport`).
  // Each carries its sequence number, its send time and a pattern the receiver checks.
  // Datagram messages end `drain` after the last send (streams: when all arrived).
  uint64_t message_bytes = 0;
  MessageTransport transport = MessageTransport::kStream;
  // Transfer (the adaptive bulk-transfer layer, client to server): `bytes` of pattern data
  // as one transfer. mode: "auto" or a forced mode; transfer_streams / transfer_chunk fix
  // the profile's values (0: the profile's); kill_at (0..1): the client closes the
  // connection once that share is confirmed (a resume test runs the scenario again);
  // transfer_dir: the receiver writes files there (kept across runs) instead of checking
  // the bytes in memory; transfer_id names the transfer (resume needs the same one).
  std::string transfer_mode = "auto";
  Duration transfer_check_interval = std::chrono::milliseconds(500);
  uint32_t transfer_streams = 0;
  uint64_t transfer_chunk = 0;
  double kill_at = 0;
  std::string transfer_dir;
  uint64_t transfer_id = 1;

  // Sends from the client (upload direction) rather than the server.
  bool upstream() const;
};

// A link endpoint of a path: either an inline configuration (one Link per path direction) or
// the name of a shared link from [links.NAME] (several paths queue into the same Link).
struct LinkRef {
  std::string shared_name;  // non-empty: a shared link
  LinkConfig config;        // inline configuration otherwise
};

struct PathSpec {
  std::string name;
  LinkRef up, down;
  bool backup = false;  // the client marks the path backup (PATH_STATUS_BACKUP) once it opens
  // The client's controller on this path (it sends on it in uploads); empty: the
  // connection's. Path k of a client is path ID k (paths open in order).
  std::string congestion_controller;
  // The server address the path goes to (unset: the server's own). One of
  // transport.advertise opens when the server has told the client about it, else never.
  std::optional<SocketAddress> server;
};

struct ClientSpec {
  std::string name;
  uint32_t count = 1;  // identical copies (fairness/load); named NAME-0, NAME-1, ...
  // The client connection's controller (the sender in uploads); empty: [transport]'s.
  std::string congestion_controller;
  std::vector<PathSpec> paths;
  // Everything the client runs on its one connection, in order: [clients.workload] (if any)
  // first, then [[clients.workloads]]. Never empty. Each workload opens its own streams.
  std::vector<WorkloadSpec> workloads;
  Duration start() const;  // the earliest workload start: when the client connects
};

struct TransportSpec {
  std::string congestion_controller = "cubic";
  bool multipath = true;             // false: the client offers no multipath (initial_max_path_id 0)
  // A registered path scheduler plus parameters ("minrtt", "rr:quota=4"; see
  // braid::path_scheduler_names()), checked with make_path_scheduler() when loaded.
  PluginSpec scheduler{"minrtt"};
  // Redundancy policies in their text forms (parse_duplication_policy /
  // parse_reinjection_policy), checked when loaded: "off", "datagrams", "first=4096", ...
  std::string duplicate = "off";
  std::string reinject = "on";
  bool pacing = true;
  bool ack_frequency = true;    // draft-ietf-quic-ack-frequency offered and used
  uint64_t ack_frequency_max_threshold = 8;  // most ack-eliciting packets per ACK we ask for
  // Failure detection (braid::FailureDetectionConfig): the detector spec or "off", the
  // idle/backup probe interval, the failure policy and the abandon timeout (0: never).
  std::string failure_detector = "fast";
  Duration path_probe_interval = std::chrono::seconds(1);
  std::string on_failure = "fail";
  Duration abandon_failed_after{};
  Duration idle_timeout = std::chrono::seconds(30);
  uint64_t max_udp_payload_bytes = 1452;
  // Address advertisement (docs/address-advertisement.md): the server's further addresses
  // it tells clients about (`advertise`), and whether clients offer the extension and open
  // the paths that go to a told address (`use_advertised`).
  std::vector<SocketAddress> advertise;
  bool use_advertised = false;
};

// Each bound is checked only when set.
struct Expectations {
  bool must_complete = false;
  bool must_not_complete = false;                // honest single-path limits (e.g. handover)
  std::optional<double> min_goodput_mbps;        // every client
  std::optional<double> max_goodput_mbps;        // every client (e.g. single path ≈ path 0)
  std::optional<double> min_total_goodput_mbps;  // sum over clients
  std::optional<double> max_completion_s;        // every client
  std::optional<double> max_stall_s;             // every client
  std::optional<double> min_stall_s;             // some client (an outage must show)
  std::optional<double> min_jain_fairness;
  std::optional<double> min_delivery_ratio;      // datagram flows and messages (each workload)
  std::optional<double> max_p99_latency_ms;      // request/response, datagram flows, messages (each)
  std::optional<uint64_t> min_packets_lost;      // sum over clients (loss must be seen)
  // Failure detection (HealthRecord): suspect/failed transitions at most (0: no false
  // failures), the bonding state must reach DEGRADED, at least N paths must fail, every
  // outage must be detected (FAILED on either endpoint) within this long of its start,
  // every failed path must carry data again within this long of its outage's end, and
  // every path must carry at least this many stream bytes (both directions).
  std::optional<uint64_t> max_health_transitions;
  bool must_degrade = false;
  std::optional<uint64_t> min_failed_paths;
  std::optional<double> max_detection_s;
  std::optional<double> max_recovery_s;
  std::optional<uint64_t> min_path_stream_bytes;
};

// A link change chosen by the state of the run: at `at`, the path that carried the most
// stream bytes so far (both directions) is blackholed both ways until `until` (forever if
// unset). For every client.
struct Trigger {
  enum class Kind : uint8_t { kOutageBusiest };
  Kind kind = Kind::kOutageBusiest;
  Duration at{};
  std::optional<Duration> until;
};

// A scheduled client action on one of its paths (handover, manual failover, status flips).
enum class PathActionKind : uint8_t { kOpenPath, kClosePath, kBackup, kAvailable };
const char* to_string(PathActionKind k);

struct PathAction {
  Duration at{};      // from the simulation start
  size_t client = 0;  // index into the expanded clients (NAME-0, NAME-1, ... count as one each)
  size_t path = 0;    // index into that client's [[clients.paths]]
  PathActionKind kind = PathActionKind::kClosePath;
};

struct Scenario {
  std::string name;
  std::string description;
  uint64_t seed = 1;
  Duration time_limit = std::chrono::seconds(120);  // virtual time
  TransportSpec transport;
  std::map<std::string, LinkConfig> shared_links;
  std::vector<ClientSpec> clients;
  std::vector<PathAction> actions;  // in time order
  std::vector<Trigger> triggers;
  Expectations expect;
};

}  // namespace braid::sim

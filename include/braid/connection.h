// A QUIC connection as a sans-IO state machine (quinn-proto style).
//
// Call order, repeated for the life of the connection:
//   1. feed inputs: handle_datagram() for every received UDP datagram, handle_timeout()
//      when the time from poll_timeout() has come, and application commands (streams,
//      datagrams, paths, close);
//   2. drain outputs: poll_transmit() until it returns nullopt (send each result), then
//      poll_event() until nullopt;
//   3. sleep until poll_timeout() or the next datagram / command.
// Time always comes in as a parameter; the connection never reads a clock.
#pragma once
#include <cstdint>
#include <functional>
#include <string_view>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "braid/address.h"
#include "braid/congestion_controller.h"
#include "braid/config.h"
#include "braid/error.h"
#include "braid/path.h"
#include "braid/random.h"
#include "braid/time.h"
#include "braid/types.h"

namespace braid {

struct Transmit {
  PathId path = 0;
  PathTuple tuple;
  size_t length = 0;          // bytes written into the caller's buffer
  uint8_t ecn = 0;            // IP ECN codepoint to set (0 = Not-ECT)
  uint16_t segment_size = 0;  // > 0: `length` holds several datagrams of this size (GSO)
};

enum class ConnectionEventType : uint8_t {
  kHandshakeCompleted,
  kStreamOpened,        // the peer opened a stream
  kStreamReadable,
  kStreamWritable,      // send buffer or flow-control credit freed
  kStreamFinished,      // all data we sent on a stream was acknowledged
  kStreamReset,         // peer sent RESET_STREAM (error_code)
  kStreamStopSending,   // peer sent STOP_SENDING (error_code)
  kDatagramReceived,
  kPathEvent,           // path_id, path_change, path_state (detail: the same in words)
  kBondingChanged,      // bonding
  kPathHealthChanged,   // path_id, health
  kKeyUpdated,
  kConnectionClosed,    // terminal; `error` says why
  // Client, address advertisement negotiated: the server has a further address (`address`;
  // error_code carries its sequence number). open_path(local, address) may use it.
  kAddressAdvertised,
};

// What a kPathEvent reports. kState: the path moved to path_state. kMigrated and
// kPreferredAddress: the path moved to another address pair (stats show the new tuple).
// kProbeFailed / kProbeReplaced: a probe of a new address pair gave up or was superseded;
// the path stays where it was. kNotOpened: a queued open_path request was dropped (detail
// says why: the peer did not negotiate multipath, the connection closed).
enum class PathChange : uint8_t { kState, kMigrated, kPreferredAddress, kProbeFailed, kProbeReplaced, kNotOpened };
std::string_view path_change_name(PathChange c);

struct ConnectionEvent {
  ConnectionEventType type;
  StreamId stream_id = 0;
  PathId path_id = 0;
  uint64_t error_code = 0;
  std::string detail;                 // the enum below in words, or why (for people and logs)
  std::optional<TransportError> error;
  PathChange path_change = PathChange::kState;        // kPathEvent
  PathState path_state = PathState::kCreated;         // kPathEvent: the path's state now
  PathHealth health = PathHealth::kHealthy;           // kPathHealthChanged
  BondingState bonding = BondingState::kSinglePath;   // kBondingChanged
  SocketAddress address;                              // kAddressAdvertised
};

// One path as the application sees it: everything a path plugin reads (PathSnapshot: state,
// health, RTTs, window, rates, packets sent and lost, tuple) and the counters only people
// and metrics need.
struct PathStats : PathSnapshot {
  // The path's congestion controller by name (congestion_controller_names()).
  std::string congestion_controller;
  uint64_t packets_received = 0;
  // Receive side: 1-RTT packet numbers of this path below the largest received that never
  // arrived, i.e. what the peer lost sending to us (a peer that skips numbers adds to it).
  uint64_t packets_missing = 0;
  uint64_t bytes_sent = 0, bytes_received = 0;
  uint64_t stream_bytes_sent = 0, stream_bytes_received = 0;
  // Redundancy: stream bytes sent on this path as copies of data also sent on another path
  // (duplication); reinjection: bytes this path held when it stalled that were queued again
  // on the others (counted here, where they came from); stream bytes received here that had
  // already arrived (on any path).
  uint64_t duplicate_bytes_sent = 0, reinjected_bytes_sent = 0;
  uint64_t duplicate_bytes_received = 0;
  EcnState ecn = EcnState::kTesting;
  // Failure detection: the detector's name (empty when detection is off or not multipath),
  // and how often the path went suspect, failed and recovered; PINGs sent to probe it
  // (idle, backup, suspect or failed).
  std::string failure_detector;
  uint32_t suspicions = 0, failures = 0, recoveries = 0;
  uint64_t probes_sent = 0;
};

// What stream writes wait on, cheap enough to ask after every write: stream bytes held
// for sending or resending (written, not yet acknowledged) and the congestion windows of
// the paths that carry data now, summed. A bulk sender that keeps the first below about
// twice the second keeps every path busy without queueing far ahead of the network.
struct SendPressure {
  uint64_t buffered_stream_bytes = 0;
  uint64_t congestion_windows = 0;
};

struct ConnectionStats {
  uint64_t packets_sent = 0, packets_received = 0, packets_lost = 0, packets_dropped = 0;
  uint64_t bytes_sent = 0, bytes_received = 0;
  uint64_t stream_bytes_sent = 0, stream_bytes_received = 0;
  uint64_t duplicate_bytes_received = 0;   // stream bytes that arrived more than once (all paths)
  uint64_t datagrams_duplicate_received = 0;   // DATAGRAM copies dropped as already delivered
  uint64_t spurious_losses = 0;
  uint64_t send_buffered_bytes = 0;   // stream bytes held for sending or resending, all streams
  uint64_t recv_buffered_bytes = 0;   // out-of-order stream bytes held for reassembly
  uint64_t key_updates = 0;
  // ACK and PATH_ACK frames sent and received, all paths and packet number spaces.
  uint64_t ack_frames_sent = 0, ack_frames_received = 0;
  // Ack frequency: the peer takes our ACK_FREQUENCY requests (it sent min_ack_delay), the
  // requests sent, and what the peer last asked of our ACKs (0 / zero: nothing yet).
  bool ack_frequency = false;
  uint64_t ack_frequency_frames_sent = 0;
  uint64_t peer_ack_eliciting_threshold = 0;
  Duration peer_requested_max_ack_delay{};
  uint32_t version = 0;      // QUIC version in use (0x00000001)
  bool multipath = false;
  // Address advertisement negotiated (both sides offered it), and the addresses advertised
  // on this connection: told by the server (client) or to the client (server), in sequence order.
  bool address_advertisement = false;
  std::vector<SocketAddress> advertised_addresses;
  BondingState bonding = BondingState::kSinglePath;
  std::vector<PathStats> paths;
};

class Connection {
 public:
  virtual ~Connection() = default;

  // Inputs. `data` is decrypted in place.
  virtual void handle_datagram(TimePoint now, const PathTuple& tuple, std::span<uint8_t> data,
                               uint8_t ecn) = 0;
  virtual void handle_timeout(TimePoint now) = 0;

  // Outputs. `buf` should hold max_segments * max_udp_payload bytes for GSO batches.
  virtual std::optional<Transmit> poll_transmit(TimePoint now, std::span<uint8_t> buf,
                                                size_t max_segments = 1) = 0;
  virtual TimePoint poll_timeout() const = 0;
  virtual std::optional<ConnectionEvent> poll_event() = 0;

  // Streams. Writes return bytes accepted (0 when the send buffer is full).
  virtual ApiResult<StreamId> open_stream(bool bidirectional) = 0;
  virtual ApiResult<size_t> stream_write(StreamId id, std::span<const uint8_t> data, bool fin) = 0;
  // How many bytes stream_write would accept now. When that is 0, a kStreamWritable event
  // follows once more fits (as after a short write), so callers can size their reads.
  virtual ApiResult<size_t> stream_writable(StreamId id) = 0;
  // Reads in-order bytes; `fin` is set once everything up to the FIN has been read.
  virtual ApiResult<size_t> stream_read(StreamId id, std::span<uint8_t> out, bool& fin) = 0;
  virtual ApiStatus stream_reset(StreamId id, uint64_t app_error) = 0;
  virtual ApiStatus stream_stop_sending(StreamId id, uint64_t app_error) = 0;
  // Duplication per stream: every byte written is also sent on another usable path
  // (ConnectionConfig::duplication.copies of them); the peer delivers each byte once.
  virtual ApiStatus set_stream_duplicate(StreamId id, bool on) = 0;

  // Datagrams (RFC 9221). Fails if the peer did not offer them or the datagram is too big.
  virtual ApiStatus send_datagram(std::span<const uint8_t> data) = 0;
  virtual std::optional<std::vector<uint8_t>> recv_datagram() = 0;
  virtual size_t max_datagram_payload() const = 0;

  // Key update (RFC 9001 §6); refused before the handshake is confirmed.
  virtual ApiStatus initiate_key_update(TimePoint now) = 0;
  // Client: move the connection to a new local address (active migration, RFC 9000 §9).
  virtual ApiStatus migrate(TimePoint now, const SocketAddress& new_local) = 0;
  // Multipath (draft-ietf-quic-multipath-21). Client: open a path from `local` to `remote`
  // on the lowest unused path ID, returned at once. May be called any time before close,
  // even before the handshake: the request waits in the connection until the handshake is
  // confirmed, the peer's path ID limit allows the ID and both sides' CIDs for it exist, then
  // starts (kPathEvent kState created, validating, ... active). A request that can never
  // start (the peer did not negotiate multipath, the connection closed) ends with one
  // kPathEvent kNotOpened. set_path_status and close_path apply to waiting requests too.
  // Refused at once: kUnsupported (server, multipath off or not negotiated), kInvalid (a
  // tuple already in use), kLimit (beyond max_path_ids_per_connection), kClosed.
  virtual ApiResult<PathId> open_path(TimePoint now, const SocketAddress& local, const SocketAddress& remote) = 0;
  // Abandons a path (PATH_ABANDON); data in flight there is resent on the other paths.
  virtual ApiStatus close_path(TimePoint now, PathId id, uint64_t error_code = 0x3e /* APPLICATION_ABANDON_PATH */) = 0;
  // Marks a path backup (no data while an available path works) or available.
  virtual ApiStatus set_path_status(TimePoint now, PathId id, bool backup) = 0;
  // Replaces the congestion controller of one path (or, with no path, of every path and of
  // paths opened later) by a fresh one of `name` (congestion_controller_names()). The new
  // controller starts from its initial window and learns the path again; packets in flight
  // are acknowledged into it. An unknown name fails with kInternalError and the known names.
  virtual ApiStatus set_congestion_controller(TimePoint now, std::string_view name,
                                           std::optional<PathId> path = std::nullopt) = 0;
  // Pins a stream / the datagram flow to a path (nullopt: scheduler decides).
  virtual ApiStatus set_stream_path(StreamId id, std::optional<PathId> path) = 0;
  virtual void set_datagram_path(std::optional<PathId> path) = 0;
  virtual bool is_multipath() const = 0;
  virtual BondingState bonding_state() const = 0;
  virtual std::vector<PathSnapshot> path_snapshots(TimePoint now) const = 0;

  // Graceful close with an application error code.
  virtual void close(TimePoint now, uint64_t app_error, std::string reason) = 0;

  // Observability: qlog records (JSON-SEQ, one call per record) go to `sink`; key-log
  // lines are configured in ConnectionConfig::tls.keylog.
  virtual void set_qlog_sink(std::function<void(std::string_view)> sink, TimePoint reference_time) = 0;
  // "<original DCID hex>_<client|server>.sqlog": the name braid's tools and runtime give
  // this connection's qlog file (qvis and the plot tool expect it).
  std::string qlog_file_name() const;

  virtual bool is_handshake_complete() const = 0;
  virtual bool is_closed() const = 0;     // terminal: nothing more will be sent
  virtual bool is_draining() const = 0;   // closing or draining
  virtual std::optional<TransportError> close_reason() const = 0;
  virtual ConnectionStats stats() const = 0;
  virtual SendPressure send_pressure() const = 0;
  virtual std::string alpn() const = 0;
  virtual Perspective perspective() const = 0;
  virtual const ConnectionId& original_dcid() const = 0;
  // Our current source connection IDs (for endpoint routing), and a counter that changes
  // whenever that set changes (so routing is refreshed only then).
  virtual std::vector<ConnectionId> local_connection_ids() const = 0;
  virtual uint64_t local_connection_ids_version() const = 0;

  // Creates a client connection and queues its first flight.
  static Result<std::unique_ptr<Connection>> connect(TimePoint now, const ConnectionConfig& cfg,
                                                     const PathTuple& tuple, Random& rng);
};

}  // namespace braid

// One connection's qlog trace as JSON-SEQ records (draft-ietf-quic-qlog-main-schema, QlogFileSeq)
// with events of draft-ietf-quic-qlog-quic-events (-13). Sans-IO: records go to a Sink, times
// are handed in; the runtime decides where the bytes land (<odcid>_<client|server>.sqlog).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "braid/address.h"
#include "braid/time.h"
#include "braid/types.h"
#include "core/qlog/qlog_frames.h"
#include "core/wire/frame.h"
#include "core/wire/transport_params.h"

namespace braid::qlog {

// Event schema URI of the quic events draft this writer follows (drafts append "-<nn>").
inline constexpr std::string_view kQuicEventSchema = "urn:ietf:params:qlog:events:quic-13";
// Private schema for the multipath events the drafts do not define (namespace "braid").
inline constexpr std::string_view kBraidEventSchema = "urn:braid:qlog:events:braid";

// "<odcid_hex>_<client|server>.sqlog": the name the runtime and tools give a trace file.
std::string qlog_file_name(std::string_view odcid_hex, bool is_server);

// Recovery metrics of one path; unset fields are not reported. RTTs are logged in ms.
struct MetricsSample {
  std::optional<Duration> min_rtt;
  std::optional<Duration> smoothed_rtt;
  std::optional<Duration> latest_rtt;
  std::optional<Duration> rtt_variance;
  std::optional<uint64_t> pto_count;
  std::optional<uint64_t> congestion_window;  // bytes
  std::optional<uint64_t> bytes_in_flight;    // bytes
  std::optional<uint64_t> ssthresh;           // bytes
  std::optional<uint64_t> pacing_rate;        // bits per second
  std::optional<uint64_t> packets_in_flight;
  bool operator==(const MetricsSample&) const = default;
};

class QlogWriter {
 public:
  // Receives complete records, each "\x1e{...}\n". Called synchronously from the event call.
  using Sink = std::function<void(std::string_view)>;

  QlogWriter() = default;  // disabled
  // An empty sink makes a disabled writer. Otherwise the file header record is written now.
  QlogWriter(Sink sink, bool is_server, TimePoint reference_time, std::string odcid_hex,
             std::string title = "braid");

  // Callers test this before assembling anything for an event; every event method also
  // returns at once when disabled.
  bool enabled() const { return static_cast<bool>(sink_); }

  // Packet events. packet_type: "initial", "handshake", "0RTT", "1RTT", "retry",
  // "version_negotiation", "stateless_reset", "unknown". length is the packet's byte length.
  // Frame spans are read during the call only.
  void packet_sent(TimePoint t, std::optional<uint32_t> path_id, std::string_view packet_type, uint64_t pn,
                   size_t length, std::span<const wire::Frame> frames);
  void packet_received(TimePoint t, std::optional<uint32_t> path_id, std::string_view packet_type, uint64_t pn,
                       size_t length, std::span<const wire::Frame> frames);
  // trigger: "reordering_threshold", "time_threshold", "pto_expired" (empty: omitted).
  void packet_lost(TimePoint t, std::optional<uint32_t> path_id, std::string_view packet_type, uint64_t pn,
                   std::string_view trigger, std::span<const QlogFrame> frames = {});
  // trigger: "internal_error", "rejected", "unsupported", "invalid", "duplicate",
  // "connection_unknown", "decryption_failure", "key_unavailable", "general".
  void packet_dropped(TimePoint t, std::string_view packet_type, size_t length, std::string_view trigger);
  // Extra: packets newly acknowledged on a path (packet_number_space "application_data"
  // unless given).
  void packets_acked(TimePoint t, std::optional<uint32_t> path_id, std::span<const uint64_t> packet_numbers,
                     std::string_view packet_number_space = "application_data");

  // Writes only fields that differ from the last sample written for this path; writes
  // nothing when none do.
  void metrics_updated(TimePoint t, uint32_t path_id, const MetricsSample& m);
  void congestion_state_updated(TimePoint t, uint32_t path_id, std::string_view old_state,
                                std::string_view new_state, std::string_view trigger = {});

  // owner: "local" / "remote" (qlog "initiator"). Also remembers each side's
  // ack_delay_exponent to log ACK delays in ms (3 until the side's parameters are set).
  void parameters_set(TimePoint t, std::string_view owner, const wire::TransportParameters& tp);
  void connection_started(TimePoint t, const SocketAddress& local, const SocketAddress& remote,
                          const ConnectionId& scid, const ConnectionId& dcid);
  // "attempted", "handshake_started", "handshake_complete", "handshake_confirmed",
  // "closing", "draining", "closed", ...; the previous state is added as "old".
  void connection_state_updated(TimePoint t, std::string_view new_state);
  // trigger: "idle_timeout", "application", "error", "version_mismatch", "stateless_reset",
  // "aborted", "unspecified" (empty: omitted).
  void connection_closed(TimePoint t, std::string_view owner, uint64_t code, bool application,
                         std::string_view reason, std::string_view trigger = {});
  // key_type: "client_1rtt_secret", ...; trigger: "tls", "remote_update", "local_update".
  void key_updated(TimePoint t, std::string_view key_type, uint64_t key_phase, std::string_view trigger);
  // stream_side: "sending" / "receiving"; states per the draft ("open", "closed", ...).
  void stream_state_updated(TimePoint t, uint64_t stream_id, std::string_view stream_side,
                            std::string_view new_state, std::string_view old_state = {},
                            std::string_view trigger = {});

  // Multipath path lifecycle: "created", "validated", "active", "standby", "abandoned",
  // "closed", "failed". Emits "braid:path_state_updated" {path_id, old, new}; with a tuple
  // it also emits "quic:tuple_assigned" (tuple_id = decimal path id), and when a path that
  // had a tuple ends (abandoned/closed/failed) an endpoint-less tuple_assigned retires it.
  void path_event(TimePoint t, uint32_t path_id, std::string_view event, const PathTuple* tuple);

  // UDP datagram events (Extra): count datagrams of total_bytes on a path. A single datagram
  // is logged as raw[0].length; a batch as "total_length".
  void datagrams_sent(TimePoint t, std::optional<uint32_t> path_id, uint64_t count, uint64_t total_bytes);
  void datagrams_received(TimePoint t, std::optional<uint32_t> path_id, uint64_t count, uint64_t total_bytes);

  // Escape hatch: any event name with a DOM payload (not for per-packet use).
  void generic(TimePoint t, std::string_view name, const nlohmann::json& data);

 private:
  struct PathState {
    uint32_t path_id;
    std::string state;
    MetricsSample metrics;
    bool has_tuple = false;
  };

  // Starts "\x1e{"time":..,"name":..,"data":{" in buf_; finish() closes and emits it.
  std::string& begin(TimePoint t, std::string_view name);
  void finish();
  void packet_event(TimePoint t, std::string_view name, std::optional<uint32_t> path_id,
                    std::string_view packet_type, uint64_t pn, size_t length, std::span<const wire::Frame> frames,
                    uint64_t ack_delay_exponent);
  void udp_event(TimePoint t, std::string_view name, std::optional<uint32_t> path_id, uint64_t count,
                 uint64_t total_bytes);
  PathState& path_state(uint32_t path_id);
  void write_header(bool is_server, std::string_view odcid_hex, std::string_view title);

  Sink sink_;
  TimePoint reference_time_{};
  TimePoint last_time_{};
  std::string buf_;
  std::string connection_state_;
  uint64_t local_ack_delay_exponent_ = 3;
  uint64_t remote_ack_delay_exponent_ = 3;
  std::vector<PathState> paths_;  // few paths: linear search beats a map
};

}  // namespace braid::qlog

// QlogWriter: renders each event straight into one reused buffer and hands the finished
// JSON-SEQ record to the sink. Also keeps the little state events need for "old" values.
#include "core/qlog/qlog_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "core/qlog/json_out.h"

namespace braid::qlog {
namespace {

constexpr char kRecordSeparator = '\x1e';

double to_ms(Duration d) { return static_cast<double>(d.count()) / 1e6; }

void endpoint_info(std::string& out, const SocketAddress& a, const ConnectionId* cid) {
  JsonObject o(out);
  if (a.family == SocketAddress::Family::kV4) {
    o.str("ip_v4", a.ip_string()).num("port_v4", a.port);
  } else if (a.family == SocketAddress::Family::kV6) {
    o.str("ip_v6", a.ip_string()).num("port_v6", a.port);
  }
  if (cid) {
    std::string& s = o.child("connection_ids");
    s += '[';
    append_hex_string(s, cid->span());
    s += ']';
  }
}

bool is_terminal_path_event(std::string_view event) {
  return event == "abandoned" || event == "closed" || event == "failed";
}

}  // namespace

std::string qlog_file_name(std::string_view odcid_hex, bool is_server) {
  return fmt::format("{}_{}.sqlog", odcid_hex, is_server ? "server" : "client");
}

QlogWriter::QlogWriter(Sink sink, bool is_server, TimePoint reference_time, std::string odcid_hex,
                       std::string title)
    : sink_(std::move(sink)), reference_time_(reference_time), last_time_(reference_time) {
  if (!enabled()) return;
  buf_.reserve(1024);
  write_header(is_server, odcid_hex, title);
}

void QlogWriter::write_header(bool is_server, std::string_view odcid_hex, std::string_view title) {
  buf_.clear();
  buf_ += kRecordSeparator;
  {
    // file_schema and serialization_format first: the schema wants them in the first 256 bytes.
    JsonObject file(buf_);
    file.str("file_schema", "urn:ietf:params:qlog:file:sequential");
    file.str("serialization_format", "application/qlog+json-seq");
    file.str("title", title);
    file.str("description", fmt::format("braid {} trace of connection {}", is_server ? "server" : "client", odcid_hex));
    JsonObject trace(file.child("trace"));
    {
      JsonObject common(trace.child("common_fields"));
      common.str("group_id", odcid_hex).str("time_format", "relative_to_epoch");
      // The core only sees a monotonic clock, so the epoch is the connection's reference
      // time point, which has no wall-clock meaning.
      JsonObject ref(common.child("reference_time"));
      ref.str("clock_type", "monotonic").str("epoch", "unknown");
    }
    {
      JsonObject vp(trace.child("vantage_point"));
      vp.str("name", "braid").str("type", is_server ? "server" : "client");
    }
    std::string& schemas = trace.child("event_schemas");
    schemas += '[';
    append_json_string(schemas, kQuicEventSchema);
    schemas += ',';
    append_json_string(schemas, kBraidEventSchema);
    schemas += ']';
  }
  buf_ += '\n';
  sink_(buf_);
}

std::string& QlogWriter::begin(TimePoint t, std::string_view name) {
  // Tools expect non-decreasing times; callers may log with a slightly older "now".
  last_time_ = std::max(last_time_, t);
  buf_.clear();
  buf_ += kRecordSeparator;
  buf_ += "{\"time\":";
  append_number(buf_, to_ms(last_time_ - reference_time_));
  buf_ += ",\"name\":";
  append_json_string(buf_, name);
  buf_ += ",\"data\":";
  return buf_;
}

void QlogWriter::finish() {
  buf_ += "}\n";
  sink_(buf_);
}

QlogWriter::PathState& QlogWriter::path_state(uint32_t path_id) {
  for (PathState& p : paths_) {
    if (p.path_id == path_id) return p;
  }
  paths_.push_back(PathState{path_id, {}, {}, false});
  return paths_.back();
}

void QlogWriter::packet_event(TimePoint t, std::string_view name, std::optional<uint32_t> path_id,
                              std::string_view packet_type, uint64_t pn, size_t length,
                              std::span<const wire::Frame> frames, uint64_t ack_delay_exponent) {
  {
    JsonObject d(begin(t, name));
    if (path_id) d.num("path_id", *path_id);
    {
      JsonObject h(d.child("header"));
      h.str("packet_type", packet_type);
      if (packet_type != "retry" && packet_type != "version_negotiation" && packet_type != "stateless_reset") {
        h.num("packet_number", pn);
      }
    }
    {
      JsonObject raw(d.child("raw"));
      raw.num("length", length);
    }
    if (!frames.empty()) {
      std::string& s = d.child("frames");
      s += '[';
      for (size_t i = 0; i < frames.size(); ++i) {
        if (i) s += ',';
        append_frame(s, frames[i], ack_delay_exponent);
      }
      s += ']';
    }
  }
  finish();
}

void QlogWriter::packet_sent(TimePoint t, std::optional<uint32_t> path_id, std::string_view packet_type, uint64_t pn,
                             size_t length, std::span<const wire::Frame> frames) {
  if (!enabled()) return;
  // ACK Delay is scaled by the ACK sender's exponent (RFC 9000 §19.3): ours when sending.
  packet_event(t, "quic:packet_sent", path_id, packet_type, pn, length, frames, local_ack_delay_exponent_);
}

void QlogWriter::packet_received(TimePoint t, std::optional<uint32_t> path_id, std::string_view packet_type,
                                 uint64_t pn, size_t length, std::span<const wire::Frame> frames) {
  if (!enabled()) return;
  packet_event(t, "quic:packet_received", path_id, packet_type, pn, length, frames, remote_ack_delay_exponent_);
}

void QlogWriter::packet_lost(TimePoint t, std::optional<uint32_t> path_id, std::string_view packet_type, uint64_t pn,
                             std::string_view trigger, std::span<const QlogFrame> frames) {
  if (!enabled()) return;
  {
    JsonObject d(begin(t, "quic:packet_lost"));
    if (path_id) d.num("path_id", *path_id);
    {
      JsonObject h(d.child("header"));
      h.str("packet_type", packet_type).num("packet_number", pn);
    }
    if (!frames.empty()) {
      std::string& s = d.child("frames");
      s += '[';
      for (size_t i = 0; i < frames.size(); ++i) {
        if (i) s += ',';
        s += frames[i].json;
      }
      s += ']';
    }
    if (!trigger.empty()) d.str("trigger", trigger);
  }
  finish();
}

void QlogWriter::packet_dropped(TimePoint t, std::string_view packet_type, size_t length, std::string_view trigger) {
  if (!enabled()) return;
  {
    JsonObject d(begin(t, "quic:packet_dropped"));
    {
      JsonObject h(d.child("header"));
      h.str("packet_type", packet_type);
    }
    {
      JsonObject raw(d.child("raw"));
      raw.num("length", length);
    }
    if (!trigger.empty()) d.str("trigger", trigger);
  }
  finish();
}

void QlogWriter::packets_acked(TimePoint t, std::optional<uint32_t> path_id, std::span<const uint64_t> packet_numbers,
                               std::string_view packet_number_space) {
  if (!enabled() || packet_numbers.empty()) return;
  {
    JsonObject d(begin(t, "quic:packets_acked"));
    if (path_id) d.num("path_id", *path_id);
    d.str("packet_number_space", packet_number_space);
    std::string& s = d.child("packet_numbers");
    s += '[';
    for (size_t i = 0; i < packet_numbers.size(); ++i) {
      if (i) s += ',';
      append_number(s, packet_numbers[i]);
    }
    s += ']';
  }
  finish();
}

void QlogWriter::metrics_updated(TimePoint t, uint32_t path_id, const MetricsSample& m) {
  if (!enabled()) return;
  MetricsSample& last = path_state(path_id).metrics;
  // Keep only fields that are set and differ from what was last written for this path.
  MetricsSample changed;
  auto pick = [](const auto& now, auto& before, auto& out) {
    if (now && now != before) {
      out = now;
      before = now;
    }
  };
  pick(m.min_rtt, last.min_rtt, changed.min_rtt);
  pick(m.smoothed_rtt, last.smoothed_rtt, changed.smoothed_rtt);
  pick(m.latest_rtt, last.latest_rtt, changed.latest_rtt);
  pick(m.rtt_variance, last.rtt_variance, changed.rtt_variance);
  pick(m.pto_count, last.pto_count, changed.pto_count);
  pick(m.congestion_window, last.congestion_window, changed.congestion_window);
  pick(m.bytes_in_flight, last.bytes_in_flight, changed.bytes_in_flight);
  pick(m.ssthresh, last.ssthresh, changed.ssthresh);
  pick(m.pacing_rate, last.pacing_rate, changed.pacing_rate);
  pick(m.packets_in_flight, last.packets_in_flight, changed.packets_in_flight);
  if (changed == MetricsSample{}) return;
  {
    JsonObject d(begin(t, "quic:recovery_metrics_updated"));
    d.num("path_id", path_id);
    if (changed.min_rtt) d.real("min_rtt", to_ms(*changed.min_rtt));
    if (changed.smoothed_rtt) d.real("smoothed_rtt", to_ms(*changed.smoothed_rtt));
    if (changed.latest_rtt) d.real("latest_rtt", to_ms(*changed.latest_rtt));
    if (changed.rtt_variance) d.real("rtt_variance", to_ms(*changed.rtt_variance));
    if (changed.pto_count) d.num("pto_count", *changed.pto_count);
    if (changed.congestion_window) d.num("congestion_window", *changed.congestion_window);
    if (changed.bytes_in_flight) d.num("bytes_in_flight", *changed.bytes_in_flight);
    if (changed.ssthresh) d.num("ssthresh", *changed.ssthresh);
    if (changed.packets_in_flight) d.num("packets_in_flight", *changed.packets_in_flight);
    if (changed.pacing_rate) d.num("pacing_rate", *changed.pacing_rate);
  }
  finish();
}

void QlogWriter::congestion_state_updated(TimePoint t, uint32_t path_id, std::string_view old_state,
                                          std::string_view new_state, std::string_view trigger) {
  if (!enabled()) return;
  {
    JsonObject d(begin(t, "quic:congestion_state_updated"));
    d.num("path_id", path_id);
    if (!old_state.empty()) d.str("old", old_state);
    d.str("new", new_state);
    if (!trigger.empty()) d.str("trigger", trigger);
  }
  finish();
}

void QlogWriter::parameters_set(TimePoint t, std::string_view owner, const wire::TransportParameters& tp) {
  if (!enabled()) return;
  (owner == "remote" ? remote_ack_delay_exponent_ : local_ack_delay_exponent_) = tp.ack_delay_exponent;
  {
    JsonObject d(begin(t, "quic:parameters_set"));
    d.str("initiator", owner);
    if (tp.original_destination_connection_id) {
      d.hex("original_destination_connection_id", tp.original_destination_connection_id->span());
    }
    if (tp.initial_source_connection_id) d.hex("initial_source_connection_id", tp.initial_source_connection_id->span());
    if (tp.retry_source_connection_id) d.hex("retry_source_connection_id", tp.retry_source_connection_id->span());
    if (tp.stateless_reset_token) d.hex("stateless_reset_token", *tp.stateless_reset_token);
    d.boolean("disable_active_migration", tp.disable_active_migration);
    d.num("max_idle_timeout", tp.max_idle_timeout_ms);
    d.num("max_udp_payload_size", tp.max_udp_payload_size);
    d.num("ack_delay_exponent", tp.ack_delay_exponent);
    d.num("max_ack_delay", tp.max_ack_delay_ms);
    d.num("active_connection_id_limit", tp.active_connection_id_limit);
    d.num("initial_max_data", tp.initial_max_data);
    d.num("initial_max_stream_data_bidi_local", tp.initial_max_stream_data_bidi_local);
    d.num("initial_max_stream_data_bidi_remote", tp.initial_max_stream_data_bidi_remote);
    d.num("initial_max_stream_data_uni", tp.initial_max_stream_data_uni);
    d.num("initial_max_streams_bidi", tp.initial_max_streams_bidi);
    d.num("initial_max_streams_uni", tp.initial_max_streams_uni);
    if (tp.preferred_address) {
      const wire::PreferredAddress& pa = *tp.preferred_address;
      JsonObject p(d.child("preferred_address"));
      p.str("ip_v4", fmt::format("{}.{}.{}.{}", pa.ipv4[0], pa.ipv4[1], pa.ipv4[2], pa.ipv4[3]));
      p.num("port_v4", pa.ipv4_port);
      SocketAddress v6;
      v6.family = SocketAddress::Family::kV6;
      v6.ip = pa.ipv6;
      p.str("ip_v6", v6.ip_string()).num("port_v6", pa.ipv6_port);
      p.hex("connection_id", pa.cid.span()).hex("stateless_reset_token", pa.reset_token);
    }
    if (tp.max_datagram_frame_size) d.num("max_datagram_frame_size", *tp.max_datagram_frame_size);
    // Multipath extension field (draft-ietf-quic-multipath §2.1), same naming style.
    if (tp.initial_max_path_id) d.num("initial_max_path_id", *tp.initial_max_path_id);
  }
  finish();
}

void QlogWriter::connection_started(TimePoint t, const SocketAddress& local, const SocketAddress& remote,
                                    const ConnectionId& scid, const ConnectionId& dcid) {
  if (!enabled()) return;
  {
    JsonObject d(begin(t, "quic:connection_started"));
    endpoint_info(d.child("local"), local, &scid);
    endpoint_info(d.child("remote"), remote, &dcid);
  }
  finish();
}

void QlogWriter::connection_state_updated(TimePoint t, std::string_view new_state) {
  if (!enabled()) return;
  {
    JsonObject d(begin(t, "quic:connection_state_updated"));
    if (!connection_state_.empty()) d.str("old", connection_state_);
    d.str("new", new_state);
  }
  finish();
  connection_state_.assign(new_state);
}

void QlogWriter::connection_closed(TimePoint t, std::string_view owner, uint64_t code, bool application,
                                   std::string_view reason, std::string_view trigger) {
  if (!enabled()) return;
  {
    JsonObject d(begin(t, "quic:connection_closed"));
    d.str("initiator", owner);
    if (application) {
      d.str("application_error", "unknown").num("error_code", code);
    } else {
      const std::string name = transport_error_name(code);
      d.str("connection_error", name);
      if (name == "unknown") d.num("error_code", code);
    }
    if (!reason.empty()) d.str("reason", reason);
    if (!trigger.empty()) d.str("trigger", trigger);
  }
  finish();
}

void QlogWriter::key_updated(TimePoint t, std::string_view key_type, uint64_t key_phase, std::string_view trigger) {
  if (!enabled()) return;
  {
    JsonObject d(begin(t, "quic:key_updated"));
    d.str("key_type", key_type).num("key_phase", key_phase);
    if (!trigger.empty()) d.str("trigger", trigger);
  }
  finish();
}

void QlogWriter::stream_state_updated(TimePoint t, uint64_t stream_id, std::string_view stream_side,
                                      std::string_view new_state, std::string_view old_state,
                                      std::string_view trigger) {
  if (!enabled()) return;
  {
    JsonObject d(begin(t, "quic:stream_state_updated"));
    d.num("stream_id", stream_id);
    d.str("stream_type", (stream_id & 0x2) ? "unidirectional" : "bidirectional");
    if (!old_state.empty()) d.str("old", old_state);
    d.str("new", new_state).str("stream_side", stream_side);
    if (!trigger.empty()) d.str("trigger", trigger);
  }
  finish();
}

void QlogWriter::path_event(TimePoint t, uint32_t path_id, std::string_view event, const PathTuple* tuple) {
  if (!enabled()) return;
  PathState& p = path_state(path_id);
  if (tuple) {
    {
      JsonObject d(begin(t, "quic:tuple_assigned"));
      d.str("tuple_id", fmt::format("{}", path_id)).num("path_id", path_id);
      endpoint_info(d.child("tuple_remote"), tuple->remote, nullptr);
      endpoint_info(d.child("tuple_local"), tuple->local, nullptr);
    }
    finish();
    p.has_tuple = true;
  } else if (p.has_tuple && is_terminal_path_event(event)) {
    // The draft's way to say a tuple is gone: tuple_assigned without endpoints.
    {
      JsonObject d(begin(t, "quic:tuple_assigned"));
      d.str("tuple_id", fmt::format("{}", path_id)).num("path_id", path_id);
    }
    finish();
    p.has_tuple = false;
  }
  {
    JsonObject d(begin(t, "braid:path_state_updated"));
    d.num("path_id", path_id);
    if (!p.state.empty()) d.str("old", p.state);
    d.str("new", event);
  }
  finish();
  p.state.assign(event);
}

void QlogWriter::udp_event(TimePoint t, std::string_view name, std::optional<uint32_t> path_id, uint64_t count,
                           uint64_t total_bytes) {
  {
    JsonObject d(begin(t, name));
    if (path_id) d.num("path_id", *path_id);
    d.num("count", count);
    if (count == 1) {
      std::string& s = d.child("raw");
      s += '[';
      {
        JsonObject raw(s);
        raw.num("length", total_bytes);
      }
      s += ']';
    } else {
      // raw is one RawInfo per datagram; a batch only has its sum (braid extension field).
      d.num("total_length", total_bytes);
    }
  }
  finish();
}

void QlogWriter::datagrams_sent(TimePoint t, std::optional<uint32_t> path_id, uint64_t count, uint64_t total_bytes) {
  if (!enabled()) return;
  udp_event(t, "quic:udp_datagrams_sent", path_id, count, total_bytes);
}

void QlogWriter::datagrams_received(TimePoint t, std::optional<uint32_t> path_id, uint64_t count,
                                    uint64_t total_bytes) {
  if (!enabled()) return;
  udp_event(t, "quic:udp_datagrams_received", path_id, count, total_bytes);
}

void QlogWriter::generic(TimePoint t, std::string_view name, const nlohmann::json& data) {
  if (!enabled()) return;
  begin(t, name);
  // Replace invalid UTF-8 instead of throwing: no exceptions leave the core.
  buf_ += data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  finish();
}

}  // namespace braid::qlog

// Rendering of wire::Frame values to qlog frame objects; one overload per frame struct so
// a new frame type fails to compile here until it is given a qlog form.
#include "core/qlog/qlog_frames.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>

#include "core/qlog/json_out.h"
#include "core/wire/frame_codec.h"

namespace braid::qlog {
namespace {

using namespace wire;

std::string_view stream_type(bool bidi) { return bidi ? "bidirectional" : "unidirectional"; }

void raw_length(JsonObject& o, uint64_t length) {
  JsonObject raw(o.child("raw"));
  raw.num("length", length).num("payload_length", length);
}

void app_error(JsonObject& o, uint64_t code) { o.str("error", "unknown").num("error_code", code); }

struct FrameWriter {
  std::string& out;
  uint64_t ack_delay_exponent;

  void operator()(const PaddingFrame& f) {
    JsonObject o(out);
    o.str("frame_type", "padding");
    raw_length(o, f.length);
  }
  void operator()(const PingFrame&) { JsonObject(out).str("frame_type", "ping"); }
  void operator()(const AckFrame& f) {
    JsonObject o(out);
    o.str("frame_type", f.path_id ? "path_ack" : "ack");
    if (f.path_id) o.num("path_id", *f.path_id);
    const double delay_us =
        std::ldexp(static_cast<double>(f.ack_delay), static_cast<int>(std::min<uint64_t>(ack_delay_exponent, 20)));
    o.real("ack_delay", delay_us / 1000.0);
    std::string& s = o.child("acked_ranges");
    s += '[';
    for (size_t i = 0; i < f.ranges.size(); ++i) {
      if (i) s += ',';
      const AckRange& r = f.ranges[i];
      if (r.smallest == r.largest) {
        fmt::format_to(std::back_inserter(s), "[{}]", r.smallest);
      } else {
        fmt::format_to(std::back_inserter(s), "[{},{}]", r.smallest, r.largest);
      }
    }
    s += ']';
    if (f.ecn) o.num("ect1", f.ecn->ect1).num("ect0", f.ecn->ect0).num("ce", f.ecn->ce);
  }
  void operator()(const ResetStreamFrame& f) {
    JsonObject o(out);
    o.str("frame_type", "reset_stream").num("stream_id", f.stream_id);
    app_error(o, f.error_code);
    o.num("final_size", f.final_size);
  }
  void operator()(const StopSendingFrame& f) {
    JsonObject o(out);
    o.str("frame_type", "stop_sending").num("stream_id", f.stream_id);
    app_error(o, f.error_code);
  }
  void operator()(const CryptoFrame& f) {
    JsonObject o(out);
    o.str("frame_type", "crypto").num("offset", f.offset);
    raw_length(o, f.data.size());
  }
  void operator()(const NewTokenFrame& f) {
    JsonObject o(out);
    o.str("frame_type", "new_token");
    JsonObject token(o.child("token"));
    JsonObject raw(token.child("raw"));
    raw.num("length", f.token.size());
  }
  void operator()(const StreamFrame& f) {
    JsonObject o(out);
    o.str("frame_type", "stream").num("stream_id", f.stream_id).num("offset", f.offset);
    if (f.fin) o.boolean("fin", true);
    raw_length(o, f.data.size());
  }
  void operator()(const MaxDataFrame& f) { JsonObject(out).str("frame_type", "max_data").num("maximum", f.maximum); }
  void operator()(const MaxStreamDataFrame& f) {
    JsonObject(out).str("frame_type", "max_stream_data").num("stream_id", f.stream_id).num("maximum", f.maximum);
  }
  void operator()(const MaxStreamsFrame& f) {
    JsonObject(out).str("frame_type", "max_streams").str("stream_type", stream_type(f.bidi)).num("maximum", f.maximum);
  }
  void operator()(const DataBlockedFrame& f) { JsonObject(out).str("frame_type", "data_blocked").num("limit", f.limit); }
  void operator()(const StreamDataBlockedFrame& f) {
    JsonObject(out).str("frame_type", "stream_data_blocked").num("stream_id", f.stream_id).num("limit", f.limit);
  }
  void operator()(const StreamsBlockedFrame& f) {
    JsonObject(out).str("frame_type", "streams_blocked").str("stream_type", stream_type(f.bidi)).num("limit", f.limit);
  }
  void operator()(const NewConnectionIdFrame& f) {
    JsonObject o(out);
    o.str("frame_type", f.path_id ? "path_new_connection_id" : "new_connection_id");
    if (f.path_id) o.num("path_id", *f.path_id);
    o.num("sequence_number", f.sequence).num("retire_prior_to", f.retire_prior_to);
    o.num("connection_id_length", f.cid.size()).hex("connection_id", f.cid.span());
    o.hex("stateless_reset_token", f.reset_token);
  }
  void operator()(const RetireConnectionIdFrame& f) {
    JsonObject o(out);
    o.str("frame_type", f.path_id ? "path_retire_connection_id" : "retire_connection_id");
    if (f.path_id) o.num("path_id", *f.path_id);
    o.num("sequence_number", f.sequence);
  }
  void operator()(const PathChallengeFrame& f) { JsonObject(out).str("frame_type", "path_challenge").hex("data", f.data); }
  void operator()(const PathResponseFrame& f) { JsonObject(out).str("frame_type", "path_response").hex("data", f.data); }
  void operator()(const ConnectionCloseFrame& f) {
    JsonObject o(out);
    o.str("frame_type", "connection_close").str("error_space", f.application ? "application" : "transport");
    const std::string error = f.application ? std::string("unknown") : transport_error_name(f.error_code);
    o.str("error", error);
    if (error == "unknown") o.num("error_code", f.error_code);
    if (is_valid_utf8(f.reason)) {
      o.str("reason", {reinterpret_cast<const char*>(f.reason.data()), f.reason.size()});
    } else {
      o.hex("reason_bytes", f.reason);
    }
    if (!f.application) o.num("trigger_frame_type", f.frame_type);
  }
  void operator()(const HandshakeDoneFrame&) { JsonObject(out).str("frame_type", "handshake_done"); }
  void operator()(const DatagramFrame& f) {
    JsonObject o(out);
    o.str("frame_type", "datagram");
    raw_length(o, f.data.size());
  }
  void operator()(const PathAbandonFrame& f) {
    JsonObject(out).str("frame_type", "path_abandon").num("path_id", f.path_id).num("error_code", f.error_code);
  }
  void operator()(const PathStatusFrame& f) {
    JsonObject(out)
        .str("frame_type", f.available ? "path_status_available" : "path_status_backup")
        .num("path_id", f.path_id)
        .num("path_status_sequence_number", f.sequence);
  }
  void operator()(const MaxPathIdFrame& f) { JsonObject(out).str("frame_type", "max_path_id").num("maximum_path_id", f.maximum); }
  void operator()(const PathsBlockedFrame& f) {
    JsonObject(out).str("frame_type", "paths_blocked").num("maximum_path_id", f.maximum);
  }
  void operator()(const PathCidsBlockedFrame& f) {
    JsonObject(out).str("frame_type", "path_cids_blocked").num("path_id", f.path_id).num("next_sequence_number", f.next_sequence);
  }
  void operator()(const AdvertiseAddressFrame& f) {
    // Not a qlog-registered frame: logged as unknown with braid's own fields beside it.
    JsonObject(out)
        .str("frame_type", "unknown")
        .num("frame_type_bytes", uint64_t(FrameType::kAdvertiseAddress))
        .str("braid_frame", "advertise_address")
        .num("sequence_number", f.sequence)
        .str("address", f.address.to_string());
  }
  void operator()(const AckFrequencyFrame& f) {
    // The qlog drafts register these in their ack-frequency extension schema.
    JsonObject(out)
        .str("frame_type", "ack_frequency")
        .num("sequence_number", f.sequence)
        .num("ack_eliciting_threshold", f.ack_eliciting_threshold)
        .real("request_max_ack_delay", static_cast<double>(f.requested_max_ack_delay_us) / 1000.0)
        .num("reordering_threshold", f.reordering_threshold);
  }
  void operator()(const ImmediateAckFrame&) { JsonObject(out).str("frame_type", "immediate_ack"); }
};

}  // namespace

std::string transport_error_name(uint64_t code) {
  static constexpr std::string_view kNames[] = {
      "no_error",           "internal_error",         "connection_refused",   "flow_control_error",
      "stream_limit_error", "stream_state_error",     "final_size_error",     "frame_encoding_error",
      "transport_parameter_error", "connection_id_limit_error", "protocol_violation", "invalid_token",
      "application_error",  "crypto_buffer_exceeded", "key_update_error",     "aead_limit_reached",
      "no_viable_path"};
  if (code < std::size(kNames)) return std::string(kNames[code]);
  if (code >= 0x100 && code <= 0x1ff) return fmt::format("crypto_error_0x{:03x}", code);
  return "unknown";
}

void append_frame(std::string& out, const wire::Frame& frame, uint64_t ack_delay_exponent) {
  std::visit(FrameWriter{out, ack_delay_exponent}, frame);
}

nlohmann::json frame_to_json(const wire::Frame& frame, uint64_t ack_delay_exponent) {
  std::string s;
  append_frame(s, frame, ack_delay_exponent);
  return nlohmann::json::parse(s);
}

PlaintextFrames::PlaintextFrames(std::span<const uint8_t> payload) : bytes(payload.begin(), payload.end()) {
  wire::Reader r(bytes);
  while (!r.empty()) {
    auto f = wire::decode_frame(r);
    if (!f) break;
    frames.push_back(std::move(*f));
  }
}

}  // namespace braid::qlog

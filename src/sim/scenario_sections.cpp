// The scenario sections read from their own table alone: [transport], a client's workload,
// [[triggers]] and [expect] (scenario_keys.h).
#include <algorithm>

#include "braid/config.h"
#include "sim/scenario_keys.h"
#include "sim/topology.h"
#include "transfer/mode_detector.h"
#include "transfer/transfer_wire.h"

namespace braid::sim::scenario_keys {

TransportSpec read_transport(const toml::table& t, const std::string& path) {
  TransportSpec tr;
  KeyReader r(t, path);
  if (auto cc = r.string("congestion_controller")) {
    if (auto ok = check_congestion_controller(*cc); !ok) fail(fmt::format("{}.congestion_controller: {}", path, ok.error()));
    tr.congestion_controller = *cc;
  }
  if (auto m = r.boolean("multipath")) tr.multipath = *m;
  if (auto s = r.string("scheduler")) {
    auto spec = parse_scheduler_spec(*s);
    if (!spec) fail(fmt::format("{}.scheduler: {}", path, spec.error()));
    tr.scheduler = std::move(*spec);
  }
  if (auto d = r.string("duplicate")) {
    if (auto ok = parse_duplication_policy(*d); !ok) fail(fmt::format("{}.duplicate: {}", path, ok.error()));
    tr.duplicate = *d;
  }
  if (auto d = r.string("reinject")) {
    if (auto ok = parse_reinjection_policy(*d); !ok) fail(fmt::format("{}.reinject: {}", path, ok.error()));
    tr.reinject = *d;
  }
  if (auto p = r.boolean("pacing")) tr.pacing = *p;
  if (auto a = r.boolean("ack_frequency")) tr.ack_frequency = *a;
  if (auto m = r.integer("ack_frequency_max_threshold", 1, 1000)) tr.ack_frequency_max_threshold = *m;
  if (auto d = r.string("failure_detector")) {
    FailureDetectionConfig probe;
    if (auto ok = set_failure_detector(probe, *d); !ok) fail(fmt::format("{}.failure_detector: {}", path, ok.error()));
    tr.failure_detector = *d;
  }
  if (auto d = r.seconds("path_probe_interval_s")) tr.path_probe_interval = *d;
  if (auto d = r.string("on_failure")) {
    if (auto ok = parse_on_failure(*d); !ok) fail(fmt::format("{}.on_failure: {}", path, ok.error()));
    tr.on_failure = *d;
  }
  if (auto d = r.seconds("abandon_failed_after_s")) tr.abandon_failed_after = *d;
  if (auto d = r.seconds("idle_timeout_s")) tr.idle_timeout = *d;
  if (auto m = r.integer("max_udp_payload_bytes", 1200, 65527)) tr.max_udp_payload_bytes = *m;
  if (const toml::array* a = r.array("advertise")) {
    for (size_t i = 0; i < a->size(); ++i) {
      auto text = a->get(i)->value<std::string>();
      auto addr = text ? SocketAddress::parse(*text) : std::nullopt;
      if (!addr || !is_advertisable(*addr) || *addr == Topology::default_server_address()) {
        fail(fmt::format("{}.advertise[{}]: expected \"ADDR:PORT\" of a further server address", path, i));
      }
      tr.advertise.push_back(*addr);
    }
    if (tr.advertise.size() > kMaxAdvertisedAddresses) {
      fail(fmt::format("{}.advertise: at most {} addresses", path, kMaxAdvertisedAddresses));
    }
  }
  if (auto u = r.boolean("use_advertised")) tr.use_advertised = *u;
  r.reject_unknown();
  return tr;
}


Trigger read_trigger(const toml::table& t, const std::string& path) {
  KeyReader r(t, path);
  r.require("kind");
  r.require("at_s");
  Trigger g;
  std::string kind = *r.string("kind");
  if (kind != "outage_busiest") fail(fmt::format("{}.kind: unknown trigger '{}' (outage_busiest)", path, kind));
  g.at = *r.seconds("at_s");
  g.until = r.seconds("until_s");
  if (g.until && *g.until <= g.at) fail(fmt::format("{}.until_s: must be after at_s", path));
  r.reject_unknown();
  return g;
}


constexpr uint64_t kMaxDatagramMessage = 1200;

// `direction`: "downstream" (server to client) or "upstream"; "down" and "up" also read.
std::optional<bool> direction(KeyReader& r, const std::string& path) {
  auto d = r.string("direction");
  if (!d) return std::nullopt;
  if (*d == "down" || *d == "downstream") return true;
  if (*d == "up" || *d == "upstream") return false;
  fail(fmt::format("{}.direction: '{}' is not 'downstream' or 'upstream' ('down', 'up')", path, *d));
}

namespace {

// `count` events at `rate_per_s`, both required (request_response, datagram_flow, messages).
void read_count_and_rate(KeyReader& r, WorkloadSpec& w) {
  r.require("count");
  r.require("rate_per_s");
  w.count = static_cast<uint32_t>(*r.integer("count", 1, 10'000'000));
  w.rate_per_s = *r.number("rate_per_s", 1e-3, 1e6);
}

}  // namespace

WorkloadSpec read_workload(const toml::table& t, const std::string& path) {
  WorkloadSpec w;
  KeyReader r(t, path);
  r.require("kind");
  std::string kind = *r.string("kind");
  if (auto d = r.seconds("start_s")) w.start = *d;
  if (kind == "bulk_download" || kind == "bulk_upload") {
    w.kind = kind == "bulk_download" ? WorkloadKind::kBulkDownload : WorkloadKind::kBulkUpload;
    r.require("bytes");
    w.bytes = *r.integer("bytes", 1, uint64_t(1) << 40);
    w.streams = static_cast<uint32_t>(r.integer("streams", 1, 100).value_or(1));
  } else if (kind == "request_response") {
    w.kind = WorkloadKind::kRequestResponse;
    read_count_and_rate(r, w);
    w.request_bytes = r.integer("request_bytes", 1, 1 << 24).value_or(100);
    w.response_bytes = r.integer("response_bytes", 1, 1 << 26).value_or(1000);
  } else if (kind == "datagram_flow") {
    w.kind = WorkloadKind::kDatagramFlow;
    read_count_and_rate(r, w);
    w.datagram_bytes = r.integer("datagram_bytes", 16, 1200).value_or(1000);
    w.downstream = direction(r, path).value_or(true);
    if (auto d = r.seconds("drain_s")) w.drain = *d;
  } else if (kind == "messages") {
    w.kind = WorkloadKind::kMessages;
    read_count_and_rate(r, w);
    w.downstream = direction(r, path).value_or(true);
    if (auto t = r.string("transport")) {
      if (*t == "stream") w.transport = MessageTransport::kStream;
      else if (*t == "datagram") w.transport = MessageTransport::kDatagram;
      else fail(fmt::format("{}.transport: '{}' is not 'stream' or 'datagram'", path, *t));
    }
    // 16 bytes of header (workload, sequence number, send time) then the checked pattern.
    w.message_bytes = r.integer("message_bytes", 16, 1 << 24).value_or(1000);
    if (w.transport == MessageTransport::kDatagram && w.message_bytes > kMaxDatagramMessage) {
      fail(fmt::format("{}.message_bytes: {} does not fit one datagram (at most {} with transport = \"datagram\")",
                       path, w.message_bytes, kMaxDatagramMessage));
    }
    if (auto d = r.seconds("drain_s")) w.drain = *d;
  } else if (kind == "transfer") {
    w.kind = WorkloadKind::kTransfer;
    r.require("bytes");
    w.bytes = *r.integer("bytes", 0, uint64_t(1) << 40);
    if (auto m = r.string("mode")) {
      if (*m != "auto" && !transfer::parse_mode(*m)) {
        fail(fmt::format("{}.mode: '{}' is not auto, datacenter, hybrid or internet", path, *m));
      }
      w.transfer_mode = *m;
    }
    if (auto d = r.seconds("check_interval_s")) {
      if (*d < std::chrono::milliseconds(100)) fail(fmt::format("{}.check_interval_s: at least 0.1", path));
      w.transfer_check_interval = *d;
    }
    w.transfer_streams = static_cast<uint32_t>(r.integer("streams", 0, 256).value_or(0));
    w.transfer_chunk = r.integer("chunk_bytes", 0, transfer::kMaxChunkLength).value_or(0);
    w.kill_at = r.number("kill_at", 0, 1).value_or(0);
    if (auto d = r.string("dir")) w.transfer_dir = *d;
    w.transfer_id = r.integer("transfer_id", 0, uint64_t(1) << 62).value_or(1);
  } else {
    fail(fmt::format(
        "{}.kind: unknown workload '{}' (bulk_download, bulk_upload, request_response, datagram_flow, messages, "
        "transfer)",
        path, kind));
  }
  r.reject_unknown();
  return w;
}

Expectations read_expectations(const toml::table& t, const std::string& path) {
  Expectations e;
  KeyReader r(t, path);
  e.must_complete = r.boolean("must_complete").value_or(false);
  e.must_not_complete = r.boolean("must_not_complete").value_or(false);
  if (e.must_complete && e.must_not_complete) fail(fmt::format("{}: must_complete and must_not_complete both set", path));
  e.min_goodput_mbps = r.number("min_goodput_mbps", 0, 1e6);
  e.max_goodput_mbps = r.number("max_goodput_mbps", 0, 1e6);
  e.min_total_goodput_mbps = r.number("min_total_goodput_mbps", 0, 1e6);
  e.max_completion_s = r.number("max_completion_s", 0, 1e6);
  e.max_stall_s = r.number("max_stall_s", 0, 1e6);
  e.min_stall_s = r.number("min_stall_s", 0, 1e6);
  e.min_jain_fairness = r.number("min_jain_fairness", 0, 1);
  e.min_delivery_ratio = r.number("min_delivery_ratio", 0, 1);
  e.max_p99_latency_ms = r.number("max_p99_latency_ms", 0, 1e9);
  e.min_packets_lost = r.integer("min_packets_lost", 0, UINT64_MAX >> 1);
  e.max_health_transitions = r.integer("max_health_transitions", 0, UINT64_MAX >> 1);
  e.must_degrade = r.boolean("must_degrade").value_or(false);
  e.min_failed_paths = r.integer("min_failed_paths", 0, 1024);
  e.max_detection_s = r.number("max_detection_s", 0, 1e6);
  e.max_recovery_s = r.number("max_recovery_s", 0, 1e6);
  e.min_path_stream_bytes = r.integer("min_path_stream_bytes", 0, UINT64_MAX >> 1);
  r.reject_unknown();
  return e;
}

}  // namespace braid::sim::scenario_keys

// `braid send FILE quic://HOST:PORT`: the adaptive bulk transfer (docs/transfer.md) of a
// file, or of stdin with FILE "-", to `braid receive` / `braid server --accept-uploads`,
// over every path (--path, --auto-paths), with the progress bar and per-path lines of
// `braid client`, resume of an interrupted transfer, and --json for scripts.
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <filesystem>
#include <memory>

#include "io/crypto_random.h"
#include "io/monotonic_clock.h"
#include "tools/braid/client_runner.h"
#include "tools/braid/detection_flags.h"
#include "tools/braid/hq_client.h"
#include "tools/braid/local_path_flags.h"
#include "tools/braid/metrics_flag.h"
#include "tools/braid/progress.h"
#include "tools/braid/subcommand.h"
#include "tools/braid/tool_support.h"
#include "tools/braid/units.h"
#include "transfer/transfer_sender.h"

namespace braid::tool {
namespace {

struct SendFlags {
  std::string file, url, name, mode = "auto", chunk, cc, transfer_id, check_interval = "5s";
  std::string ca, qlog_dir, keylog, timeout = "10s", scheduler, metrics;
  std::vector<std::string> paths;
  uint32_t streams = 0;
  DetectionFlags detection;
  bool insecure = false, json = false, no_progress = false;
  LocalPathFlags local_paths;
};

// The sender as `run_client`'s application.
class SendApp final : public ClientApp {
 public:
  explicit SendApp(transfer::TransferSender& s) : s_(s) {}
  void on_handshake(Connection& c, TimePoint now) override { pump(c, now); }
  void on_event(Connection& c, const ConnectionEvent& ev) override {
    if (auto te = transfer::QuicTransport::translate(ev)) {
      transfer::QuicTransport t(c);
      s_.on_event(io::monotonic_now(), t, *te);
    }
  }
  void on_service(Connection& c) override { pump(c, io::monotonic_now()); }
  void on_tick(Connection& c, TimePoint now) override { pump(c, now); }
  bool done() const override { return s_.done(); }
  std::optional<std::string> failure() const override {
    if (s_.failed()) return s_.error()->describe();
    return std::nullopt;
  }
  uint64_t progress_bytes() const override { return s_.confirmed_bytes(); }

 private:
  void pump(Connection& c, TimePoint now) {
    if (!c.is_handshake_complete()) return;
    transfer::QuicTransport t(c);
    s_.pump(now, t);
  }
  transfer::TransferSender& s_;
};

// Same file, same size, same modification time: the same transfer (a rerun resumes it).
transfer::TransferId default_id(const std::string& name, const struct stat& st) {
  std::string key = fmt::format("{}\n{}\n{}.{}", name, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  auto d = transfer::Sha256::of(std::span(reinterpret_cast<const uint8_t*>(key.data()), key.size()));
  transfer::TransferId id;
  std::copy_n(d.begin(), id.size(), id.begin());
  return id;
}

std::optional<transfer::TransferId> parse_id(const std::string& hex) {
  if (hex.size() != 32) return std::nullopt;
  transfer::TransferId id;
  for (size_t i = 0; i < 16; ++i) {
    auto v = std::stoul(hex.substr(2 * i, 2), nullptr, 16);
    id[i] = static_cast<uint8_t>(v);
  }
  if (transfer::to_hex(id) != hex) return std::nullopt;
  return id;
}

nlohmann::json report_json(const ClientReport& rep, const transfer::TransferSender& s, const std::string& name,
                           const transfer::TransferId& id) {
  auto m = s.metrics(rep.end);
  nlohmann::json j;
  j["ok"] = rep.ok;
  if (!rep.ok) j["error"] = rep.error;
  j["name"] = name;
  j["transfer_id"] = transfer::to_hex(id);
  j["bytes"] = m.total_bytes;
  j["confirmed_bytes"] = m.confirmed_bytes;
  j["resumed_bytes"] = m.resumed_bytes;
  j["bytes_sent"] = m.bytes_sent;
  j["streams_total"] = m.total_streams;
  j["chunks"] = m.chunks_confirmed;
  j["chunk_bytes"] = m.chunk_size;
  j["mode"] = transfer::to_string(m.mode);
  j["mode_switches"] = m.mode_switches;
  j["congestion_controller"] = m.congestion_controller;
  j["streams"] = m.streams_target;
  j["goodput_mbps"] = m.throughput_bits_per_second / 1e6;
  j["average_chunk_latency_ms"] = to_ms(m.average_latency);
  j["loss_rate"] = m.loss_rate;
  if (s.done()) j["sha256"] = transfer::to_hex(s.digest());
  if (rep.handshake_done != TimePoint{}) j["handshake_ms"] = to_ms(rep.handshake_done - rep.start);
  j["total_s"] = std::chrono::duration<double>(rep.end - rep.start).count();
  j["connection"] = stats_json(rep.stats);
  j["paths"] = j["connection"]["paths"];
  j["connection"].erase("paths");
  j["longest_stall_ms"] = to_ms(rep.longest_stall);
  j["path_events"] = nlohmann::json::array();
  for (const auto& e : rep.path_events) j["path_events"].push_back(path_event_json(e));
  if (!rep.path_warnings.empty()) j["path_warnings"] = rep.path_warnings;
  return j;
}

void run(const SendFlags& f) {
  auto die = [](const std::string& m, int code = 1) { fail_command("send", m, code); };
  auto url = parse_url(f.url);
  if (!url) die(url.error(), 2);
  transfer::SenderOptions so;
  if (f.mode != "auto") {
    so.mode.forced = transfer::parse_mode(f.mode);
    if (!so.mode.forced) die(fmt::format("--mode {}: expected auto, datacenter, hybrid or internet", f.mode), 2);
  }
  auto interval = parse_duration(f.check_interval);
  if (!interval || *interval < std::chrono::milliseconds(100)) die("--check-interval: a duration of at least 100ms", 2);
  so.mode.check_interval = *interval;
  if (f.streams) so.streams = f.streams;
  if (!f.chunk.empty()) {
    auto c = parse_size(f.chunk);
    if (!c || *c < 1024 || *c > transfer::kMaxChunkLength) die("--chunk: a size from 1K to 16M", 2);
    so.chunk = *c;
  }
  if (!f.cc.empty()) {
    check_cc_flag("send", f.cc);
    so.congestion_controller = f.cc;
  }
  std::unique_ptr<transfer::Source> source;
  std::optional<transfer::TransferId> id;
  if (!f.transfer_id.empty()) {
    id = parse_id(f.transfer_id);
    if (!id) die("--transfer-id: 32 hex digits", 2);
  }
  std::string name = f.name;
  if (f.file == "-") {
    source = transfer::fd_stream_source(0);
    if (name.empty()) die("--name is needed when sending stdin", 2);
    if (!id) {
      id.emplace();
      io::CryptoRandom rng;
      rng.fill(*id);
    }
  } else {
    auto s = transfer::file_source(f.file);
    if (!s) die(s.error().describe(), 2);
    source = std::move(*s);
    if (name.empty()) name = std::filesystem::path(f.file).filename().string();
    struct stat st{};
    ::stat(f.file.c_str(), &st);
    if (!id) id = default_id(name, st);
  }
  if (!transfer::valid_file_name(name)) die(fmt::format("'{}' is not a name a receiver accepts (--name)", name), 2);
  so.id = *id;
  so.name = name;
  uint64_t total = source->size().value_or(0);
  transfer::TransferSender sender(so, std::move(source));

  auto timeout = parse_duration(f.timeout);
  if (!timeout) die("--timeout: " + timeout.error(), 2);
  ClientOptions o;
  auto remote = resolve_host(url->host, url->port);
  if (!remote) die(fmt::format("cannot resolve host '{}'", url->host));
  o.remote = *remote;
  o.server_name = url->host.front() == '[' ? url->host.substr(1, url->host.size() - 2) : url->host;
  o.alpn = {transfer::kTransferAlpn};
  o.insecure = f.insecure;
  o.ca_file = f.ca;
  o.qlog_dir = qlog_directory(f.qlog_dir);
  o.keylog_file = f.keylog;
  o.timeout = *timeout;
  o.progress = !f.no_progress && ProgressBar::stderr_is_terminal();
  o.progress_label = "upload";
  o.progress_total = total;
  o.path_lines = true;
  if (!f.scheduler.empty()) o.scheduler = scheduler_flag("send", f.scheduler);
  o.failure_detection = detection_config("send", f.detection);
  for (const auto& spec : f.paths) {
    auto p = parse_path_spec(spec, o.remote);
    if (!p) die("--path " + spec + ": " + p.error(), 2);
    o.extra_paths.push_back(*p);
  }
  apply_local_path_flags(f.local_paths, o, "send");
  auto exporter = start_metrics_flag("send", f.metrics);
  ConnectionMetrics metrics("client", exporter.get());
  if (metrics.enabled()) {
    o.metrics = &metrics;
    metrics.set_extra([&sender] {
      auto m = sender.metrics(io::monotonic_now());
      metrics::TransferMetricsValues v;
      v.role = "client";
      v.bytes_total = m.total_bytes;
      v.bytes_done = m.confirmed_bytes;
      v.active_streams = m.active_streams;
      v.total_streams = m.total_streams;
      v.mode = transfer::to_string(m.mode);
      v.modes = {"datacenter", "hybrid", "internet"};
      v.throughput_bytes_per_second = m.throughput_bits_per_second / 8;
      v.chunks_ok_total = m.chunks_confirmed;
      return metrics::transfer_families(v);
    });
  }
  SendApp app(sender);
  ClientReport rep = run_client(o, app);
  if (f.json) {
    fmt::print("{}\n", report_json(rep, sender, name, *id).dump(2));
    std::fflush(stdout);
  }
  for (const auto& w : rep.path_warnings) fmt::print(stderr, "braid send: warning: {}\n", w);
  if (!rep.ok) {
    auto m = sender.metrics(rep.end);
    if (m.confirmed_bytes > 0 && !sender.done()) {
      fmt::print(stderr, "braid send: {} of {} confirmed; run the same command again to resume (transfer {})\n",
                 format_bytes(m.confirmed_bytes), format_bytes(m.total_bytes), transfer::to_hex(*id));
    }
    die(rep.error);
  }
  auto m = sender.metrics(rep.end);
  std::FILE* out = f.json ? stderr : stdout;
  double secs = std::chrono::duration<double>(rep.end - rep.handshake_done).count();
  fmt::print(out, "sent {} as {} in {:.3f} s: {:.1f} Mbit/s ({} resumed, {} chunks on {} streams, mode {}, {})\n",
             format_bytes(m.total_bytes), name, secs, m.throughput_bits_per_second / 1e6, format_bytes(m.resumed_bytes),
             m.chunks_confirmed, m.total_streams, transfer::to_string(m.mode), m.congestion_controller);
  for (const auto& p : rep.stats.paths) {
    fmt::print(out, "path {} {} -> {} ({}, {}): {} of stream data, smoothed RTT {:.3f} ms, {} lost of {} sent\n", p.path_id,
               p.tuple.local.to_string(), p.tuple.remote.to_string(), path_state_name(p.state), path_health_name(p.health),
               format_bytes(p.stream_bytes_sent), to_ms(p.smoothed_rtt), p.packets_lost, p.packets_sent);
  }
  for (const auto& line : auto_path_lines(rep)) fmt::print(out, "{}\n", line);
  fmt::print(out, "{}  {}\n", transfer::to_hex(sender.digest()), name);
}

void setup_send(CLI::App& app) {
  auto f = std::make_shared<SendFlags>();
  auto* cmd = app.add_subcommand("send", "send a file (or stdin) with the adaptive bulk transfer, over every path");
  cmd->add_option("file", f->file, "the file to send, or - for stdin (then --name)")->required();
  cmd->add_option("url", f->url, "quic://HOST:PORT of braid receive or braid server --accept-uploads")->required();
  cmd->add_option("--name", f->name, "the file name at the receiver (default: FILE's name)");
  cmd->add_option("--mode", f->mode, "auto, or a fixed mode: datacenter, hybrid, internet")->capture_default_str();
  cmd->add_option("--streams", f->streams, "parallel chunk streams (default: the mode's profile)");
  cmd->add_option("--chunk", f->chunk, "fixed chunk size, e.g. 1M (default: tuned within the profile's range)");
  cmd->add_option("--cc", f->cc, "fixed congestion controller (" + cc_names_text() + "; default: the profile's)");
  cmd->add_option("--check-interval", f->check_interval, "how often the mode is decided")->capture_default_str();
  cmd->add_option("--transfer-id", f->transfer_id,
                  "32 hex digits naming the transfer (default: from the name, size and mtime; resume needs the same)");
  cmd->add_option("--path", f->paths,
                  "extra path LOCAL[=REMOTE] (repeatable): from local ADDR[:PORT], to REMOTE (default: the server)");
  add_local_path_flags(cmd, f->local_paths);
  cmd->add_flag("-k,--insecure", f->insecure, "do not verify the server certificate");
  cmd->add_option("--ca", f->ca, "trust this CA / self-signed certificate (PEM)");
  cmd->add_option("--qlog-dir", f->qlog_dir, "write <odcid>_client.sqlog here (also $QLOGDIR)");
  cmd->add_option("--keylog", f->keylog, "append NSS key-log lines (TLS secrets!) to this file");
  cmd->add_option("--timeout", f->timeout, "give up without a handshake or progress for this long")->capture_default_str();
  cmd->add_option("--scheduler", f->scheduler, "multipath scheduler NAME[:k=v,...] (default minrtt)");
  add_detection_flags(cmd, f->detection);
  cmd->add_flag("--json", f->json, "print a JSON report on stdout (the summary goes to stderr)");
  cmd->add_flag("--no-progress", f->no_progress, "never draw the progress bar");
  add_metrics_flag(cmd, f->metrics);
  cmd->callback([f] { run(*f); });
}

}  // namespace

BRAID_SUBCOMMAND(send, "send", setup_send);

}  // namespace braid::tool

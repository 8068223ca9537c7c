// `braid perf`: goodput benchmark over the QUIC perf protocol (draft-banks-quic-performance,
// ALPN "perf"): each stream starts with the 8-byte big-endian number of bytes the server
// should return, followed by the upload and FIN.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <memory>

#include "tools/braid/ack_frequency_flag.h"
#include "braid/congestion_controller.h"
#include "io/monotonic_clock.h"
#include "tools/braid/client_runner.h"
#include "tools/braid/detection_flags.h"
#include "tools/braid/file_server.h"
#include "tools/braid/progress.h"
#include "tools/braid/subcommand.h"
#include "tools/braid/tool_support.h"
#include "tools/braid/units.h"

namespace braid::tool {
namespace {

constexpr uint64_t kUnbounded = 1ull << 62;  // "until --duration ends"

class PerfApp final : public ClientApp {
 public:
  PerfApp(uint64_t download, uint64_t upload, size_t streams, std::optional<Duration> duration)
      : download_(download), upload_(upload), duration_(duration), streams_(streams) {
    zeros_.assign(256 * 1024, 0);
    buf_.resize(256 * 1024);
  }

  void on_handshake(Connection& c, TimePoint now) override {
    start_ = now;
    for (size_t i = 0; i < streams_.size(); ++i) {
      auto id = c.open_stream(true);
      if (!id) {
        failure_ = "cannot open stream: " + describe_error(id.error());
        return;
      }
      auto& s = streams_[i];
      s.id = *id;
      uint64_t share = duration_ ? kUnbounded : download_ / streams_.size() + (i == 0 ? download_ % streams_.size() : 0);
      s.upload_left = duration_ && upload_ ? kUnbounded : upload_ / streams_.size() + (i == 0 ? upload_ % streams_.size() : 0);
      s.upload_done = s.upload_left == 0;
      uint8_t hdr[8];
      for (int k = 0; k < 8; ++k) hdr[k] = static_cast<uint8_t>(share >> (56 - 8 * k));
      (void)c.stream_write(s.id, hdr, s.upload_left == 0);
      by_id_[s.id] = i;
    }
    on_service(c);
  }

  void on_service(Connection& c) override {
    if (stopped_) return;
    for (auto& s : streams_) {
      while (s.upload_left > 0) {
        size_t chunk = static_cast<size_t>(std::min<uint64_t>(s.upload_left, zeros_.size()));
        bool fin = chunk == s.upload_left;
        auto n = c.stream_write(s.id, std::span<const uint8_t>(zeros_.data(), chunk), fin);
        if (!n || *n == 0) break;
        s.upload_left -= *n;
        uploaded_ += *n;
      }
    }
  }

  void on_event(Connection& c, const ConnectionEvent& ev) override {
    auto it = by_id_.find(ev.stream_id);
    if (it == by_id_.end()) return;
    auto& s = streams_[it->second];
    switch (ev.type) {
      case ConnectionEventType::kStreamReadable:
        for (;;) {
          bool fin = false;
          auto n = c.stream_read(s.id, buf_, fin);
          if (!n) break;
          downloaded_ += *n;
          if (fin) {
            s.download_done = true;
            maybe_end(s);
            break;
          }
          if (*n == 0) break;
        }
        break;
      case ConnectionEventType::kStreamFinished:
        s.upload_done = true;
        maybe_end(s);
        break;
      case ConnectionEventType::kStreamReset:
      case ConnectionEventType::kStreamStopSending:
        if (!stopped_) failure_ = fmt::format("server reset stream {} with error 0x{:x}", s.id, ev.error_code);
        break;
      default:
        break;
    }
  }

  void on_tick(Connection&, TimePoint now) override {
    if (duration_ && start_ != TimePoint{} && now - start_ >= *duration_ && !stopped_) {
      stopped_ = true;
      end_ = now;
    }
  }

  bool done() const override { return stopped_ || (finished_ == streams_.size() && !streams_.empty()); }
  std::optional<std::string> failure() const override { return failure_; }
  uint64_t progress_bytes() const override { return downloaded_ + uploaded_; }
  uint64_t downloaded() const { return downloaded_; }
  uint64_t uploaded() const { return uploaded_; }
  double seconds() const { return std::chrono::duration<double>(end_ - start_).count(); }

 private:
  struct Stream {
    StreamId id = 0;
    uint64_t upload_left = 0;
    bool upload_done = false, download_done = false, counted = false;
  };
  void maybe_end(Stream& s) {
    if (s.counted || !s.upload_done || !s.download_done) return;
    s.counted = true;
    if (++finished_ == streams_.size()) end_ = io::monotonic_now();
  }

  uint64_t download_, upload_;
  std::optional<Duration> duration_;
  std::vector<Stream> streams_;
  std::map<StreamId, size_t> by_id_;
  std::vector<uint8_t> zeros_, buf_;
  uint64_t downloaded_ = 0, uploaded_ = 0;
  size_t finished_ = 0;
  bool stopped_ = false;
  TimePoint start_{}, end_{};
  std::optional<std::string> failure_;
};

struct PerfClientFlags {
  std::string ack_frequency = "on";
  std::string address, download, upload, duration, ca, cc = "cubic", qlog_dir, keylog, timeout = "10s", scheduler;
  size_t streams = 1;
  bool insecure = false, json = false;
  DetectionFlags detection;
};

void run_perf_client(const PerfClientFlags& f) {
  auto die = [](const std::string& m, int code = 1) { fail_command("perf client", m, code); };
  uint64_t down = 0, up = 0;
  if (!f.download.empty()) {
    auto v = parse_size(f.download);
    if (!v) die("--download: " + v.error(), 2);
    down = *v;
  }
  if (!f.upload.empty()) {
    auto v = parse_size(f.upload);
    if (!v) die("--upload: " + v.error(), 2);
    up = *v;
  }
  std::optional<Duration> duration;
  if (!f.duration.empty()) {
    auto d = parse_duration(f.duration);
    if (!d) die("--duration: " + d.error(), 2);
    duration = *d;
    if (f.download.empty() && f.upload.empty()) down = 1;  // duration alone: download
  }
  if (!duration && down == 0 && up == 0) die("give --download SIZE, --upload SIZE or --duration T", 2);
  if (f.streams == 0 || f.streams > 1000) die("--streams must be between 1 and 1000", 2);
  check_cc_flag("perf client", f.cc);
  auto timeout = parse_duration(f.timeout);
  if (!timeout) die("--timeout: " + timeout.error(), 2);

  // ADDR is HOST:PORT, [V6]:PORT or a perf:// / quic:// URL's authority.
  std::string addr = f.address;
  for (std::string_view pre : {"quic://", "https://", "perf://"}) {
    if (addr.starts_with(pre)) addr = addr.substr(pre.size());
  }
  if (auto slash = addr.find('/'); slash != std::string::npos) addr.resize(slash);
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos || (addr.front() == '[' && colon < addr.find(']'))) die("ADDR must be HOST:PORT", 2);
  std::string host = addr.substr(0, colon);
  unsigned port = 0;
  try {
    port = static_cast<unsigned>(std::stoul(addr.substr(colon + 1)));
  } catch (...) {
  }
  if (port == 0 || port > 65535) die(fmt::format("bad port in '{}'", f.address), 2);
  auto remote = resolve_host(host, static_cast<uint16_t>(port));
  if (!remote) die(fmt::format("cannot resolve host '{}'", host));

  ClientOptions o;
  o.remote = *remote;
  o.server_name = host.front() == '[' ? host.substr(1, host.size() - 2) : host;
  o.alpn = {"perf"};
  o.insecure = f.insecure;
  o.ca_file = f.ca;
  o.congestion_controller = f.cc;
  o.ack_frequency = f.ack_frequency == "on";
  if (!f.scheduler.empty()) o.scheduler = scheduler_flag("perf client", f.scheduler);
  o.failure_detection = detection_config("perf client", f.detection);
  o.qlog_dir = qlog_directory(f.qlog_dir);
  o.keylog_file = f.keylog;
  o.timeout = *timeout;
  o.progress = ProgressBar::stderr_is_terminal();
  o.progress_label = "perf";
  o.progress_total = duration ? 0 : down + up;
  PerfApp app(down, up, f.streams, duration);
  ClientReport rep = run_client(o, app);
  double secs = app.seconds();
  uint64_t bytes = app.downloaded() + app.uploaded();
  double mbps = secs > 0 ? bytes * 8 / secs / 1e6 : 0;
  if (f.json) {
    nlohmann::json j;
    j["ok"] = rep.ok;
    if (!rep.ok) j["error"] = rep.error;
    j["remote"] = rep.remote.to_string();
    j["streams"] = f.streams;
    j["downloaded_bytes"] = app.downloaded();
    j["uploaded_bytes"] = app.uploaded();
    j["seconds"] = secs;
    j["goodput_mbps"] = mbps;
    if (rep.handshake_done != TimePoint{}) j["handshake_ms"] = to_ms(rep.handshake_done - rep.start);
    j["connection"] = stats_json(rep.stats);
    j["paths"] = j["connection"]["paths"];
    j["connection"].erase("paths");
    j["socket"] = socket_json(rep.socket);
    fmt::print("{}\n", j.dump(2));
    std::fflush(stdout);
  }
  if (!rep.ok) die(rep.error);
  std::FILE* out = f.json ? stderr : stdout;
  fmt::print(out, "perf: downloaded {}, uploaded {} over {} stream(s) in {:.3f} s: {:.1f} Mbit/s\n",
             format_bytes(app.downloaded()), format_bytes(app.uploaded()), f.streams, secs, mbps);
  for (const auto& p : rep.stats.paths) {
    fmt::print(out, "path {}: smoothed RTT {:.3f} ms, min RTT {:.3f} ms, RTT variance {:.3f} ms, {} lost of {} sent\n",
               p.path_id, to_ms(p.smoothed_rtt), to_ms(p.min_rtt), to_ms(p.rtt_variance), p.packets_lost, p.packets_sent);
  }
}

struct PerfServerFlags {
  std::string ack_frequency = "on";
  std::string listen = "0.0.0.0:4433", cert, key, qlog_dir, keylog, duration, cc = "cubic", scheduler = "minrtt";
  DetectionFlags detection;
};

void setup_perf(CLI::App& app) {
  auto* perf = app.add_subcommand("perf", "QUIC perf protocol benchmark (goodput, RTT per path)");
  perf->require_subcommand(1);

  auto cf = std::make_shared<PerfClientFlags>();
  auto* client = perf->add_subcommand("client", "measure goodput against a perf server");
  client->add_option("address", cf->address, "server HOST:PORT")->required();
  client->add_option("--download", cf->download, "bytes to download in total (e.g. 100M, 1G)");
  client->add_option("--upload", cf->upload, "bytes to upload in total");
  client->add_option("--streams", cf->streams, "parallel streams (sizes are split between them)")->capture_default_str();
  client->add_option("--duration", cf->duration, "transfer for this long instead of a fixed size");
  client->add_flag("-k,--insecure", cf->insecure, "do not verify the server certificate");
  client->add_option("--ca", cf->ca, "trust this CA / self-signed certificate (PEM)");
  client->add_option("--cc", cf->cc, "congestion controller (" + cc_names_text() + ")")->capture_default_str();
  client->add_option("--scheduler", cf->scheduler, "multipath scheduler NAME[:k=v,...] for what the client sends");
  client->add_option("--qlog-dir", cf->qlog_dir, "write <odcid>_client.sqlog here (also $QLOGDIR)");
  client->add_option("--keylog", cf->keylog, "append NSS key-log lines to this file");
  client->add_option("--timeout", cf->timeout, "give up without a handshake or progress for this long")->capture_default_str();
  client->add_flag("--json", cf->json, "print a JSON report on stdout");
  add_detection_flags(client, cf->detection);
  add_ack_frequency_flag(client, cf->ack_frequency);
  client->callback([cf] { run_perf_client(*cf); });

  auto sf = std::make_shared<PerfServerFlags>();
  auto* server = perf->add_subcommand("server", "serve the perf protocol (also DATAGRAM echo)");
  server->add_option("--listen", sf->listen, "ADDR:PORT (port 0 picks a free port)")->capture_default_str();
  server->add_option("--cert", sf->cert, "certificate chain (PEM); default: self-signed");
  server->add_option("--key", sf->key, "private key (PEM)");
  server->add_option("--qlog-dir", sf->qlog_dir, "write <odcid>_server.sqlog per connection (also $QLOGDIR)");
  server->add_option("--keylog", sf->keylog, "append NSS key-log lines to this file");
  server->add_option("--cc", sf->cc, "congestion controller (" + cc_names_text() + ")")->capture_default_str();
  server->add_option("--scheduler", sf->scheduler, "multipath scheduler NAME[:k=v,...] for what the server sends")
      ->capture_default_str();
  server->add_option("--duration", sf->duration, "stop after this long");
  add_detection_flags(server, sf->detection);
  add_ack_frequency_flag(server, sf->ack_frequency);
  server->callback([sf] {
    auto addr = SocketAddress::parse(sf->listen);
    if (!addr) fail_command("perf server", fmt::format("--listen {}: expected ADDR:PORT", sf->listen), 2);
    FileServerOptions o;
    o.listen = *addr;
    o.alpn = {"perf"};
    o.cert_file = sf->cert;
    o.key_file = sf->key;
    o.qlog_dir = qlog_directory(sf->qlog_dir);
    o.keylog_file = sf->keylog;
    check_cc_flag("perf server", sf->cc);
    o.congestion_controller = sf->cc;
    o.ack_frequency = sf->ack_frequency == "on";
    o.scheduler = scheduler_flag("perf server", sf->scheduler);
    o.failure_detection = detection_config("perf server", sf->detection);
    run_file_server("perf server", std::move(o), sf->duration);
  });
}

}  // namespace

BRAID_SUBCOMMAND(perf, "perf", setup_perf);

}  // namespace braid::tool

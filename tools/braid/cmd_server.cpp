// `braid server`: hq-interop file server, QUIC perf server and DATAGRAM echo on one UDP
// socket, until SIGINT/SIGTERM or --duration.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <algorithm>
#include <memory>
#include <thread>

#include "tools/braid/ack_frequency_flag.h"
#include "io/monotonic_clock.h"
#include "tools/braid/detection_flags.h"
#include "tools/braid/file_server.h"
#include "tools/braid/metrics_flag.h"
#include "tools/braid/subcommand.h"
#include "tools/braid/tool_support.h"
#include "tools/braid/units.h"

namespace braid::tool {

// Shared with `braid perf server`.
FileServerSummary run_file_server(const std::string& cmd, FileServerOptions opts, const std::string& duration_text,
                                  const std::string& metrics_address) {
  std::optional<Duration> duration;
  if (!duration_text.empty()) {
    auto d = parse_duration(duration_text);
    if (!d) fail_command(cmd, "--duration: " + d.error(), 2);
    duration = *d;
  }
  if (opts.workers > 1) return run_worker_servers(cmd, std::move(opts), duration, metrics_address);
  auto loop = io::EventLoop::create();
  if (!loop) fail_command(cmd, "cannot create the event loop: " + loop.error().message());
  auto exporter = start_metrics_flag(cmd, metrics_address);
  ConnectionMetrics metrics("server", exporter.get());
  if (metrics.enabled()) {
    opts.observer.on_connection = [&metrics](Connection& c) { metrics.on_connection(c); };
    opts.observer.on_event = [&metrics](Connection& c, const ConnectionEvent& ev) { metrics.on_event(c, ev); };
    opts.observer.on_closed = [&metrics](Connection& c) { metrics.on_closed(c); };
  }
  std::string lb_line;
  if (const auto& lb = opts.load_balancer) {
    lb_line = fmt::format("QUIC-LB: server ID {:02x}, config {}, {} {}-byte connection IDs", fmt::join(lb->server_id, ""),
                          lb->config_id, lb->key ? "encrypted" : "plaintext", lb->cid_length());
  }
  auto server = FileServer::create(**loop, std::move(opts));
  if (!server) fail_command(cmd, server.error());
  auto& s = **server;
  if (!s.generated_fingerprint().empty()) {
    fmt::print("self-signed certificate, SHA-256 fingerprint {}\n", s.generated_fingerprint());
  }
  auto sock = s.driver().socket().gso_enabled() ? "GSO" : "no GSO";
  fmt::print("listening on {} ({}, {})\n", s.local_address().to_string(), sock,
             s.driver().socket().gro_enabled() ? "GRO" : "no GRO");
  if (auto pa = s.preferred_address()) fmt::print("preferred address {}\n", pa->to_string());
  for (const auto& a : s.advertised_addresses()) fmt::print("advertising {}\n", a.to_string());
  if (!lb_line.empty()) fmt::print("{}\n", lb_line);
  std::fflush(stdout);
  stop_loop_on_signals(loop->get());
  if (duration) (*loop)->add_timer(io::monotonic_now() + *duration, [l = loop->get()] { l->stop(); });
  metrics.start(**loop);
  (*loop)->run();
  stop_loop_on_signals(nullptr);
  s.shutdown();
  // Give the CONNECTION_CLOSE frames a moment to leave; nothing waits for the peers.
  (*loop)->run_until(io::monotonic_now() + std::chrono::milliseconds(20));
  metrics.stop();  // before the server (and its connections) go
  const auto sc = s.driver().socket_counters();
  const auto& dc = s.driver().counters();
  fmt::print(stderr,
             "server stopped after {} connection(s); sent {} datagrams in {} sendmmsg calls ({} GSO batches), "
             "received {} ({} GRO-coalesced); {} timer wake-ups, {} EAGAIN stalls; memory returned {} times "
             "({:.1f} ms)\n",
             s.connections_accepted(), sc.datagrams_sent, sc.send_syscalls, sc.gso_batches_sent, sc.datagrams_received,
             sc.gro_coalesced_datagrams, dc.timer_fires, dc.write_blocked, dc.memory_trims, dc.memory_trim_us / 1000.0);
  return FileServerSummary{s.uploads_completed(), s.uploads_failed()};
}

namespace {

struct ServerFlags {
  std::string ack_frequency = "on";
  std::string listen = "0.0.0.0:4433";
  std::string root, cert, key, qlog_dir, keylog, duration, cc = "cubic";
  std::vector<std::string> alpn;
  bool retry = false;
  size_t max_connections = 4096;
  uint64_t max_paths = 4;
  bool quiet = false;
  std::string preferred_address, metrics, upload_dir, lb_config;
  bool overwrite_uploads = false;
  std::vector<std::string> path_statuses, advertise;
  uint64_t key_update_after = 0;
  unsigned workers = 1;
  std::string scheduler = "minrtt";
  std::string duplicate = "off", reinject = "on";
  DetectionFlags detection;
};

void setup_server(CLI::App& app) {
  auto f = std::make_shared<ServerFlags>();
  auto* cmd = app.add_subcommand("server", "hq-interop file server, QUIC perf server and DATAGRAM echo");
  cmd->add_option("--listen", f->listen, "ADDR:PORT to listen on (port 0 picks a free port)")->capture_default_str();
  cmd->add_option("--root", f->root, "directory served for GET /path (without it every GET is 'not found')");
  cmd->add_option("--cert", f->cert, "certificate chain (PEM); without it a self-signed one is generated");
  cmd->add_option("--key", f->key, "private key (PEM) for --cert");
  cmd->add_option("--alpn", f->alpn, "ALPN protocols to accept (default: hq-interop perf)");
  cmd->add_option("--qlog-dir", f->qlog_dir, "write <odcid>_server.sqlog per connection here (also $QLOGDIR)");
  cmd->add_option("--keylog", f->keylog, "append NSS key-log lines (TLS secrets!) to this file");
  cmd->add_option("--cc", f->cc, "congestion controller (" + cc_names_text() + ")")->capture_default_str();
  cmd->add_option("--scheduler", f->scheduler, "multipath scheduler NAME[:k=v,...] for what the server sends")
      ->capture_default_str();
  cmd->add_option("--duplicate", f->duplicate,
                  "duplication: off, or always,datagrams,first=BYTES,suspect,copies=N (docs/schedulers.md)")
      ->capture_default_str();
  add_detection_flags(cmd, f->detection);
  add_ack_frequency_flag(cmd, f->ack_frequency);
  cmd->add_option("--reinject", f->reinject, "reinjection: on, off, or delay=,max=,queue=,interval=,prefer=")
      ->capture_default_str();
  cmd->add_option("--accept-uploads", f->upload_dir, "accept braid send transfers into this directory");
  cmd->add_flag("--overwrite-uploads", f->overwrite_uploads, "uploads may replace existing files");
  cmd->add_flag("--retry", f->retry, "validate client addresses with a Retry first");
  cmd->add_option("--max-connections", f->max_connections, "refuse connections beyond this many")->capture_default_str();
  cmd->add_option("--max-paths", f->max_paths,
                  "multipath: paths per connection a client may use (0 = multipath off)")->capture_default_str();
  cmd->add_option("--duration", f->duration, "stop after this long (e.g. 30s)");
  cmd->add_flag("--quiet", f->quiet, "no per-connection log lines");
  cmd->add_option("--preferred-address", f->preferred_address,
                  "ADDR:PORT also served and offered to clients as preferred_address (RFC 9000 §9.6)");
  cmd->add_option("--advertise", f->advertise,
                  "ADDR:PORT (repeatable) also served and told to clients that accept address advertisement; "
                  "nothing else is revealed");
  cmd->add_option("--lb-config", f->lb_config,
                  "server-id=HEX,nonce=N[,key=HEX32][,config-id=C]: connection IDs per QUIC-LB, routable by "
                  "QUIC-LB aware load balancers (docs/load-balancing.md)");
  cmd->add_option("--path-status", f->path_statuses,
                  "ID=backup|available@WHEN (repeatable): per connection, after its handshake (2s) or N bytes sent (10M)");
  cmd->add_option("--key-update-after", f->key_update_after, "initiate a key update every N packets");
  cmd->add_option("--workers", f->workers,
                  "event loops (threads), each on its own SO_REUSEPORT socket of the port, packets steered by "
                  "connection ID (0: one per core; at most 255)")
      ->capture_default_str();
  add_metrics_flag(cmd, f->metrics);
  cmd->callback([f] {
    FileServerOptions o;
    auto addr = SocketAddress::parse(f->listen);
    if (!addr) fail_command("server", fmt::format("--listen {}: expected ADDR:PORT, e.g. 127.0.0.1:4433", f->listen), 2);
    o.listen = *addr;
    o.root = f->root;
    o.upload_dir = f->upload_dir;
    o.overwrite_uploads = f->overwrite_uploads;
    o.cert_file = f->cert;
    o.key_file = f->key;
    if (!f->alpn.empty()) o.alpn = f->alpn;
    o.qlog_dir = qlog_directory(f->qlog_dir);
    o.keylog_file = f->keylog;
    check_cc_flag("server", f->cc);
    o.congestion_controller = f->cc;
    o.ack_frequency = f->ack_frequency == "on";
    o.scheduler = scheduler_flag("server", f->scheduler);
    o.duplication = duplicate_flag("server", f->duplicate);
    o.reinjection = reinject_flag("server", f->reinject);
    o.failure_detection = detection_config("server", f->detection);
    o.retry = f->retry;
    o.max_connections = f->max_connections;
    o.max_paths = f->max_paths;
    o.log_connections = !f->quiet;
    if (!f->preferred_address.empty()) {
      auto pa = SocketAddress::parse(f->preferred_address);
      if (!pa) {
        fail_command("server", fmt::format("--preferred-address {}: expected ADDR:PORT", f->preferred_address), 2);
      }
      o.preferred_address = *pa;
    }
    if (!f->lb_config.empty()) {
      auto lb = parse_load_balancer_config(f->lb_config);
      if (!lb) fail_command("server", fmt::format("--lb-config {}: {}", f->lb_config, lb.error()), 2);
      o.load_balancer = *lb;
    }
    for (const auto& text : f->advertise) {
      auto a = SocketAddress::parse(text);
      if (!a) fail_command("server", fmt::format("--advertise {}: expected ADDR:PORT", text), 2);
      o.advertise.push_back(*a);
    }
    for (const auto& spec : f->path_statuses) {
      auto a = parse_path_status(spec);
      if (!a) fail_command("server", fmt::format("--path-status {}: {}", spec, a.error()), 2);
      o.path_actions.push_back(*a);
    }
    o.key_update_after_packets = f->key_update_after;
    unsigned workers = f->workers == 0 ? std::max(1u, std::thread::hardware_concurrency()) : f->workers;
    if (workers > 255) fail_command("server", fmt::format("--workers {}: at most 255", f->workers), 2);
    o.workers = static_cast<uint8_t>(workers);
    run_file_server("server", std::move(o), f->duration, f->metrics);
  });
}

}  // namespace

BRAID_SUBCOMMAND(server, "server", setup_server);

}  // namespace braid::tool

// `braid server --workers N`: N FileServers, each with its own event loop on its own thread
// and its own SO_REUSEPORT socket of the one port. The kernel's reuseport program steers a
// datagram by the first byte of its destination CID (src/io/reuseport_steering.h) and each
// worker's CIDs name it, so every packet of a connection, on every path, reaches the worker
// that owns it; new connections (random client DCIDs) spread over the workers. Nothing of a
// connection is shared between threads. Retry tokens and stateless resets need no sharing
// either: the retried Initial goes to the Retry's SCID, which names the worker that made the
// token, and a CID that no connection owns any more reaches the worker whose key made its
// reset token.
#include <fmt/format.h>

#include <cstdio>
#include <thread>

#include "io/monotonic_clock.h"
#include "tools/braid/file_server.h"
#include "tools/braid/tool_support.h"

namespace braid::tool {

namespace {

struct Worker {
  std::unique_ptr<io::EventLoop> loop;
  std::unique_ptr<FileServer> server;
  std::thread thread;
};

// What a single server does beside its one socket; not split across workers yet.
void refuse_unsupported(const std::string& cmd, const FileServerOptions& o, const std::string& metrics_address) {
  auto refuse = [&](const char* what) {
    fail_command(cmd, fmt::format("{} is not supported with --workers > 1 yet", what), 2);
  };
  if (!metrics_address.empty()) refuse("--metrics");
  if (o.preferred_address) refuse("--preferred-address");
  if (!o.advertise.empty()) refuse("--advertise");
  if (o.load_balancer) refuse("--lb-config (the worker byte would be encrypted)");
  if (o.stop_after_uploads > 0) refuse("stopping after N uploads");
}

}  // namespace

FileServerSummary run_worker_servers(const std::string& cmd, FileServerOptions opts, std::optional<Duration> duration,
                                     const std::string& metrics_address) {
  refuse_unsupported(cmd, opts, metrics_address);
  const size_t n = opts.workers;
  std::vector<Worker> ws(n);
  // Bound in worker order on this thread: the i-th socket of the group takes the packets
  // whose CID byte is i modulo n. Workers after the first take its port and certificate.
  for (size_t i = 0; i < n; ++i) {
    auto loop = io::EventLoop::create();
    if (!loop) fail_command(cmd, "cannot create the event loop: " + loop.error().message());
    ws[i].loop = std::move(*loop);
    FileServerOptions w = opts;
    w.worker_index = static_cast<uint8_t>(i);
    if (i > 0) {
      w.listen = ws[0].server->local_address();
      if (w.cert_file.empty() && w.cert_pem.empty()) {
        w.cert_pem = ws[0].server->generated_cert_pem();
        w.key_pem = ws[0].server->generated_key_pem();
      }
    }
    auto s = FileServer::create(*ws[i].loop, std::move(w));
    if (!s) fail_command(cmd, fmt::format("worker {}: {}", i, s.error()));
    ws[i].server = std::move(*s);
  }
  FileServer& first = *ws[0].server;
  if (!first.generated_fingerprint().empty()) {
    fmt::print("self-signed certificate, SHA-256 fingerprint {}\n", first.generated_fingerprint());
  }
  const auto& sock = first.driver().socket();
  fmt::print("listening on {} ({}, {}), {} workers\n", first.local_address().to_string(),
             sock.gso_enabled() ? "GSO" : "no GSO", sock.gro_enabled() ? "GRO" : "no GRO", n);
  std::fflush(stdout);

  // The first worker runs here and takes the signals and --duration; the others stop with it.
  io::EventLoop& main_loop = *ws[0].loop;
  stop_loop_on_signals(&main_loop);
  if (duration) main_loop.add_timer(io::monotonic_now() + *duration, [&main_loop] { main_loop.stop(); });
  for (size_t i = 1; i < n; ++i) ws[i].thread = std::thread([&w = ws[i]] { w.loop->run(); });
  main_loop.run();
  stop_loop_on_signals(nullptr);
  for (size_t i = 1; i < n; ++i) {
    ws[i].loop->stop();
    ws[i].thread.join();
  }
  // Every loop is idle now; this thread closes the connections of each in turn.
  for (auto& w : ws) w.server->shutdown();
  for (auto& w : ws) w.loop->run_until(io::monotonic_now() + std::chrono::milliseconds(20));

  FileServerSummary sum;
  uint64_t accepted = 0, datagrams_sent = 0, datagrams_received = 0;
  std::string per_worker;
  for (size_t i = 0; i < n; ++i) {
    const FileServer& s = *ws[i].server;
    accepted += s.connections_accepted();
    sum.uploads_completed += s.uploads_completed();
    sum.uploads_failed += s.uploads_failed();
    auto c = ws[i].server->driver().socket_counters();
    datagrams_sent += c.datagrams_sent;
    datagrams_received += c.datagrams_received;
    per_worker += fmt::format("{}{}", i ? " " : "", s.connections_accepted());
  }
  fmt::print(stderr, "server stopped after {} connection(s) on {} workers ({} each); sent {} datagrams, received {}\n",
             accepted, n, per_worker, datagrams_sent, datagrams_received);
  return sum;
}

}  // namespace braid::tool

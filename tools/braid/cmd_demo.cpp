// `braid demo`: multipath at work with no arguments. One process runs a file server (own
// thread), an in-process link emulator with two paths of different rate and delay (own
// thread), and a client with two local addresses (127.0.0.2, 127.0.0.3 — loopback owns all of
// 127/8) that downloads a random file over both paths. Path A is cut at a third of the
// transfer and restored at two thirds; the summary shows aggregation, failover and the
// SHA-256 check. `braid demo --single` is the older single-path loopback check.
// `--plot FILE` keeps a qlog of the server's connection (the sender: its cwnd, RTT and
// acknowledged bytes per path are what the cut changes) and draws it like `braid plot`.
#include <fmt/format.h>
#include <gnutls/crypto.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "io/loop_thread.h"
#include "io/monotonic_clock.h"
#include "netem/relay.h"
#include "tools/braid/detection_flags.h"
#include "tools/braid/file_server.h"
#include "tools/braid/hq_client.h"
#include "tools/braid/plot_data.h"
#include "tools/braid/plot_gnuplot.h"
#include "tools/braid/progress.h"
#include "tools/braid/subcommand.h"
#include "tools/braid/tool_support.h"
#include "tools/braid/units.h"

namespace braid::tool {
namespace {

std::string hex(const uint8_t* d, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += fmt::format("{:02x}", d[i]);
  return s;
}

[[noreturn]] void die(const std::string& m) { fail_command("demo", m); }

// A temporary directory with a random file of `bytes` and its SHA-256; removed at exit.
struct DemoFiles {
  std::filesystem::path dir;
  std::string sha256;
  explicit DemoFiles(size_t bytes) {
    char tmpl[] = "/tmp/braid-demo-XXXXXX";
    if (!::mkdtemp(tmpl)) die("cannot create a temporary directory");
    dir = tmpl;
    // Random bytes, so nothing along the way can compress or guess them.
    std::vector<uint8_t> data(bytes);
    gnutls_rnd(GNUTLS_RND_NONCE, data.data(), data.size());
    uint8_t digest[32];
    gnutls_hash_fast(GNUTLS_DIG_SHA256, data.data(), data.size(), digest);
    sha256 = hex(digest, 32);
    std::ofstream out(dir / "demo.bin", std::ios::binary);
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    if (!out) die("cannot write the demo file");
  }
  ~DemoFiles() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  // Hashes what landed on disk, not what passed through memory.
  void verify(const std::string& file, size_t bytes) const {
    std::ifstream in(file, std::ios::binary);
    std::vector<uint8_t> got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    uint8_t digest[32];
    gnutls_hash_fast(GNUTLS_DIG_SHA256, got.data(), got.size(), digest);
    std::string actual = hex(digest, 32);
    if (got.size() != bytes || actual != sha256) {
      die(fmt::format("SHA-256 mismatch: expected {}, got {} ({} bytes)", sha256, actual, got.size()));
    }
    fmt::print("SHA-256 verified: {}\n", actual);
  }
};

// The file server on its own loop thread; writes its certificate for the client to trust.
struct DemoServer {
  std::unique_ptr<io::LoopThread> thread;
  std::unique_ptr<FileServer> server;
  SocketAddress address;
  std::string cert_file;
  explicit DemoServer(const std::filesystem::path& dir, const PluginSpec& scheduler = PluginSpec{"minrtt"},
                      const std::string& cc = "cubic", const FailureDetectionConfig& fd = {},
                      const std::string& qlog_dir = {}) {
    auto t = io::LoopThread::start();
    if (!t) die("cannot start the server thread: " + t.error().message());
    thread = std::move(*t);
    std::string err = thread->call([&]() -> std::string {
      FileServerOptions o;
      o.listen = *SocketAddress::parse("127.0.0.1:0");
      o.root = dir.string();
      o.log_connections = false;
      o.scheduler = scheduler;
      o.congestion_controller = cc;
      o.failure_detection = fd;
      o.qlog_dir = qlog_dir;
      auto s = FileServer::create(thread->loop(), o);
      if (!s) return s.error();
      server = std::move(*s);
      return {};
    });
    if (!err.empty()) die("server: " + err);
    address = thread->call([&] { return server->local_address(); });
    cert_file = (dir / "server-cert.pem").string();
    std::ofstream(cert_file) << server->generated_cert_pem();
  }
  ~DemoServer() {
    thread->call([&] {
      server->shutdown();
      server.reset();
    });
    thread->stop();
  }
};

void run_single_demo() {
  constexpr size_t kBytes = 20u << 20;
  DemoFiles files(kBytes);
  std::unique_ptr<DemoServer> server = std::make_unique<DemoServer>(files.dir);
  fmt::print("braid demo --single\n");
  fmt::print("  server  {} (own thread), self-signed certificate {}\n", server->address.to_string(),
             server->server->generated_fingerprint().substr(0, 23) + "...");
  fmt::print("  file    {} random bytes, SHA-256 {}\n", kBytes, files.sha256);
  fmt::print("  client  GET /demo.bin over QUIC (hq-interop), verifying the certificate\n\n");
  std::fflush(stdout);

  ClientOptions o;
  o.remote = server->address;
  o.server_name = "localhost";
  o.ca_file = server->cert_file;
  o.progress = ProgressBar::stderr_is_terminal();
  o.progress_total = kBytes;
  std::string out_file = (files.dir / "download.bin").string();
  HqDownloadApp app({HqRequest{fmt::format("https://{}/demo.bin", server->address.to_string()), "/demo.bin", out_file}},
                    true);
  if (auto r = app.open_outputs(); !r) die(r.error());
  ClientReport rep = run_client(o, app);
  server.reset();
  if (!rep.ok) die(rep.error);

  double secs = std::chrono::duration<double>(app.transfer_end() - app.transfer_start()).count();
  fmt::print("downloaded {} in {:.3f} s: {:.1f} Mbit/s (handshake {:.2f} ms)\n", format_bytes(app.total_bytes()), secs,
             secs > 0 ? app.total_bytes() * 8 / secs / 1e6 : 0.0, to_ms(rep.handshake_done - rep.start));
  fmt::print("GSO: {} of {} client sends batched; GRO: {} of {} datagrams arrived coalesced\n",
             rep.socket.gso_batches_sent, rep.socket.send_syscalls, rep.socket.gro_coalesced_datagrams,
             rep.socket.datagrams_received);
  files.verify(out_file, kBytes);
}

// The two emulated paths: rates in bit/s, one-way delays each way.
struct LinkSpec {
  const char* name;
  uint64_t rate_bps;
  Duration one_way;
};
constexpr LinkSpec kPathA{"A", 40'000'000, std::chrono::milliseconds(20)};  // RTT ~40 ms
constexpr LinkSpec kPathB{"B", 15'000'000, std::chrono::milliseconds(60)};  // RTT ~120 ms
constexpr size_t kDefaultMultipathBytes = 40u << 20;

sim::LinkConfig link(const LinkSpec& s) {
  sim::LinkConfig c;
  c.rate_bps = s.rate_bps;
  c.delay = s.one_way;
  // About two bandwidth-delay products of queue, like a reasonably buffered access link.
  c.queue_bytes = std::max<uint64_t>(64 * 1024, s.rate_bps / 8 * 2 * 2 * s.one_way.count() / 1'000'000'000);
  return c;
}

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// The picture for --plot: the server's qlog as `braid plot` reads it, with the demo's own
// cut and restore marks and path A/B in the legend. The server's qlog times count from its
// connection's creation, when the client's first Initial arrived over path A: the client's
// times minus path A's one-way delay.
void plot_demo(const std::filesystem::path& qlog_dir, const std::string& out, const ClientReport& rep,
               TimePoint cut_at, TimePoint restore_at, const SocketAddress& via_a, const SocketAddress& via_b) {
  std::string trace;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(qlog_dir, ec)) {
    if (e.path().string().ends_with("_server.sqlog")) trace = e.path().string();
  }
  if (trace.empty()) die("--plot: the server wrote no qlog");
  auto data = load_plot_input(trace);
  if (!data) die("--plot: " + data.error());
  auto at = [&](TimePoint t) { return seconds(t - rep.start - kPathA.one_way); };
  int slot_a = -1;
  for (auto& ps : data->paths) {
    for (const auto& p : rep.stats.paths) {
      if (std::to_string(p.path_id) != ps.key) continue;
      const char* name = p.tuple.remote == via_a ? "A" : p.tuple.remote == via_b ? "B" : nullptr;
      if (!name) continue;
      ps.label += fmt::format(" ({})", name);
      if (slot_a < 0 && p.tuple.remote == via_a) slot_a = static_cast<int>(&ps - data->paths.data());
    }
  }
  if (cut_at != TimePoint{}) data->marks.push_back({at(cut_at), slot_a, "A cut"});
  if (restore_at != TimePoint{}) data->marks.push_back({at(restore_at), slot_a, "A restored"});
  std::stable_sort(data->marks.begin(), data->marks.end(),
                   [](const PlotMark& a, const PlotMark& b) { return a.t_s < b.t_s; });
  std::string title = fmt::format(
      "braid demo: path A {:.0f} Mbit/s {:.0f} ms RTT (cut, then restored) + path B {:.0f} Mbit/s {:.0f} ms RTT - "
      "the sending server's view",
      kPathA.rate_bps / 1e6, 2 * to_ms(kPathA.one_way), kPathB.rate_bps / 1e6, 2 * to_ms(kPathB.one_way));
  if (auto r = render_plot(*data, out, title); !r) die("--plot: " + r.error());
  fmt::print("plot written to {} (from the server's qlog)\n", out);
}

void run_multipath_demo(size_t kMultipathBytes, const PluginSpec& scheduler, const std::string& cc,
                        const FailureDetectionConfig& fd, const std::string& plot_file) {
  DemoFiles files(kMultipathBytes);
  const std::filesystem::path qlog_dir = files.dir / "qlog";
  if (!plot_file.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(qlog_dir, ec);
    if (ec) die("--plot: " + ec.message());
  }
  std::unique_ptr<DemoServer> server =
      std::make_unique<DemoServer>(files.dir, scheduler, cc, fd, plot_file.empty() ? std::string() : qlog_dir.string());

  netem::RelayConfig rc;
  for (const auto& s : {kPathA, kPathB}) {
    netem::PathConfig p;
    p.listen = *SocketAddress::parse("127.0.0.1:0");
    p.target = server->address;
    p.uplink = p.downlink = link(s);
    rc.paths.push_back(p);
  }
  rc.output = [](std::string_view) {};
  auto relay_r = netem::Relay::create(rc);
  if (!relay_r) die("emulator: " + relay_r.error());
  std::unique_ptr<netem::Relay> relay = std::move(*relay_r);
  std::thread relay_thread([&] { (void)relay->run(); });
  struct StopRelay {
    netem::Relay& r;
    std::thread& t;
    ~StopRelay() {
      r.stop();
      t.join();
    }
  } stop_relay{*relay, relay_thread};

  SocketAddress local_a = *SocketAddress::parse("127.0.0.2:0"), local_b = *SocketAddress::parse("127.0.0.3:0");
  SocketAddress via_a = relay->listen_address(0), via_b = relay->listen_address(1);
  fmt::print("braid demo: one QUIC connection over two paths (draft-ietf-quic-multipath)\n");
  fmt::print("  server    {} (own thread), certificate verified by the client\n", server->address.to_string());
  fmt::print("  path A    127.0.0.2 -> emulator {} -> server: {:.0f} Mbit/s, {:.0f} ms one way (RTT ~{:.0f} ms)\n",
             via_a.to_string(), kPathA.rate_bps / 1e6, to_ms(kPathA.one_way), 2 * to_ms(kPathA.one_way));
  fmt::print("  path B    127.0.0.3 -> emulator {} -> server: {:.0f} Mbit/s, {:.0f} ms one way (RTT ~{:.0f} ms)\n",
             via_b.to_string(), kPathB.rate_bps / 1e6, to_ms(kPathB.one_way), 2 * to_ms(kPathB.one_way));
  fmt::print("  file      {} random bytes, SHA-256 {}\n", kMultipathBytes, files.sha256);
  fmt::print("  scheduler {} (the server's, it sends the file)\n", scheduler.to_string());
  fmt::print("  cc        {} (the server's, on every path)\n", cc);
  fmt::print("  detector  {} (both ends)\n", fd.enabled ? fd.detector.to_string() : std::string("off"));
  fmt::print("  plan      download over both paths; cut path A at 1/3 of the file, restore it at 2/3\n\n");
  std::fflush(stdout);

  ClientOptions o;
  o.failure_detection = fd;
  o.remote = via_a;
  o.local = local_a;
  o.extra_paths.push_back(PathRequest{local_b, via_b});
  o.server_name = "localhost";
  o.ca_file = server->cert_file;
  o.progress = ProgressBar::stderr_is_terminal();
  o.progress_total = kMultipathBytes;
  o.path_lines = true;
  o.path_lines_without_terminal = true;

  // Phase marks, taken from the client's 100 ms tick.
  TimePoint cut_at{}, restore_at{};
  uint64_t bytes_at_cut = 0, bytes_at_restore = 0;
  bool reopened = false;
  SocketAddress bound_a = local_a;  // with the port the client's socket got
  auto log = [&](const std::string& what) {
    if (o.progress) std::fputs("\r\x1b[2K", stderr);
    fmt::print(stderr, "{}\n", what);
  };
  o.on_tick = [&](Connection& c, TimePoint now, uint64_t bytes) {
    if (bound_a.port == 0) {
      for (const auto& p : c.stats().paths) {
        if (p.tuple.local.same_ip(local_a)) bound_a = p.tuple.local;
      }
    }
    if (cut_at == TimePoint{} && bytes >= kMultipathBytes / 3) {
      cut_at = now;
      bytes_at_cut = bytes;
      relay->post(netem::ControlCommand{netem::ControlCommand::Kind::kDown, 0});
      log(fmt::format(">>> path A cut (both directions) at {}", format_bytes(bytes)));
    } else if (cut_at != TimePoint{} && restore_at == TimePoint{} && bytes >= 2 * kMultipathBytes / 3) {
      restore_at = now;
      bytes_at_restore = bytes;
      relay->post(netem::ControlCommand{netem::ControlCommand::Kind::kUp, 0});
      log(fmt::format(">>> path A restored at {}", format_bytes(bytes)));
    }
    // A path that failed while cut is gone for good (path IDs are never reused): once the
    // link is back, open a new one from the same local address.
    if (restore_at != TimePoint{} && !reopened) {
      bool a_usable = false;
      for (const auto& p : c.stats().paths) {
        // A path failed by detection recovers by itself once its probes are answered.
        if (p.tuple.remote == via_a && (p.state == PathState::kActive || p.state == PathState::kValidating || p.state == PathState::kValidated ||
                                        p.state == PathState::kStandby || p.state == PathState::kCreated || p.state == PathState::kFailed)) {
          a_usable = true;
        }
      }
      if (a_usable) {
        reopened = true;
      } else if (auto id = c.open_path(now, bound_a, via_a); id) {
        reopened = true;
        log(fmt::format(">>> path A reopened as path {}", *id));
      }
    }
  };

  std::string out_file = (files.dir / "download.bin").string();
  HqDownloadApp app({HqRequest{fmt::format("https://{}/demo.bin", via_a.to_string()), "/demo.bin", out_file}}, true);
  if (auto r = app.open_outputs(); !r) die(r.error());
  ClientReport rep = run_client(o, app);
  server.reset();
  if (!rep.ok) die(rep.error);

  // The summary.
  TimePoint t0 = app.transfer_start(), t1 = app.transfer_end();
  double total_s = seconds(t1 - t0);
  double total_mbps = total_s > 0 ? app.total_bytes() * 8 / total_s / 1e6 : 0;
  double both_mbps = 0, cut_mbps = 0, after_mbps = 0;
  if (cut_at != TimePoint{} && cut_at > t0) both_mbps = bytes_at_cut * 8 / seconds(cut_at - t0) / 1e6;
  if (restore_at != TimePoint{} && restore_at > cut_at) {
    cut_mbps = (bytes_at_restore - bytes_at_cut) * 8 / seconds(restore_at - cut_at) / 1e6;
    if (t1 > restore_at) after_mbps = (app.total_bytes() - bytes_at_restore) * 8 / seconds(t1 - restore_at) / 1e6;
  }
  double sum_mbps = (kPathA.rate_bps + kPathB.rate_bps) / 1e6;
  // The failover stall: the longest stretch without new in-order bytes that began around the cut.
  Duration failover{};
  if (cut_at != TimePoint{}) {
    Duration cut_rel = cut_at - rep.start;
    for (const auto& s : rep.stalls) {
      if (s.at + s.length >= cut_rel - std::chrono::milliseconds(100) && s.at <= cut_rel + std::chrono::seconds(3)) {
        failover = std::max(failover, s.length);
      }
    }
  }
  fmt::print("\nsummary\n");
  fmt::print("  downloaded        {} in {:.2f} s: {:.1f} Mbit/s goodput overall\n", format_bytes(app.total_bytes()),
             total_s, total_mbps);
  fmt::print("  both paths up     {:.1f} Mbit/s = {:.0f}% of A+B ({:.0f} Mbit/s), {:.2f}x path A alone\n", both_mbps,
             100 * both_mbps / sum_mbps, sum_mbps, both_mbps / (kPathA.rate_bps / 1e6));
  fmt::print("  path A cut        {:.1f} Mbit/s on path B alone ({:.0f}% of its {:.0f} Mbit/s)\n", cut_mbps,
             100 * cut_mbps / (kPathB.rate_bps / 1e6), kPathB.rate_bps / 1e6);
  fmt::print("  path A restored   {:.1f} Mbit/s\n", after_mbps);
  fmt::print("  failover stall    {:.0f} ms without new in-order bytes after the cut (longest stall overall {:.0f} ms)\n",
             to_ms(failover), to_ms(rep.longest_stall));
  fmt::print("  connection        {}, bonding {}, never closed\n", rep.stats.multipath ? "multipath" : "single-path",
             bonding_state_name(rep.stats.bonding));
  for (const auto& p : rep.stats.paths) {
    std::string name = p.tuple.remote == via_a ? "A" : p.tuple.remote == via_b ? "B" : "?";
    fmt::print("  path {} ({})        {} -> {}: {} of stream data, {} packets lost, RTT {:.0f} ms, {}, {}\n", p.path_id,
               name, p.tuple.local.to_string(), p.tuple.remote.to_string(), format_bytes(p.stream_bytes_received),
               p.packets_lost, to_ms(p.smoothed_rtt), path_state_name(p.state), path_health_name(p.health));
  }
  // What the client's failure detection saw (the server, which sends, detects first).
  for (const auto& e : rep.path_events) {
    if (e.kind == "health" || e.state == "failed" || e.state == "closed" || e.state == "closing" ||
        e.state == "active") {
      fmt::print("  event  {:6.2f} s  path {} {}{}\n", seconds(e.at), e.path, e.kind == "health" ? "health " : "",
                 e.state);
    }
  }
  for (const auto& w : rep.path_warnings) fmt::print("  warning: {}\n", w);
  files.verify(out_file, kMultipathBytes);
  if (!plot_file.empty()) plot_demo(qlog_dir, plot_file, rep, cut_at, restore_at, via_a, via_b);
}

void setup_demo(CLI::App& app) {
  auto single = std::make_shared<bool>(false);
  auto sched = std::make_shared<std::string>("minrtt");
  auto size = std::make_shared<std::string>("40M");
  auto cc = std::make_shared<std::string>("cubic");
  auto detection = std::make_shared<DetectionFlags>();
  auto plot = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "demo", "self-contained multipath demo: server, link emulator and client; two paths, one cut and restored");
  cmd->add_flag("--single", *single, "the older single-path check: loopback download of 20 MiB, verified");
  cmd->add_option("--scheduler", *sched, "multipath scheduler NAME[:k=v,...] of the sending server")
      ->capture_default_str();
  cmd->add_option("--size", *size, "bytes to download over the two paths (e.g. 8M)")->capture_default_str();
  cmd->add_option("--cc", *cc, "congestion controller of the sending server (" + cc_names_text() + ")")
      ->capture_default_str();
  cmd->add_option("--plot", *plot,
                  "draw what every path did into FILE (.svg or .png; needs gnuplot), from the server's qlog");
  add_detection_flags(cmd, *detection);
  cmd->callback([single, sched, size, cc, detection, plot] {
    if (*single && !plot->empty()) fail_command("demo", "--plot draws the multipath demo; not with --single", 2);
    if (*single) return run_single_demo();
    if (!plot->empty()) {
      // Before the run, not after it: a typo should not cost a whole transfer.
      if (auto f = plot_format_for(*plot); !f) fail_command("demo", "--plot: " + f.error(), 2);
      if (!find_on_path("gnuplot")) fail_command("demo", "--plot: gnuplot not found on PATH (apt-get install gnuplot-nox)");
    }
    auto bytes = parse_size(*size);
    if (!bytes) fail_command("demo", "--size: " + bytes.error(), 2);
    if (*bytes < (1u << 20) || *bytes > (4ull << 30)) fail_command("demo", "--size: between 1M and 4G", 2);
    check_cc_flag("demo", *cc);
    run_multipath_demo(static_cast<size_t>(*bytes), scheduler_flag("demo", *sched), *cc,
                       detection_config("demo", *detection), *plot);
  });
}

}  // namespace

BRAID_SUBCOMMAND(demo, "demo", setup_demo);

}  // namespace braid::tool

// `braid demo`: a self-contained look at braid with no arguments — a server on 127.0.0.1
// (its own loop thread) serves a generated 20 MiB file, the client downloads it with
// certificate verification against the generated certificate, and the SHA-256 is checked.
#include <fmt/format.h>
#include <gnutls/crypto.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "io/loop_thread.h"
#include "tools/braid/file_server.h"
#include "tools/braid/hq_client.h"
#include "tools/braid/progress.h"
#include "tools/braid/subcommand.h"
#include "tools/braid/tool_support.h"

namespace braid::tool {
namespace {

constexpr size_t kDemoBytes = 20u << 20;

std::string hex(const uint8_t* d, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += fmt::format("{:02x}", d[i]);
  return s;
}

void run_demo() {
  auto die = [](const std::string& m) { fail_command("demo", m); };
  char tmpl[] = "/tmp/braid-demo-XXXXXX";
  if (!::mkdtemp(tmpl)) die("cannot create a temporary directory");
  std::filesystem::path dir(tmpl);
  struct Cleanup {
    std::filesystem::path d;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(d, ec);
    }
  } cleanup{dir};

  // The file to serve: random bytes, so nothing along the way can compress or guess them.
  std::vector<uint8_t> data(kDemoBytes);
  gnutls_rnd(GNUTLS_RND_NONCE, data.data(), data.size());
  uint8_t digest[32];
  gnutls_hash_fast(GNUTLS_DIG_SHA256, data.data(), data.size(), digest);
  std::string expected = hex(digest, 32);
  {
    std::ofstream out(dir / "demo.bin", std::ios::binary);
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    if (!out) die("cannot write the demo file");
  }
  data.clear();
  data.shrink_to_fit();

  auto thread = io::LoopThread::start();
  if (!thread) die("cannot start the server thread: " + thread.error().message());
  std::unique_ptr<FileServer> server;
  std::string err = (*thread)->call([&]() -> std::string {
    FileServerOptions o;
    o.listen = *SocketAddress::parse("127.0.0.1:0");
    o.root = dir.string();
    o.log_connections = false;
    auto s = FileServer::create((*thread)->loop(), o);
    if (!s) return s.error();
    server = std::move(*s);
    return {};
  });
  if (!err.empty()) die("server: " + err);
  SocketAddress addr = (*thread)->call([&] { return server->local_address(); });
  std::string cert_file = (dir / "server-cert.pem").string();
  {
    std::ofstream c(cert_file);
    c << server->generated_cert_pem();
  }
  fmt::print("braid demo\n");
  fmt::print("  server  {} (own thread), self-signed certificate {}\n", addr.to_string(),
             server->generated_fingerprint().substr(0, 23) + "...");
  fmt::print("  file    {} random bytes, SHA-256 {}\n", kDemoBytes, expected);
  fmt::print("  client  GET /demo.bin over QUIC (hq-interop), verifying the certificate\n\n");
  std::fflush(stdout);

  ClientOptions o;
  o.remote = addr;
  o.server_name = "localhost";
  o.ca_file = cert_file;
  o.progress = ProgressBar::stderr_is_terminal();
  o.progress_total = kDemoBytes;
  std::string out_file = (dir / "download.bin").string();
  HqDownloadApp app({HqRequest{fmt::format("https://{}/demo.bin", addr.to_string()), "/demo.bin", out_file}}, true);
  if (auto r = app.open_outputs(); !r) die(r.error());
  ClientReport rep = run_client(o, app);

  (*thread)->call([&] {
    server->shutdown();
    server.reset();
  });
  (*thread)->stop();
  if (!rep.ok) die(rep.error);

  double secs = std::chrono::duration<double>(app.transfer_end() - app.transfer_start()).count();
  fmt::print("downloaded {} in {:.3f} s: {:.1f} Mbit/s (handshake {:.2f} ms)\n", format_bytes(app.total_bytes()), secs,
             secs > 0 ? app.total_bytes() * 8 / secs / 1e6 : 0.0, to_ms(rep.handshake_done - rep.start));
  for (const auto& p : rep.stats.paths) {
    fmt::print("path {} {} -> {}: smoothed RTT {:.3f} ms, min RTT {:.3f} ms, {} packets lost\n", p.id,
               p.tuple.local.to_string(), p.tuple.remote.to_string(), to_ms(p.smoothed_rtt), to_ms(p.min_rtt),
               p.packets_lost);
  }
  fmt::print("GSO: {} of {} client sends batched; GRO: {} of {} datagrams arrived coalesced\n",
             rep.socket.gso_batches_sent, rep.socket.send_syscalls, rep.socket.gro_coalesced_datagrams,
             rep.socket.datagrams_received);

  // Hash what landed on disk, not what passed through memory.
  std::ifstream in(out_file, std::ios::binary);
  std::vector<uint8_t> got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  gnutls_hash_fast(GNUTLS_DIG_SHA256, got.data(), got.size(), digest);
  std::string actual = hex(digest, 32);
  if (got.size() != kDemoBytes || actual != expected) {
    die(fmt::format("SHA-256 mismatch: expected {}, got {} ({} bytes)", expected, actual, got.size()));
  }
  fmt::print("SHA-256 verified: {}\n", actual);
}

void setup_demo(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "self-contained demo: local server + client, verified 20 MiB download");
  cmd->callback([] { run_demo(); });
}

}  // namespace

BRAID_SUBCOMMAND(demo, "demo", setup_demo);

}  // namespace braid::tool

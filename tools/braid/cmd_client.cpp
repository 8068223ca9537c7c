// `braid client URL...`: downloads over hq-interop, one stream per URL on one connection,
// with a progress bar on a terminal, a summary, and --json for scripts.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>

#include "braid/congestion_controller.h"
#include "tools/braid/hq_client.h"
#include "tools/braid/progress.h"
#include "tools/braid/subcommand.h"
#include "tools/braid/tool_support.h"
#include "tools/braid/units.h"

namespace braid::tool {

namespace {

struct ClientFlags {
  std::vector<std::string> urls;
  std::string output, ca, alpn = "hq-interop", cc = "cubic", qlog_dir, keylog, timeout = "10s", local;
  bool insecure = false, json = false, sha256 = false, no_progress = false;
  uint64_t key_update_after = 0;
};

std::string output_for(const ClientFlags& f, const std::string& path, bool dir_mode) {
  if (f.output.empty() || f.output == "/dev/null") return {};
  if (!dir_mode) return f.output;
  std::string name = std::filesystem::path(path).filename().string();
  if (name.empty()) name = "index.html";
  return (std::filesystem::path(f.output) / name).string();
}

void print_summary(std::FILE* out, const ClientReport& rep, const HqDownloadApp& app) {
  double secs = std::chrono::duration<double>(app.transfer_end() - app.transfer_start()).count();
  double mbps = secs > 0 ? app.total_bytes() * 8 / secs / 1e6 : 0;
  fmt::print(out, "downloaded {} in {} stream(s) in {:.3f} s: {:.1f} Mbit/s goodput (handshake {:.2f} ms, {})\n",
             format_bytes(app.total_bytes()), app.results().size(), secs, mbps,
             to_ms(rep.handshake_done - rep.start), rep.alpn);
  for (const auto& p : rep.stats.paths) {
    fmt::print(out, "path {} {} -> {}: smoothed RTT {:.3f} ms, min RTT {:.3f} ms, {} packets received, {} lost of {} sent\n",
               p.id, p.tuple.local.to_string(), p.tuple.remote.to_string(), to_ms(p.smoothed_rtt), to_ms(p.min_rtt),
               p.packets_received, p.packets_lost, p.packets_sent);
  }
  for (const auto& r : app.results()) {
    if (!r.sha256_hex.empty()) fmt::print(out, "{}  {}\n", r.sha256_hex, r.path);
  }
}

nlohmann::json report_json(const ClientReport& rep, const HqDownloadApp* app) {
  nlohmann::json j;
  j["ok"] = rep.ok;
  if (!rep.ok) j["error"] = rep.error;
  j["remote"] = rep.remote.to_string();
  j["local"] = rep.local.to_string();
  j["alpn"] = rep.alpn;
  if (rep.handshake_done != TimePoint{}) j["handshake_ms"] = to_ms(rep.handshake_done - rep.start);
  j["total_s"] = std::chrono::duration<double>(rep.end - rep.start).count();
  if (app) {
    double secs = std::chrono::duration<double>(app->transfer_end() - app->transfer_start()).count();
    j["bytes"] = app->total_bytes();
    j["transfer_s"] = secs;
    j["goodput_mbps"] = secs > 0 ? app->total_bytes() * 8 / secs / 1e6 : 0.0;
    j["streams"] = nlohmann::json::array();
    for (const auto& r : app->results()) {
      nlohmann::json s{{"url", r.url}, {"path", r.path}, {"bytes", r.bytes}, {"complete", r.complete}};
      if (!r.output_file.empty()) s["output"] = r.output_file;
      if (r.reset_code) s["reset_code"] = *r.reset_code;
      if (!r.sha256_hex.empty()) s["sha256"] = r.sha256_hex;
      j["streams"].push_back(s);
    }
  }
  j["connection"] = stats_json(rep.stats);
  j["paths"] = j["connection"]["paths"];
  j["connection"].erase("paths");
  j["socket"] = socket_json(rep.socket);
  return j;
}

void run(const ClientFlags& f) {
  auto die = [](const std::string& m, int code = 1) { fail_command("client", m, code); };
  std::optional<ParsedUrl> first;
  std::vector<HqRequest> reqs;
  for (const auto& u : f.urls) {
    auto p = parse_url(u);
    if (!p) die(p.error(), 2);
    if (first && (p->host != first->host || p->port != first->port)) {
      die(fmt::format("all URLs must name the same server ({}:{}); got {}", first->host, first->port, u), 2);
    }
    if (!first) first = *p;
    reqs.push_back(HqRequest{u, p->path, {}});
  }
  bool dir_mode = !f.output.empty() && f.output != "/dev/null" &&
                  (std::filesystem::is_directory(f.output) || f.output.back() == '/' || reqs.size() > 1);
  if (dir_mode) {
    std::error_code ec;
    std::filesystem::create_directories(f.output, ec);
    if (ec) die(fmt::format("--output {}: {}", f.output, ec.message()), 2);
  }
  for (auto& r : reqs) r.output_file = output_for(f, r.path, dir_mode);

  auto timeout = parse_duration(f.timeout);
  if (!timeout) die("--timeout: " + timeout.error(), 2);
  if (!make_congestion_controller(f.cc, CcConfig{1200})) {
    die(fmt::format("--cc {}: unknown (known: {})", f.cc, fmt::join(congestion_controller_names(), ", ")), 2);
  }
  ClientOptions o;
  auto remote = resolve_host(first->host, first->port);
  if (!remote) die(fmt::format("cannot resolve host '{}'", first->host));
  o.remote = *remote;
  if (!f.local.empty()) {
    auto l = SocketAddress::parse(f.local);
    if (!l) die(fmt::format("--local {}: expected ADDR or ADDR:PORT", f.local), 2);
    o.local = *l;
  }
  o.server_name = first->host.front() == '[' ? first->host.substr(1, first->host.size() - 2) : first->host;
  o.alpn = {f.alpn};
  o.insecure = f.insecure;
  o.ca_file = f.ca;
  o.congestion_controller = f.cc;
  o.qlog_dir = qlog_directory(f.qlog_dir);
  o.keylog_file = f.keylog;
  o.timeout = *timeout;
  o.key_update_after_packets = f.key_update_after;
  o.progress = !f.no_progress && ProgressBar::stderr_is_terminal();

  HqDownloadApp app(std::move(reqs), f.sha256);
  if (auto r = app.open_outputs(); !r) die(r.error());
  ClientReport rep = run_client(o, app);
  if (f.json) {
    fmt::print("{}\n", report_json(rep, &app).dump(2));
    std::fflush(stdout);
  }
  if (!rep.ok) die(rep.error);
  print_summary(f.json ? stderr : stdout, rep, app);
}

void setup_client(CLI::App& app) {
  auto f = std::make_shared<ClientFlags>();
  auto* cmd = app.add_subcommand("client", "download URLs over QUIC (hq-interop), one stream per URL");
  cmd->add_option("urls", f->urls, "https://HOST:PORT/path or quic://HOST:PORT/path (same server for all)")->required();
  cmd->add_option("-o,--output", f->output,
                  "FILE (one URL) or DIR (saved under the URL's file name); none or /dev/null discards");
  cmd->add_flag("-k,--insecure", f->insecure, "do not verify the server certificate");
  cmd->add_option("--ca", f->ca, "trust this CA / self-signed certificate (PEM)");
  cmd->add_option("--alpn", f->alpn, "ALPN to offer")->capture_default_str();
  cmd->add_option("--cc", f->cc, "congestion controller: cubic or reno")->capture_default_str();
  cmd->add_option("--qlog-dir", f->qlog_dir, "write <odcid>_client.sqlog here (also $QLOGDIR)");
  cmd->add_option("--keylog", f->keylog, "append NSS key-log lines (TLS secrets!) to this file");
  cmd->add_flag("--json", f->json, "print a JSON report on stdout (the summary goes to stderr)");
  cmd->add_flag("--sha256", f->sha256, "print the SHA-256 of each body");
  cmd->add_option("--timeout", f->timeout, "give up without a handshake or progress for this long")->capture_default_str();
  cmd->add_option("--local", f->local, "local ADDR[:PORT] to bind");
  cmd->add_option("--key-update-after", f->key_update_after, "initiate a key update every N packets");
  cmd->add_flag("--no-progress", f->no_progress, "never draw the progress bar");
  cmd->callback([f] { run(*f); });
}

}  // namespace

BRAID_SUBCOMMAND(client, "client", setup_client);

}  // namespace braid::tool

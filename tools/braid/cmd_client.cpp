// `braid client URL...`: downloads over hq-interop, one stream per URL on one connection,
// over extra paths from further local addresses (--path, --auto-paths), with a progress bar
// and per-path lines on a terminal, a summary, and --json for scripts.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "tools/braid/ack_frequency_flag.h"
#include "braid/congestion_controller.h"
#include "braid/path_scheduler.h"
#include "tools/braid/detection_flags.h"
#include "tools/braid/hq_client.h"
#include "tools/braid/local_path_flags.h"
#include "tools/braid/metrics_flag.h"
#include "tools/braid/path_actions.h"
#include "tools/braid/progress.h"
#include "tools/braid/subcommand.h"
#include "tools/braid/tool_support.h"
#include "tools/braid/units.h"

namespace braid::tool {

namespace {

struct ClientFlags {
  std::string ack_frequency = "on";
  std::vector<std::string> urls;
  std::string output, ca, alpn = "hq-interop", cc = "cubic", qlog_dir, keylog, timeout = "10s", local;
  std::vector<std::string> paths;
  std::vector<std::string> abandon_paths, open_paths, migrations, path_statuses;
  std::string scheduler, duplicate, reinject, rtt_cache, metrics;
  DetectionFlags detection;
  std::optional<std::string> datagram;
  bool insecure = false, json = false, sha256 = false, no_progress = false;
  LocalPathFlags local_paths;
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
    fmt::print(out,
               "path {} {} -> {} ({}, {}): {} of stream data, {:.1f} Mbit/s, smoothed RTT {:.3f} ms, min RTT {:.3f} ms, "
               "{} packets received, {} lost of {} sent\n",
               p.path_id, p.tuple.local.to_string(), p.tuple.remote.to_string(), path_state_name(p.state), path_health_name(p.health),
               format_bytes(p.stream_bytes_received), secs > 0 ? p.stream_bytes_received * 8 / secs / 1e6 : 0.0,
               to_ms(p.smoothed_rtt), to_ms(p.min_rtt), p.packets_received, p.packets_lost, p.packets_sent);
  }
  fmt::print(out, "{}, bonding {}; longest stall {:.1f} ms (at {:.2f} s)\n",
             rep.stats.multipath ? "multipath" : "single-path", bonding_state_name(rep.stats.bonding),
             to_ms(rep.longest_stall), std::chrono::duration<double>(rep.longest_stall_at).count());
  for (const auto& line : auto_path_lines(rep)) fmt::print(out, "{}\n", line);
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
  double transfer_s = app ? std::chrono::duration<double>(app->transfer_end() - app->transfer_start()).count() : 0;
  for (size_t i = 0; i < j["paths"].size() && i < rep.stats.paths.size(); ++i) {
    const auto& p = rep.stats.paths[i];
    j["paths"][i]["bytes"] = p.stream_bytes_received;
    j["paths"][i]["goodput_mbps"] = transfer_s > 0 ? p.stream_bytes_received * 8 / transfer_s / 1e6 : 0.0;
    j["paths"][i]["losses"] = p.packets_lost;
    j["paths"][i]["backup"] = p.backup;
  }
  j["multipath"] = rep.stats.multipath;
  j["bonding"] = std::string(bonding_state_name(rep.stats.bonding));
  j["longest_stall_ms"] = to_ms(rep.longest_stall);
  j["longest_stall_at_s"] = std::chrono::duration<double>(rep.longest_stall_at).count();
  j["path_events"] = nlohmann::json::array();
  for (const auto& e : rep.path_events) j["path_events"].push_back(path_event_json(e));
  if (!rep.path_warnings.empty()) j["path_warnings"] = rep.path_warnings;
  if (!rep.path_actions.empty()) {
    j["path_actions"] = nlohmann::json::array();
    for (const auto& a : rep.path_actions) {
      nlohmann::json x{{"action", a.spec}, {"done", a.done}};
      if (a.at) x["at_s"] = std::chrono::duration<double>(*a.at).count();
      if (a.path) x["path_id"] = *a.path;
      if (!a.error.empty()) x["error"] = a.error;
      j["path_actions"].push_back(x);
    }
  }
  if (rep.datagram_echo) j["datagram_echo"] = *rep.datagram_echo;
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
  check_cc_flag("client", f.cc);
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
  o.ack_frequency = f.ack_frequency == "on";
  o.qlog_dir = qlog_directory(f.qlog_dir);
  o.keylog_file = f.keylog;
  o.timeout = *timeout;
  o.key_update_after_packets = f.key_update_after;
  o.progress = !f.no_progress && ProgressBar::stderr_is_terminal();
  o.path_lines = true;
  if (!f.scheduler.empty()) o.scheduler = scheduler_flag("client", f.scheduler);
  if (!f.duplicate.empty()) o.duplication = duplicate_flag("client", f.duplicate);
  if (!f.reinject.empty()) o.reinjection = reinject_flag("client", f.reinject);
  o.failure_detection = detection_config("client", f.detection);
  o.rtt_priors = load_rtt_cache_flag("client", f.rtt_cache);
  for (const auto& spec : f.paths) {
    auto p = parse_path_spec(spec, o.remote);
    if (!p) die("--path " + spec + ": " + p.error(), 2);
    o.extra_paths.push_back(*p);
  }
  auto add_actions = [&](const std::vector<std::string>& specs, const char* flag, auto parse) {
    for (const auto& spec : specs) {
      auto a = parse(spec);
      if (!a) die(fmt::format("{} {}: {}", flag, spec, a.error()), 2);
      o.path_actions.push_back(*a);
    }
  };
  add_actions(f.abandon_paths, "--abandon-path", parse_abandon_path);
  add_actions(f.open_paths, "--open-path", parse_open_path);
  add_actions(f.migrations, "--migrate", parse_migrate);
  add_actions(f.path_statuses, "--path-status", parse_path_status);
  apply_local_path_flags(f.local_paths, o, "client");
  o.datagram = f.datagram;

  HqDownloadApp app(std::move(reqs), f.sha256);
  if (auto r = app.open_outputs(); !r) die(r.error());
  // Lives until the command returns: scrapes after the download see its final numbers.
  auto exporter = start_metrics_flag("client", f.metrics);
  ConnectionMetrics metrics("client", exporter.get());
  if (metrics.enabled()) o.metrics = &metrics;
  ClientReport rep = run_client(o, app);
  if (o.rtt_priors) save_rtt_cache_flag("client", f.rtt_cache, *o.rtt_priors);
  if (f.json) {
    fmt::print("{}\n", report_json(rep, &app).dump(2));
    std::fflush(stdout);
  }
  for (const auto& w : rep.path_warnings) fmt::print(stderr, "braid client: warning: {}\n", w);
  if (rep.datagram_echo) fmt::print(f.json ? stderr : stdout, "datagram echo: \"{}\"\n", *rep.datagram_echo);
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
  cmd->add_option("--cc", f->cc, "congestion controller (" + cc_names_text() + ")")->capture_default_str();
  cmd->add_option("--qlog-dir", f->qlog_dir, "write <odcid>_client.sqlog here (also $QLOGDIR)");
  cmd->add_option("--keylog", f->keylog, "append NSS key-log lines (TLS secrets!) to this file");
  cmd->add_flag("--json", f->json, "print a JSON report on stdout (the summary goes to stderr)");
  cmd->add_flag("--sha256", f->sha256, "print the SHA-256 of each body");
  cmd->add_option("--timeout", f->timeout, "give up without a handshake or progress for this long")->capture_default_str();
  cmd->add_option("--local", f->local, "local ADDR[:PORT] to bind");
  cmd->add_option("--key-update-after", f->key_update_after, "initiate a key update every N packets");
  cmd->add_flag("--no-progress", f->no_progress, "never draw the progress bar");
  cmd->add_option("--path", f->paths,
                  "extra path LOCAL[=REMOTE] (repeatable): from local ADDR[:PORT], to REMOTE (default: the server)");
  cmd->add_option("--abandon-path", f->abandon_paths,
                  "ID@WHEN (repeatable): abandon path ID at a time after the handshake (2s) or after N bytes (10M)");
  cmd->add_option("--open-path", f->open_paths,
                  "LOCAL[=REMOTE]@WHEN (repeatable): open a path from LOCAL at a time or after N bytes");
  cmd->add_option("--migrate", f->migrations,
                  "LOCAL@WHEN (repeatable): move the connection to local address LOCAL (probed first)");
  cmd->add_option("--path-status", f->path_statuses,
                  "ID=backup|available@WHEN (repeatable): change path ID's status at a time or after N bytes");
  add_local_path_flags(cmd, f->local_paths);
  cmd->add_option("--duplicate", f->duplicate,
                  "duplication of what the client sends: off, or always,datagrams,first=BYTES,suspect,copies=N");
  cmd->add_option("--reinject", f->reinject, "reinjection: on, off, or delay=,max=,queue=,interval=,prefer=");
  add_detection_flags(cmd, f->detection);
  add_ack_frequency_flag(cmd, f->ack_frequency);
  cmd->add_option("--rtt-cache", f->rtt_cache,
                  "FILE of RTT priors: a new path's first RTT comes from earlier runs (read at start, written at exit)");
  cmd->add_option("--scheduler", f->scheduler,
                  fmt::format("multipath scheduler NAME[:k=v,...]: {} (default minrtt; docs/schedulers.md)",
                              fmt::join(path_scheduler_names(), ", ")));
  cmd->add_option("--datagram", f->datagram, "send MSG as a DATAGRAM after the handshake and wait for its echo");
  add_metrics_flag(cmd, f->metrics);
  cmd->callback([f] { run(*f); });
}

}  // namespace

BRAID_SUBCOMMAND(client, "client", setup_client);

}  // namespace braid::tool

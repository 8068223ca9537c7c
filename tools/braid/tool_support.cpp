// Shared helpers of the networking subcommands.
#include "tools/braid/tool_support.h"

#include "braid/congestion_controller.h"
#include "braid/path_scheduler.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fmt/format.h>
#include <gnutls/gnutls.h>

#include <atomic>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>

namespace braid::tool {

void fail_command(const std::string& cmd, const std::string& msg, int exit_code) {
  std::fflush(stdout);
  fmt::print(stderr, "braid {}: {}\n", cmd, msg);
  throw CLI::RuntimeError(exit_code);
}

namespace {
std::atomic<io::EventLoop*> g_stop_loop{nullptr};
std::atomic<bool> g_stop_received{false};
extern "C" void on_stop_signal(int) {
  g_stop_received.store(true);
  if (auto* l = g_stop_loop.load()) l->stop();
}
}  // namespace

void stop_loop_on_signals(io::EventLoop* loop) {
  g_stop_loop.store(loop);
  std::signal(SIGINT, loop ? on_stop_signal : SIG_DFL);
  std::signal(SIGTERM, loop ? on_stop_signal : SIG_DFL);
}

bool stop_signal_received() { return g_stop_received.load(); }

std::function<void(const std::string&)> keylog_to_file(const std::string& path) {
  if (path.empty()) return {};
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (!f) throw std::runtime_error(fmt::format("cannot open key log file {}", path));
  struct File {
    std::FILE* f;
    std::mutex m;
    ~File() { std::fclose(f); }
  };
  auto file = std::make_shared<File>();
  file->f = f;
  return [file](const std::string& line) {
    std::lock_guard lock(file->m);
    std::fputs(line.c_str(), file->f);
    if (line.empty() || line.back() != '\n') std::fputc('\n', file->f);
    std::fflush(file->f);
  };
}

std::string qlog_directory(const std::string& flag) {
  std::string dir = flag;
  if (dir.empty()) {
    if (const char* env = std::getenv("QLOGDIR")) dir = env;
  }
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
  }
  return dir;
}

std::string describe_error(const ApiError& e) {
  return fmt::format("{}: {}", api_error_name(e.code), e.reason);
}

std::string describe_error(const TransportError& e) {
  std::string s;
  if (e.application) {
    s = fmt::format("application error 0x{:x}", e.code);
  } else if (e.code >= 0x100 && e.code <= 0x1ff) {
    auto alert = static_cast<gnutls_alert_description_t>(e.code - 0x100);
    // "GNUTLS_A_BAD_CERTIFICATE" -> "bad_certificate", the RFC 8446 spelling.
    std::string name = gnutls_alert_get_strname(alert) ? gnutls_alert_get_strname(alert) : "unknown";
    if (name.starts_with("GNUTLS_A_")) name = name.substr(9);
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    s = fmt::format("CRYPTO_ERROR 0x{:x} (TLS alert {})", e.code, name);
  } else {
    s = fmt::format("{} (0x{:x})", error_code_name(e.code), e.code);
  }
  if (!e.reason.empty()) s += ": " + e.reason;
  return s;
}

double to_ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::string format_bytes(uint64_t b) {
  if (b >= (1ull << 30)) return fmt::format("{:.2f} GiB", b / double(1ull << 30));
  if (b >= (1ull << 20)) return fmt::format("{:.1f} MiB", b / double(1ull << 20));
  if (b >= (1ull << 10)) return fmt::format("{:.1f} KiB", b / double(1ull << 10));
  return fmt::format("{} B", b);
}

nlohmann::json stats_json(const ConnectionStats& s) {
  nlohmann::json j;
  j["packets_sent"] = s.packets_sent;
  j["packets_received"] = s.packets_received;
  j["packets_lost"] = s.packets_lost;
  j["packets_dropped"] = s.packets_dropped;
  j["bytes_sent"] = s.bytes_sent;
  j["bytes_received"] = s.bytes_received;
  j["stream_bytes_sent"] = s.stream_bytes_sent;
  j["stream_bytes_received"] = s.stream_bytes_received;
  j["spurious_losses"] = s.spurious_losses;
  j["key_updates"] = s.key_updates;
  j["ack_frames_sent"] = s.ack_frames_sent;
  j["ack_frames_received"] = s.ack_frames_received;
  j["ack_frequency"] = s.ack_frequency;
  j["ack_frequency_frames_sent"] = s.ack_frequency_frames_sent;
  j["peer_ack_eliciting_threshold"] = s.peer_ack_eliciting_threshold;
  j["peer_requested_max_ack_delay_ms"] = static_cast<double>(to_us(s.peer_requested_max_ack_delay)) / 1000.0;
  j["quic_version"] = fmt::format("0x{:08x}", s.version);
  j["address_advertisement"] = s.address_advertisement;
  j["advertised_addresses"] = nlohmann::json::array();
  for (const auto& a : s.advertised_addresses) j["advertised_addresses"].push_back(a.to_string());
  j["paths"] = nlohmann::json::array();
  for (const auto& p : s.paths) {
    j["paths"].push_back({
        {"path_id", p.path_id},
        {"local", p.tuple.local.to_string()},
        {"remote", p.tuple.remote.to_string()},
        {"state", std::string(path_state_name(p.state))},
        {"smoothed_rtt_ms", to_ms(p.smoothed_rtt)},
        {"min_rtt_ms", to_ms(p.min_rtt)},
        {"latest_rtt_ms", to_ms(p.latest_rtt)},
        {"rtt_variance_ms", to_ms(p.rtt_variance)},
        {"congestion_window", p.congestion_window},
        {"congestion_controller", p.congestion_controller},
        {"cc_state", std::string(cc_state_name(p.cc_state))},
        {"pacing_rate_mbps", static_cast<double>(p.pacing_rate_bytes_per_second) * 8 / 1e6},
        {"delivery_rate_mbps", static_cast<double>(p.delivery_rate_bytes_per_second) * 8 / 1e6},
        {"bytes_in_flight", p.bytes_in_flight},
        {"packets_sent", p.packets_sent},
        {"packets_received", p.packets_received},
        {"packets_lost", p.packets_lost},
        {"packets_missing", p.packets_missing},
        {"bytes_sent", p.bytes_sent},
        {"bytes_received", p.bytes_received},
        {"stream_bytes_sent", p.stream_bytes_sent},
        {"stream_bytes_received", p.stream_bytes_received},
        {"mtu", p.max_datagram_size},
        {"health", std::string(path_health_name(p.health))},
        {"failure_detector", p.failure_detector},
        {"suspicions", p.suspicions},
        {"failures", p.failures},
        {"recoveries", p.recoveries},
        {"probes_sent", p.probes_sent},
    });
  }
  return j;
}

nlohmann::json socket_json(const io::UdpSocketCounters& c) {
  return {
      {"send_syscalls", c.send_syscalls},
      {"datagrams_sent", c.datagrams_sent},
      {"gso_batches_sent", c.gso_batches_sent},
      {"send_errors", c.send_errors},
      {"recv_syscalls", c.recv_syscalls},
      {"datagrams_received", c.datagrams_received},
      {"gro_batches_received", c.gro_batches_received},
      {"gro_coalesced_datagrams", c.gro_coalesced_datagrams},
  };
}

PluginSpec scheduler_flag(const std::string& cmd, const std::string& text) {
  auto spec = parse_scheduler_config(text);
  if (!spec) fail_command(cmd, fmt::format("--scheduler {}: {}", text, spec.error()), 2);
  return *spec;
}

std::string cc_names_text() { return fmt::format("{}", fmt::join(congestion_controller_names(), ", ")); }

void check_cc_flag(const std::string& cmd, const std::string& name) {
  auto names = congestion_controller_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    fail_command(cmd, fmt::format("--cc {}: unknown congestion controller (known: {})", name, fmt::join(names, ", ")), 2);
  }
}

DuplicationConfig duplicate_flag(const std::string& cmd, const std::string& text) {
  auto d = parse_duplication_policy(text);
  if (!d) fail_command(cmd, fmt::format("--duplicate {}: {}", text, d.error()), 2);
  return *d;
}

ReinjectionConfig reinject_flag(const std::string& cmd, const std::string& text) {
  auto r = parse_reinjection_policy(text);
  if (!r) fail_command(cmd, fmt::format("--reinject {}: {}", text, r.error()), 2);
  return *r;
}

}  // namespace braid::tool

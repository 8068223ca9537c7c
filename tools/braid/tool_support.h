// Pieces every networking subcommand shares: failure reporting, stop signals, key-log and
// qlog destinations, error descriptions, and the JSON form of connection statistics.
#pragma once
#include "braid/config.h"
#include "braid/plugin_params.h"
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>

#include "braid/connection.h"
#include "io/event_loop.h"
#include "io/udp_socket.h"

namespace braid::tool {

// Prints "braid <cmd>: <msg>" to stderr and ends the subcommand with `exit_code`.
[[noreturn]] void fail_command(const std::string& cmd, const std::string& msg, int exit_code = 1);
// --scheduler NAME[:k=v,...] and --cc NAME checked at start-up; bad values end the command
// with exit code 2 and the list of known names.
PluginSpec scheduler_flag(const std::string& cmd, const std::string& text);
// The registered congestion controllers, comma-separated (for help texts).
std::string cc_names_text();
void check_cc_flag(const std::string& cmd, const std::string& name);
// --duplicate POLICY and --reinject POLICY (config.h text forms), exit code 2 when bad.
DuplicationConfig duplicate_flag(const std::string& cmd, const std::string& text);
ReinjectionConfig reinject_flag(const std::string& cmd, const std::string& text);

// SIGINT/SIGTERM stop `loop` (nullptr: restore the default action).
void stop_loop_on_signals(io::EventLoop* loop);
bool stop_signal_received();

// NSS key-log sink appending to `path` (empty path: no key logging, returns empty function).
std::function<void(const std::string&)> keylog_to_file(const std::string& path);

// --qlog-dir, else $QLOGDIR, else empty; the directory is created when missing.
std::string qlog_directory(const std::string& flag);

// "CRYPTO_ERROR 0x12a (TLS alert bad_certificate): reason", "APPLICATION 0x2: reason", ...
std::string describe_error(const TransportError& e);
// "not_ready: handshake not confirmed yet" (an application call the connection refused).
std::string describe_error(const ApiError& e);

// Human and machine forms of statistics.
nlohmann::json stats_json(const ConnectionStats& s);
nlohmann::json socket_json(const io::UdpSocketCounters& c);
double to_ms(Duration d);
std::string format_bytes(uint64_t bytes);  // "20.0 MiB"

}  // namespace braid::tool

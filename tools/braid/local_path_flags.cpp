#include "tools/braid/local_path_flags.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "tools/braid/tool_support.h"

namespace braid::tool {

void add_local_path_flags(CLI::App* cmd, LocalPathFlags& f) {
  cmd->add_flag("--auto-paths", f.auto_paths,
                "also a path from every other local address of the server's family, following interfaces as they "
                "come and go (a path opens when an address appears, is abandoned when it goes)");
  cmd->add_flag("--use-advertised", f.use_advertised,
                "accept the server's address advertisement and open a path to every further address it tells "
                "(braid servers with --advertise)");
  cmd->add_option("--socket-mode", f.socket_mode,
                  "per-address: one UDP socket bound to each local address; pktinfo: one wildcard socket, the source "
                  "address chosen per packet (IP_PKTINFO)")->capture_default_str();
}

void apply_local_path_flags(const LocalPathFlags& f, ClientOptions& o, const std::string& cmd) {
  o.auto_paths = f.auto_paths;
  o.use_advertised = f.use_advertised;
  auto mode = io::parse_socket_mode(f.socket_mode);
  if (!mode) fail_command(cmd, fmt::format("--socket-mode {}: expected per-address or pktinfo", f.socket_mode), 2);
  o.socket_mode = *mode;
}

}  // namespace braid::tool

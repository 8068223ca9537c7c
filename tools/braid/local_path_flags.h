// Local-address flags shared by `braid client` and `braid send`: --auto-paths (follow the
// host's interfaces), --use-advertised (paths to the server addresses it advertises) and
// --socket-mode per-address|pktinfo.
#pragma once
#include <string>

#include "tools/braid/client_runner.h"

namespace CLI {
class App;
}

namespace braid::tool {

struct LocalPathFlags {
  bool auto_paths = false;
  bool use_advertised = false;
  std::string socket_mode = "per-address";
};

void add_local_path_flags(CLI::App* cmd, LocalPathFlags& f);
// Puts the flags into `o`; a bad --socket-mode ends `cmd` with exit code 2.
void apply_local_path_flags(const LocalPathFlags& f, ClientOptions& o, const std::string& cmd);

}  // namespace braid::tool

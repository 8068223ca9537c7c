// Entry point of the `braid` command line: dispatches to the registered subcommands.
#include <algorithm>

#include "tools/braid/subcommand.h"

namespace braid::tool {
std::vector<Subcommand>& subcommands() {
  static std::vector<Subcommand> list;
  return list;
}
}  // namespace braid::tool

int main(int argc, char** argv) {
  CLI::App app{"braid: multipath QUIC transport tools"};
  app.require_subcommand(1);
  auto& cmds = braid::tool::subcommands();
  std::sort(cmds.begin(), cmds.end(), [](auto& a, auto& b) { return a.name < b.name; });
  for (auto& c : cmds) c.setup(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}

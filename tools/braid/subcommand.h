// Subcommand registration for the `braid` tool: each tools/braid/cmd_*.cpp file registers
// itself with BRAID_SUBCOMMAND, so adding a command never touches main.cpp.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace braid::tool {

struct Subcommand {
  std::string name;
  // Adds the subcommand to `app` with its flags and a callback. The callback reports
  // failure by throwing CLI::RuntimeError(exit_code) after printing a clear message.
  std::function<void(CLI::App& app)> setup;
};

std::vector<Subcommand>& subcommands();

struct SubcommandRegistrar {
  SubcommandRegistrar(std::string name, std::function<void(CLI::App&)> setup) {
    subcommands().push_back({std::move(name), std::move(setup)});
  }
};

#define BRAID_SUBCOMMAND(ident, name, fn) \
  static ::braid::tool::SubcommandRegistrar braid_subcommand_##ident{name, fn}

}  // namespace braid::tool

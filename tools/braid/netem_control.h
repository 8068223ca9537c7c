// The text commands `braid netem` takes on stdin and its control socket ("down 1",
// "rate all 10M up", "rebind 0", "stats"), parsed into typed relay commands.
#pragma once
#include <expected>
#include <string>
#include <string_view>

#include "netem/relay.h"

namespace braid::tool {

extern const char* const kControlUsage;

std::expected<netem::ControlCommand, std::string> parse_control_line(std::string_view line);

}  // namespace braid::tool

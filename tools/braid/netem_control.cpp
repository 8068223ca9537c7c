// Parsing of `braid netem` control lines (see netem_control.h).
#include "tools/braid/netem_control.h"

#include <fmt/format.h>

#include <charconv>
#include <map>
#include <sstream>
#include <vector>

#include "tools/braid/units.h"

namespace braid::tool {

using netem::ControlCommand;
using netem::Direction;

const char* const kControlUsage =
    "commands: down P | up P | rate P 10M [up|down] | delay P 30ms [up|down] | loss P 1% [up|down] | rebind P | stats "
    "(P: path number or 'all')";

std::expected<ControlCommand, std::string> parse_control_line(std::string_view line) {
  std::istringstream in{std::string(line)};
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  if (words.empty()) return std::unexpected(kControlUsage);
  ControlCommand c;
  const std::string& verb = words[0];
  if (verb == "stats" && words.size() == 1) return c;
  static const std::map<std::string, std::pair<ControlCommand::Kind, size_t>> verbs = {
      {"down", {ControlCommand::Kind::kDown, 2}},  {"up", {ControlCommand::Kind::kUp, 2}},
      {"rate", {ControlCommand::Kind::kRate, 3}},  {"delay", {ControlCommand::Kind::kDelay, 3}},
      {"loss", {ControlCommand::Kind::kLoss, 3}},  {"rebind", {ControlCommand::Kind::kRebind, 2}}};
  auto it = verbs.find(verb);
  if (it == verbs.end()) return std::unexpected(fmt::format("unknown command '{}'; {}", verb, kControlUsage));
  if (words.size() < it->second.second || words.size() > it->second.second + 1) {
    return std::unexpected(fmt::format("wrong number of arguments to '{}'; {}", verb, kControlUsage));
  }
  c.kind = it->second.first;
  if (words[1] != "all") {
    size_t path = 0;
    auto [ptr, ec] = std::from_chars(words[1].data(), words[1].data() + words[1].size(), path);
    if (ec != std::errc{} || ptr != words[1].data() + words[1].size()) {
      return std::unexpected(fmt::format("'{}' is not a path number", words[1]));
    }
    c.path = path;
  }
  if (words.size() == it->second.second + 1) {
    const std::string& dir = words.back();
    if (dir == "up") c.direction = Direction::kUp;
    else if (dir == "down") c.direction = Direction::kDown;
    else return std::unexpected(fmt::format("'{}' is not a direction (up or down)", dir));
  }
  if (c.kind == ControlCommand::Kind::kRate) {
    auto r = parse_rate(words[2]);
    if (!r) return std::unexpected(r.error());
    c.rate_bps = *r;
  } else if (c.kind == ControlCommand::Kind::kDelay) {
    auto d = parse_duration(words[2]);
    if (!d) return std::unexpected(d.error());
    c.delay = *d;
  } else if (c.kind == ControlCommand::Kind::kLoss) {
    auto p = parse_fraction(words[2]);
    if (!p) return std::unexpected(p.error());
    c.loss = *p;
  }
  return c;
}

}  // namespace braid::tool

// Named plugins with parameters: "NAME" or "NAME:key=value,key=value" picks a scheduler (or
// another plugin) and tunes it. Parsing the text and reading typed values live here so every
// plugin rejects unknown keys and bad values the same way, at configuration time.
#pragma once
#include <cstdint>
#include <expected>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "braid/time.h"

namespace braid {

using PluginParams = std::map<std::string, std::string, std::less<>>;

// A plugin chosen by name plus its parameters. Implicit from a bare name, so
// `cfg.scheduler = "rr"` reads naturally; parse_plugin_spec() handles "rr:quota=4".
struct PluginSpec {
  std::string name;
  PluginParams params;
  PluginSpec() = default;
  PluginSpec(std::string n) : name(std::move(n)) {}            // NOLINT: implicit on purpose
  PluginSpec(const char* n) : name(n) {}                       // NOLINT
  PluginSpec(std::string n, PluginParams p) : name(std::move(n)), params(std::move(p)) {}
  std::string to_string() const;                               // back to "name:k=v,..."
  bool operator==(const PluginSpec&) const = default;
};

// "NAME[:k=v,...]". Errors name the offending piece.
std::expected<PluginSpec, std::string> parse_plugin_spec(std::string_view text);

// Typed reads of a parameter map. Every key read is remembered; finish() reports keys no
// read asked for (typos), and any bad value read before, as one message.
class ParamReader {
 public:
  ParamReader(std::string_view plugin, const PluginParams& params) : plugin_(plugin), params_(params) {}
  double number(std::string_view key, double fallback, double min, double max);
  uint64_t count(std::string_view key, uint64_t fallback, uint64_t min, uint64_t max);
  Duration duration(std::string_view key, Duration fallback);   // "25ms", "1s", "500us"; bare = ms
  bool flag(std::string_view key, bool fallback);
  std::string text(std::string_view key, std::string fallback);
  std::expected<void, std::string> finish() const;

 private:
  const std::string* find(std::string_view key);
  void bad(std::string_view key, std::string_view why);
  std::string plugin_;
  const PluginParams& params_;
  std::set<std::string, std::less<>> read_;
  std::string error_;
};

}  // namespace braid

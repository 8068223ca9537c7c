// Text forms of the duplication and reinjection policies (CLI flags, scenario keys).
#include <fmt/format.h>

#include "braid/config.h"

namespace braid {

namespace {
// "a,b=1,c" → {a: "true", b: "1", c: "true"}; "off" alone → empty.
std::expected<PluginParams, std::string> items(std::string_view what, std::string_view text) {
  PluginParams out;
  if (text == "off" || text == "none") return out;
  auto spec = parse_plugin_spec(fmt::format("{}:{}", what, text));
  if (spec) return spec->params;
  // Bare words: parse again with each word turned into word=true.
  std::string rebuilt;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (!rebuilt.empty()) rebuilt += ',';
    rebuilt += item.find('=') == std::string_view::npos ? fmt::format("{}=true", item) : std::string(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  auto again = parse_plugin_spec(fmt::format("{}:{}", what, rebuilt));
  if (!again) return std::unexpected(fmt::format("{} policy '{}': {}", what, text, again.error()));
  return again->params;
}
}  // namespace

std::expected<DuplicationConfig, std::string> parse_duplication_policy(std::string_view text) {
  auto p = items("duplicate", text);
  if (!p) return std::unexpected(p.error());
  DuplicationConfig d;
  ParamReader r("duplicate", *p);
  d.always = r.flag("always", false);
  d.datagrams = r.flag("datagrams", false);
  d.first_bytes = r.count("first", 0, 0, uint64_t{1} << 40);
  d.while_potentially_failed = r.flag("suspect", false);
  d.copies = static_cast<size_t>(r.count("copies", 1, 1, 7));
  if (auto ok = r.finish(); !ok) return std::unexpected(ok.error());
  return d;
}

std::expected<ReinjectionConfig, std::string> parse_reinjection_policy(std::string_view text) {
  ReinjectionConfig c;
  if (text == "off" || text == "none") {
    c.enabled = false;
    return c;
  }
  if (text == "on" || text == "default") return c;
  auto p = items("reinject", text);
  if (!p) return std::unexpected(p.error());
  ParamReader r("reinject", *p);
  c.delay = r.duration("delay", c.delay);
  c.max_per_frame = static_cast<uint32_t>(r.count("max", c.max_per_frame, 1, 16));
  c.queue_limit = static_cast<size_t>(r.count("queue", c.queue_limit, 1, 1u << 20));
  c.min_interval = r.duration("interval", c.min_interval);
  std::string prefer = r.text("prefer", "");
  if (auto ok = r.finish(); !ok) return std::unexpected(ok.error());
  size_t start = 0;
  while (!prefer.empty() && start <= prefer.size()) {
    size_t plus = prefer.find('+', start);
    std::string id = prefer.substr(start, plus == std::string::npos ? std::string::npos : plus - start);
    PluginParams one{{"prefer", id}};
    ParamReader pr("reinject", one);
    auto v = pr.count("prefer", UINT64_MAX, 0, UINT32_MAX);
    if (auto ok = pr.finish(); !ok || v == UINT64_MAX) {
      return std::unexpected(fmt::format("reinject: prefer={} is not a list of path IDs (e.g. prefer=2+1)", prefer));
    }
    c.preferred.push_back(static_cast<PathId>(v));
    if (plus == std::string::npos) break;
    start = plus + 1;
  }
  return c;
}

}  // namespace braid

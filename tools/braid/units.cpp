// Quantity parsers shared by the subcommands.
#include "units.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace braid::tool {

namespace {

struct Number {
  double value;
  std::string suffix;  // lower-cased, surrounding spaces removed
};

std::expected<Number, std::string> split_number(std::string_view text, std::string_view what) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || !std::isfinite(v)) {
    return std::unexpected(fmt::format("'{}' is not a {}: it must start with a number", text, what));
  }
  if (v < 0) return std::unexpected(fmt::format("'{}' is not a {}: it must not be negative", text, what));
  std::string suffix(ptr, text.data() + text.size());
  std::erase_if(suffix, [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
  std::transform(suffix.begin(), suffix.end(), suffix.begin(), [](unsigned char c) { return std::tolower(c); });
  return Number{v, suffix};
}

struct Unit {
  std::string_view name;
  double factor;
};

template <size_t N>
const Unit* find_unit(const Unit (&units)[N], std::string_view suffix) {
  for (const auto& u : units) {
    if (u.name == suffix) return &u;
  }
  return nullptr;
}

std::expected<uint64_t, std::string> to_integer(double v, std::string_view text, std::string_view what) {
  if (v >= 1.8e19) return std::unexpected(fmt::format("'{}' is too large for a {}", text, what));
  return static_cast<uint64_t>(v);
}

}  // namespace

std::expected<uint64_t, std::string> parse_size(std::string_view text) {
  static constexpr Unit units[] = {
      {"", 1},        {"b", 1},          {"k", 1024},    {"kib", 1024},   {"kb", 1e3},
      {"m", 1 << 20}, {"mib", 1 << 20},  {"mb", 1e6},    {"g", 1 << 30},  {"gib", 1 << 30},
      {"gb", 1e9},    {"t", 1099511627776.0}, {"tib", 1099511627776.0}, {"tb", 1e12}};
  auto n = split_number(text, "size");
  if (!n) return std::unexpected(n.error());
  const Unit* u = find_unit(units, n->suffix);
  if (!u) {
    return std::unexpected(fmt::format("'{}' has an unknown size unit '{}' (use B, K, M, G, KiB..., or KB...)",
                                       text, n->suffix));
  }
  return to_integer(n->value * u->factor, text, "size");
}

std::expected<uint64_t, std::string> parse_rate(std::string_view text) {
  auto n = split_number(text, "rate");
  if (!n) return std::unexpected(n.error());
  std::string_view s = n->suffix;
  double factor = 1;
  if (!s.empty() && (s.front() == 'k' || s.front() == 'm' || s.front() == 'g' || s.front() == 't')) {
    factor = s.front() == 'k' ? 1e3 : s.front() == 'm' ? 1e6 : s.front() == 'g' ? 1e9 : 1e12;
    s.remove_prefix(1);
  }
  if (!(s.empty() || s == "bit" || s == "bps" || s == "b/s" || s == "bit/s" || s == "bits")) {
    return std::unexpected(fmt::format("'{}' has an unknown rate unit '{}' (bits per second: 500K, 40M, 1G, "
                                       "optionally followed by bit, bps or b/s)", text, n->suffix));
  }
  return to_integer(n->value * factor, text, "rate");
}

std::expected<Duration, std::string> parse_duration(std::string_view text) {
  static constexpr Unit units[] = {{"ns", 1},         {"us", 1e3},         {"µs", 1e3},
                                   {"ms", 1e6},       {"s", 1e9},          {"sec", 1e9},
                                   {"m", 60e9},       {"min", 60e9},       {"h", 3600e9}};
  auto n = split_number(text, "duration");
  if (!n) return std::unexpected(n.error());
  if (n->suffix.empty()) {
    return std::unexpected(fmt::format("'{}' needs a unit (ns, us, ms, s, m, h), e.g. 500ms or 2s", text));
  }
  const Unit* u = find_unit(units, n->suffix);
  if (!u) return std::unexpected(fmt::format("'{}' has an unknown duration unit '{}' (ns, us, ms, s, m, h)", text, n->suffix));
  double ns = n->value * u->factor;
  if (ns >= 9.2e18) return std::unexpected(fmt::format("'{}' is too long", text));
  return Duration{static_cast<int64_t>(std::llround(ns))};
}

std::expected<double, std::string> parse_fraction(std::string_view text) {
  auto n = split_number(text, "probability");
  if (!n) return std::unexpected(n.error());
  double v = n->value;
  if (n->suffix == "%") v /= 100;
  else if (!n->suffix.empty()) return std::unexpected(fmt::format("'{}' is not a probability (use 0.01 or 1%)", text));
  if (v > 1) return std::unexpected(fmt::format("'{}' is more than 1 (100%)", text));
  return v;
}

}  // namespace braid::tool

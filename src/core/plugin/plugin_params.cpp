// Parsing "NAME:k=v,..." plugin specs and typed, checked reads of their parameters.
#include "braid/plugin_params.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <vector>

namespace braid {

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
bool valid_word(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.';
    if (!ok) return false;
  }
  return true;
}
}  // namespace

std::string PluginSpec::to_string() const {
  std::string out = name;
  char sep = ':';
  for (auto& [k, v] : params) {
    out += sep;
    out += k;
    out += '=';
    out += v;
    sep = ',';
  }
  return out;
}

std::expected<PluginSpec, std::string> parse_plugin_spec(std::string_view text) {
  text = trim(text);
  auto colon = text.find(':');
  std::string_view name = trim(text.substr(0, colon));
  if (!valid_word(name)) return std::unexpected(fmt::format("'{}': expected NAME or NAME:key=value,...", text));
  PluginSpec spec{std::string(name)};
  if (colon == std::string_view::npos) return spec;
  std::string_view rest = text.substr(colon + 1);
  while (true) {
    auto comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      return std::unexpected(fmt::format("'{}': parameter '{}' is not key=value", text, item));
    }
    std::string_view key = trim(item.substr(0, eq)), value = trim(item.substr(eq + 1));
    if (!valid_word(key) || value.empty()) {
      return std::unexpected(fmt::format("'{}': parameter '{}' is not key=value", text, item));
    }
    if (!spec.params.emplace(std::string(key), std::string(value)).second) {
      return std::unexpected(fmt::format("'{}': parameter '{}' given twice", text, key));
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return spec;
}

const std::string* ParamReader::find(std::string_view key) {
  read_.insert(std::string(key));
  auto it = params_.find(key);
  return it == params_.end() ? nullptr : &it->second;
}

void ParamReader::bad(std::string_view key, std::string_view why) {
  if (!error_.empty()) error_ += "; ";
  error_ += fmt::format("{}: parameter {}={} {}", plugin_, key, params_.find(key)->second, why);
}

double ParamReader::number(std::string_view key, double fallback, double min, double max) {
  auto* v = find(key);
  if (!v) return fallback;
  double d = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), d);
  if (ec != std::errc() || ptr != v->data() + v->size() || !std::isfinite(d)) {
    bad(key, "is not a number");
    return fallback;
  }
  if (d < min || d > max) {
    bad(key, fmt::format("is outside [{}, {}]", min, max));
    return fallback;
  }
  return d;
}

uint64_t ParamReader::count(std::string_view key, uint64_t fallback, uint64_t min, uint64_t max) {
  auto* v = find(key);
  if (!v) return fallback;
  uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || ptr != v->data() + v->size()) {
    bad(key, "is not a whole number");
    return fallback;
  }
  if (n < min || n > max) {
    bad(key, fmt::format("is outside [{}, {}]", min, max));
    return fallback;
  }
  return n;
}

Duration ParamReader::duration(std::string_view key, Duration fallback) {
  auto* v = find(key);
  if (!v) return fallback;
  double d = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), d);
  std::string_view unit(ptr, v->data() + v->size());
  double scale = 0;   // to microseconds
  if (unit.empty() || unit == "ms") scale = 1e3;
  else if (unit == "us") scale = 1;
  else if (unit == "s") scale = 1e6;
  if (ec != std::errc() || scale == 0 || !std::isfinite(d) || d < 0 || d > 3.6e3 * 1e6 / scale) {
    bad(key, "is not a duration (e.g. 25ms, 1s, 500us)");
    return fallback;
  }
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::micro>(d * scale));
}

bool ParamReader::flag(std::string_view key, bool fallback) {
  auto* v = find(key);
  if (!v) return fallback;
  if (*v == "1" || *v == "true" || *v == "yes" || *v == "on") return true;
  if (*v == "0" || *v == "false" || *v == "no" || *v == "off") return false;
  bad(key, "is not true/false");
  return fallback;
}

std::string ParamReader::text(std::string_view key, std::string fallback) {
  auto* v = find(key);
  return v ? *v : fallback;
}

std::expected<void, std::string> ParamReader::finish() const {
  std::string err = error_;
  std::vector<std::string> unknown;
  for (auto& [k, v] : params_) {
    if (!read_.count(k)) unknown.push_back(k);
  }
  if (!unknown.empty()) {
    if (!err.empty()) err += "; ";
    std::vector<std::string> known(read_.begin(), read_.end());
    err += fmt::format("{}: unknown parameter{} {} (known: {})", plugin_, unknown.size() > 1 ? "s" : "",
                       fmt::join(unknown, ", "), known.empty() ? "none" : fmt::format("{}", fmt::join(known, ", ")));
  }
  if (!err.empty()) return std::unexpected(err);
  return {};
}

}  // namespace braid

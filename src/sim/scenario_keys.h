// What the scenario loader's files share: the KeyReader that reads one table and reports
// wrong types, out-of-range values and unknown keys by their key path, and the readers of
// the sections that need nothing but their own table (scenario_sections.cpp). Errors are
// thrown as Failure and turned into a ScenarioError by load_table (scenario_loader.cpp).
#pragma once
#include <fmt/format.h>

#include <optional>
#include <set>
#include <string>
#include <toml++/toml.h>

#include "sim/scenario.h"
#include "sim/scenario_loader.h"

namespace braid::sim::scenario_keys {

struct Failure {
  ScenarioError error;
};

[[noreturn]] inline void fail(const std::string& msg, bool missing_trace = false) { throw Failure{{msg, missing_trace}}; }

inline Duration seconds_to_duration(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

// Reads the keys of one table; every key read is remembered so leftovers can be reported.
class KeyReader {
 public:
  KeyReader(const toml::table& t, std::string path) : t_(t), path_(std::move(path)) {}

  std::string key_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
  }
  const toml::node* get(std::string_view key) {
    seen_.insert(std::string(key));
    return t_.get(key);
  }
  bool has(std::string_view key) const { return t_.contains(key); }

  std::optional<double> number(std::string_view key, double lo, double hi) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    auto v = n->value<double>();
    if (!v || n->is_boolean()) fail(fmt::format("{}: expected a number", key_path(key)));
    if (!(*v >= lo && *v <= hi)) fail(fmt::format("{}: {} is out of range [{}, {}]", key_path(key), *v, lo, hi));
    return v;
  }
  std::optional<uint64_t> integer(std::string_view key, uint64_t lo, uint64_t hi) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    if (!n->is_integer()) fail(fmt::format("{}: expected an integer", key_path(key)));
    int64_t v = *n->value<int64_t>();
    if (v < 0 || uint64_t(v) < lo || uint64_t(v) > hi) {
      fail(fmt::format("{}: {} is out of range [{}, {}]", key_path(key), v, lo, hi));
    }
    return uint64_t(v);
  }
  std::optional<bool> boolean(std::string_view key) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    if (!n->is_boolean()) fail(fmt::format("{}: expected true or false", key_path(key)));
    return *n->value<bool>();
  }
  std::optional<std::string> string(std::string_view key) {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    if (!n->is_string()) fail(fmt::format("{}: expected a string", key_path(key)));
    return *n->value<std::string>();
  }
  std::optional<Duration> seconds(std::string_view key, double hi = 1e6) {
    auto v = number(key, 0, hi);
    if (!v) return std::nullopt;
    return seconds_to_duration(*v);
  }
  std::optional<Duration> millis(std::string_view key) {
    auto v = number(key, 0, 1e7);
    if (!v) return std::nullopt;
    return seconds_to_duration(*v / 1000.0);
  }
  const toml::table* table(std::string_view key) {
    const toml::node* n = get(key);
    if (!n) return nullptr;
    if (!n->is_table()) fail(fmt::format("{}: expected a table", key_path(key)));
    return n->as_table();
  }
  const toml::array* array(std::string_view key) {
    const toml::node* n = get(key);
    if (!n) return nullptr;
    if (!n->is_array()) fail(fmt::format("{}: expected an array", key_path(key)));
    return n->as_array();
  }
  void require(std::string_view key) {
    if (!has(key)) fail(fmt::format("{}: missing (required)", key_path(key)));
  }
  // Call after reading: any key not read is a typo or an unsupported option.
  void reject_unknown() const {
    for (const auto& [k, v] : t_) {
      if (!seen_.count(std::string(k.str()))) fail(fmt::format("{}: unknown key", key_path(k.str())));
    }
  }

 private:
  const toml::table& t_;
  std::string path_;
  std::set<std::string> seen_;
};

inline const toml::table& as_table_at(const toml::node& n, const std::string& path) {
  if (!n.is_table()) fail(fmt::format("{}: expected a table", path));
  return *n.as_table();
}

// [transport], [[clients]].workload, [[triggers]] and [expect].
TransportSpec read_transport(const toml::table& t, const std::string& path);
WorkloadSpec read_workload(const toml::table& t, const std::string& path);
Trigger read_trigger(const toml::table& t, const std::string& path);
Expectations read_expectations(const toml::table& t, const std::string& path);

}  // namespace braid::sim::scenario_keys

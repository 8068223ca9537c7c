// Helpers for the scheduler tests: crafted path snapshots, schedulers made from spec text,
// and the answer of one select() as a list of path ids.
#pragma once
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "braid/path_scheduler.h"

namespace braid::schedtest {

using namespace std::chrono_literals;

constexpr uint64_t kMss = 1200;

// A validated, healthy path with an RTT sample, a 10-datagram window and nothing in flight.
inline PathSnapshot path(PathId id, Duration srtt, bool can_send = true, bool backup = false) {
  PathSnapshot s;
  s.path_id = id;
  s.state = backup ? PathState::kStandby : PathState::kActive;
  s.validated = true;
  s.has_rtt_sample = true;
  s.smoothed_rtt = s.latest_rtt = s.min_rtt = s.srtt_min_seen = s.srtt_max_seen = srtt;
  s.rtt_variance = srtt / 4;
  s.can_send_now = can_send;
  s.backup = backup;
  s.local_status = backup ? PathStatus::kBackup : PathStatus::kAvailable;
  s.max_datagram_size = kMss;
  s.congestion_window = 10 * kMss;
  return s;
}

inline std::unique_ptr<PathScheduler> make(std::string_view spec) {
  auto cfg = parse_plugin_spec(spec);
  EXPECT_TRUE(cfg.has_value()) << spec;
  if (!cfg) return nullptr;
  auto s = make_path_scheduler(*cfg);
  EXPECT_TRUE(s.has_value()) << spec << ": " << s.error();
  return s ? std::move(*s) : nullptr;
}

// The error make_path_scheduler gives for `spec`, or "" when it succeeds.
inline std::string error_of(std::string_view spec) {
  auto cfg = parse_plugin_spec(spec);
  if (!cfg) return "parse: " + cfg.error();
  auto s = make_path_scheduler(*cfg);
  return s ? std::string() : s.error();
}

inline std::vector<PathId> choose(PathScheduler& s, std::span<const PathSnapshot> p, const SendIntent& intent = {}) {
  auto c = s.select(p, intent, TimePoint{});
  return {c.paths().begin(), c.paths().end()};
}

// The path carrying the datagram, nullopt for wait.
inline std::optional<PathId> pick(PathScheduler& s, std::span<const PathSnapshot> p, const SendIntent& intent = {}) {
  auto c = s.select(p, intent, TimePoint{});
  if (c.empty()) return std::nullopt;
  return c.primary();
}

// Asks, then sends on the answer as the connection would; returns the path used.
inline std::optional<PathId> pick_and_send(PathScheduler& s, std::span<const PathSnapshot> p, uint64_t bytes = kMss,
                                           const SendIntent& intent = {}) {
  auto c = s.select(p, intent, TimePoint{});
  if (c.empty()) return std::nullopt;
  for (PathId id : c.paths()) s.on_sent(id, bytes, intent.kind, TimePoint{});
  return c.primary();
}

}  // namespace braid::schedtest

// Parsing and running scheduled path operations (see path_actions.h).
#include "tools/braid/path_actions.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "tools/braid/tool_support.h"
#include "tools/braid/units.h"

namespace braid::tool {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "X@WHEN" -> {X, trigger}
std::expected<std::pair<std::string_view, ActionTrigger>, std::string> split_at(std::string_view spec,
                                                                               std::string_view form) {
  auto at = spec.rfind('@');
  if (at == std::string_view::npos) {
    return std::unexpected(fmt::format("'{}' needs @WHEN ({}), e.g. @2s or @10M", spec, form));
  }
  auto when = parse_trigger(spec.substr(at + 1));
  if (!when) return std::unexpected(when.error());
  return std::pair{spec.substr(0, at), *when};
}

std::expected<PathId, std::string> parse_path_id(std::string_view text) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty() || v > UINT32_MAX) {
    return std::unexpected(fmt::format("'{}' is not a path ID (0, 1, 2, ...)", text));
  }
  return static_cast<PathId>(v);
}

std::expected<SocketAddress, std::string> parse_local(std::string_view text) {
  auto a = SocketAddress::parse(std::string(text));
  if (!a) return std::unexpected(fmt::format("'{}' is not a local ADDR or ADDR:PORT", text));
  return *a;
}

}  // namespace

std::expected<ActionTrigger, std::string> parse_trigger(std::string_view text) {
  ActionTrigger t;
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  bool is_time = ends_with(lower, "s") || ends_with(lower, "min") || ends_with(lower, "h");
  if (is_time) {
    auto d = parse_duration(text);
    if (!d) return std::unexpected(d.error());
    t.after = *d;
  } else {
    auto b = parse_size(text);
    if (!b) {
      return std::unexpected(fmt::format("'{}' is neither a time (2s, 1500ms) nor an amount of data (10M, 5MB, 4096)",
                                         text));
    }
    t.bytes = *b;
  }
  return t;
}

std::expected<PathAction, std::string> parse_abandon_path(std::string_view spec) {
  auto s = split_at(spec, "ID@WHEN");
  if (!s) return std::unexpected(s.error());
  auto id = parse_path_id(s->first);
  if (!id) return std::unexpected(id.error());
  PathAction a;
  a.kind = PathAction::Kind::kAbandon;
  a.path = *id;
  a.when = s->second;
  a.spec = std::string(spec);
  return a;
}

std::expected<PathAction, std::string> parse_open_path(std::string_view spec) {
  auto s = split_at(spec, "LOCAL[=REMOTE]@WHEN");
  if (!s) return std::unexpected(s.error());
  std::string_view local = s->first, remote;
  if (auto eq = local.find('='); eq != std::string_view::npos) {
    remote = local.substr(eq + 1);
    local = local.substr(0, eq);
  }
  auto l = parse_local(local);
  if (!l) return std::unexpected(l.error());
  PathAction a;
  a.kind = PathAction::Kind::kOpen;
  a.local = *l;
  if (!remote.empty()) {
    auto r = SocketAddress::parse(std::string(remote));
    if (!r) return std::unexpected(fmt::format("'{}' is not a remote ADDR or ADDR:PORT", remote));
    a.remote = *r;
  }
  a.when = s->second;
  a.spec = std::string(spec);
  return a;
}

std::expected<PathAction, std::string> parse_migrate(std::string_view spec) {
  auto s = split_at(spec, "LOCAL@WHEN");
  if (!s) return std::unexpected(s.error());
  auto l = parse_local(s->first);
  if (!l) return std::unexpected(l.error());
  PathAction a;
  a.kind = PathAction::Kind::kMigrate;
  a.local = *l;
  a.when = s->second;
  a.spec = std::string(spec);
  return a;
}

std::expected<PathAction, std::string> parse_path_status(std::string_view spec) {
  auto s = split_at(spec, "ID=backup|available@WHEN");
  if (!s) return std::unexpected(s.error());
  auto eq = s->first.find('=');
  if (eq == std::string_view::npos) {
    return std::unexpected(fmt::format("'{}' needs ID=backup or ID=available before @WHEN", spec));
  }
  auto id = parse_path_id(s->first.substr(0, eq));
  if (!id) return std::unexpected(id.error());
  auto status = s->first.substr(eq + 1);
  if (status != "backup" && status != "available") {
    return std::unexpected(fmt::format("'{}': the status is backup or available", status));
  }
  PathAction a;
  a.kind = PathAction::Kind::kStatus;
  a.path = *id;
  a.backup = status == "backup";
  a.when = s->second;
  a.spec = std::string(spec);
  return a;
}

PathActionRunner::PathActionRunner(std::vector<PathAction> actions, Duration retry_window)
    : actions_(std::move(actions)), first_due_(actions_.size(), TimePoint{}), retry_window_(retry_window) {
  for (auto& a : actions_) results_.push_back(PathActionResult{a.spec});
}

std::vector<SocketAddress> PathActionRunner::local_addresses() const {
  std::vector<SocketAddress> out;
  for (auto& a : actions_) {
    if (a.kind == PathAction::Kind::kOpen || a.kind == PathAction::Kind::kMigrate) out.push_back(a.local);
  }
  return out;
}

void PathActionRunner::set_bound_address(const SocketAddress& requested, const SocketAddress& bound) {
  for (auto& a : actions_) {
    if ((a.kind == PathAction::Kind::kOpen || a.kind == PathAction::Kind::kMigrate) && a.local == requested) {
      a.local = bound;
    }
  }
}

bool PathActionRunner::due(const PathAction& a, TimePoint now, TimePoint handshake, uint64_t bytes) const {
  if (a.when.after) return now >= handshake + *a.when.after;
  return bytes >= a.when.bytes.value_or(0);
}

bool PathActionRunner::finished() const {
  return std::all_of(results_.begin(), results_.end(), [](auto& r) { return r.done || !r.error.empty(); });
}

TimePoint PathActionRunner::next_deadline(TimePoint handshake) const {
  TimePoint t = kNever;
  for (size_t i = 0; i < actions_.size(); ++i) {
    if (results_[i].done || !results_[i].error.empty() || !actions_[i].when.after || first_due_[i] != TimePoint{}) continue;
    t = std::min(t, handshake + *actions_[i].when.after);
  }
  return t;
}

bool PathActionRunner::run(Connection& c, TimePoint now, TimePoint handshake, uint64_t bytes) {
  bool changed = false;
  for (size_t i = 0; i < actions_.size(); ++i) {
    auto& a = actions_[i];
    auto& r = results_[i];
    if (r.done || !r.error.empty() || !due(a, now, handshake, bytes)) continue;
    if (first_due_[i] == TimePoint{}) first_due_[i] = now;
    ApiStatus st;
    switch (a.kind) {
      case PathAction::Kind::kAbandon:
        st = c.close_path(now, a.path, 0);
        break;
      case PathAction::Kind::kOpen: {
        SocketAddress remote = a.remote.value_or(default_remote_);
        if (remote.port == 0) remote.port = default_remote_.port;
        auto id = c.open_path(now, a.local, remote);
        if (id) r.path = *id;
        else st = std::unexpected(id.error());
        break;
      }
      case PathAction::Kind::kMigrate:
        st = c.migrate(now, a.local);
        break;
      case PathAction::Kind::kStatus:
        st = c.set_path_status(now, a.path, a.backup);
        break;
    }
    if (st) {
      r.done = true;
      r.at = now - handshake;
      if (a.kind == PathAction::Kind::kAbandon || a.kind == PathAction::Kind::kStatus) r.path = a.path;
      if (a.kind == PathAction::Kind::kMigrate) r.path = 0;
      changed = true;
    } else if (now - first_due_[i] >= retry_window_) {
      r.error = describe_error(st.error());
    }
  }
  return changed;
}

}  // namespace braid::tool

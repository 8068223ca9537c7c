// Pluggable path schedulers. For each datagram that may carry data the connection asks the
// connection's scheduler once, with read-only snapshots of every path and a SendIntent
// describing what is to be sent; the answer is zero paths (wait), one, or several (the
// datagram's data is also copied onto the others: redundant sending). The scheduler then
// hears what happened (on_sent/on_acked/on_lost/on_path_event), values only; select()
// itself must not change state, so asking never advances a rotation. Created by name plus
// parameters from a registry; applications register their own.
#pragma once
#include <array>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "braid/path.h"
#include "braid/plugin_params.h"

namespace braid {

enum class PathEventKind : uint8_t { kAdded, kValidated, kStatusChanged, kAbandoned, kFailed, kRecovered };

// Paths chosen for one datagram: the first carries it, the others carry copies of its data.
class PathChoice {
 public:
  static constexpr size_t kMaxPaths = 8;
  PathChoice() = default;
  static PathChoice one(PathId id) {
    PathChoice c;
    c.add(id);
    return c;
  }
  void add(PathId id) {
    for (size_t i = 0; i < n_; ++i) if (ids_[i] == id) return;
    if (n_ < kMaxPaths) ids_[n_++] = id;
  }
  bool empty() const { return n_ == 0; }
  size_t size() const { return n_; }
  PathId primary() const { return ids_[0]; }
  std::span<const PathId> paths() const { return {ids_.data(), n_}; }
  bool contains(PathId id) const {
    for (size_t i = 0; i < n_; ++i) if (ids_[i] == id) return true;
    return false;
  }
  bool operator==(const PathChoice& o) const {
    return n_ == o.n_ && std::equal(ids_.begin(), ids_.begin() + n_, o.ids_.begin());
  }

 private:
  std::array<PathId, kMaxPaths> ids_{};
  size_t n_ = 0;
};

class PathScheduler {
 public:
  virtual ~PathScheduler() = default;
  // Snapshots list every path that is not closed or failed. A path whose can_send_now is
  // false cannot take the datagram now; returning only such paths (or none) means wait.
  virtual PathChoice select(std::span<const PathSnapshot> paths, const SendIntent& intent, TimePoint now) = 0;
  // A datagram of `bytes` left on `path` (kind: what the scheduler was asked to place, or
  // kRetransmission/kProbe/kAckOnly for datagrams the connection placed itself).
  virtual void on_sent(PathId, uint64_t /*bytes*/, SendKind, TimePoint) {}
  virtual void on_acked(PathId, uint64_t /*bytes*/, TimePoint) {}
  virtual void on_lost(PathId, uint64_t /*bytes*/, TimePoint) {}
  virtual void on_path_event(PathId, PathEventKind, TimePoint) {}
  virtual std::string_view name() const = 0;
};

using SchedulerConfig = PluginSpec;
using PathSchedulerFactory =
    std::function<std::expected<std::unique_ptr<PathScheduler>, std::string>(const PluginParams&)>;

// Built in: minrtt, rr, lowlat, weighted, blest, ecf, redundant, and backup:inner=NAME
// (which passes its other parameters to NAME); docs/schedulers.md describes each and its
// parameters. Unknown names and parameters are errors listing what is known.
std::expected<std::unique_ptr<PathScheduler>, std::string> make_path_scheduler(const SchedulerConfig& cfg);
// Adds or replaces a scheduler. A factory that takes no parameters may use the second form;
// its scheduler then rejects any parameter.
void register_path_scheduler(std::string name, PathSchedulerFactory factory);
void register_path_scheduler(std::string name, std::function<std::unique_ptr<PathScheduler>()> factory);
std::vector<std::string> path_scheduler_names();
// "NAME[:k=v,...]" parsed and checked (the scheduler can be created with these parameters).
std::expected<SchedulerConfig, std::string> parse_scheduler_config(std::string_view text);

}  // namespace braid

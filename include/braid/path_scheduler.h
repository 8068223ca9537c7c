// Pluggable path schedulers: given read-only snapshots of every path and what is to be
// sent, pick the path or say "none now". One instance per connection; created by name.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "braid/path.h"

namespace braid {

enum class PathEventKind : uint8_t { kAdded, kValidated, kStatusChanged, kAbandoned, kFailed };

class PathScheduler {
 public:
  virtual ~PathScheduler() = default;
  // Snapshots list every path that is not closed; the scheduler must not pick a path
  // whose can_send_now is false unless it wants to wait (return nullopt).
  virtual std::optional<PathId> select(std::span<const PathSnapshot> paths, const SendIntent& intent,
                                       TimePoint now) = 0;
  virtual void on_path_event(PathId, PathEventKind, TimePoint) {}
  virtual std::string_view name() const = 0;
};

using PathSchedulerFactory = std::function<std::unique_ptr<PathScheduler>()>;

// "minrtt" is built in. Unknown names return nullptr.
std::unique_ptr<PathScheduler> make_path_scheduler(std::string_view name);
void register_path_scheduler(std::string name, PathSchedulerFactory factory);
std::vector<std::string> path_scheduler_names();

}  // namespace braid

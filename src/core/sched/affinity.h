// Path affinity, the same for every scheduler: a stream (or DATAGRAM flow) pinned to a path
// goes on that path while it is usable, and waits for it when it cannot send now; once the
// pinned path is gone (closed, abandoned, failed, suspect) the scheduler chooses normally.
#pragma once
#include <optional>
#include <span>

#include "braid/path_scheduler.h"
#include "core/sched/usable.h"

namespace braid::sched {

// The pinned path: the front stream's, or for a DATAGRAM the datagram flow's.
inline std::optional<PathId> pinned_path(const SendIntent& intent) {
  if (intent.affinity) return intent.affinity;
  if (intent.kind == SendKind::kDatagram) return intent.datagram_affinity;
  return std::nullopt;
}

// The decision affinity forces (the pinned path, or wait for it), or nullopt when there is
// no pin or the pinned path is not usable and the scheduler's own rule applies.
inline std::optional<PathChoice> pinned_choice(std::span<const PathSnapshot> paths, const SendIntent& intent) {
  auto pin = pinned_path(intent);
  if (!pin) return std::nullopt;
  for (auto& p : paths) {
    if (p.path_id == *pin && usable(p)) return p.can_send_now ? PathChoice::one(p.path_id) : PathChoice{};
  }
  return std::nullopt;
}

}  // namespace braid::sched

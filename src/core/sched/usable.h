// What every scheduler agrees on about a path snapshot: whether it may carry data at all.
#pragma once
#include "braid/path.h"

namespace braid::sched {

// Validated, not abandoned, active or standby, and not suspected or known to have failed.
inline bool usable(const PathSnapshot& p) {
  return p.validated && !p.abandoned && !p.potentially_failed && p.health != PathHealth::kFailed &&
         p.health != PathHealth::kSuspect && (p.state == PathState::kActive || p.state == PathState::kStandby);
}

}  // namespace braid::sched

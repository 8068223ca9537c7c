// What every scheduler agrees on about a path snapshot: whether it may carry data at all,
// which paths (non-backup or backup) may carry it now, and which datagrams count as data.
#pragma once
#include <span>

#include "braid/path.h"

namespace braid::sched {

// Validated, not abandoned, active or standby, and not suspected or known to have failed.
inline bool usable(const PathSnapshot& p) {
  return p.validated && !p.abandoned && !p.potentially_failed && p.health != PathHealth::kFailed &&
         p.health != PathHealth::kSuspect && (p.state == PathState::kActive || p.state == PathState::kStandby);
}

// Backup semantics (ALGORITHMS.md §2.1, §2.9): data goes on usable non-backup paths; backup
// paths take it only when no non-backup path is usable at all. A non-backup path that is
// merely cwnd-blocked still counts, so the caller waits instead of spilling onto a backup.
inline bool backup_tier(std::span<const PathSnapshot> paths) {
  for (auto& p : paths) {
    if (usable(p) && !p.backup) return false;
  }
  return true;
}

// Usable and in the tier that carries data now (it may still be unable to send right now).
inline bool eligible(const PathSnapshot& p, bool backup_tier) { return usable(p) && p.backup == backup_tier; }

// Datagrams whose bytes count towards rotations and shares (not ACK-only or probes).
inline bool carries_data(SendKind k) {
  return k == SendKind::kNewData || k == SendKind::kDatagram || k == SendKind::kRetransmission;
}

}  // namespace braid::sched

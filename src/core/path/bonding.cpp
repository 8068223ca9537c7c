// Bonding state derivation: counts usable (ACTIVE/STANDBY) and validating paths and
// remembers whether the connection was ever bonded, so losing a path reads as DEGRADED.
#include "core/path/bonding.h"

namespace braid::path {

std::optional<BondingTransition> BondingTracker::update(const std::vector<BondingInput>& paths) {
  size_t usable = 0, validating = 0;
  double total = 0;
  std::map<PathId, double> raw;
  for (auto& p : paths) {
    if (p.state == PathState::kActive || p.state == PathState::kStandby) {
      usable++;
      double secs = std::max(1e-4, std::chrono::duration<double>(p.smoothed_rtt).count());
      double bw = static_cast<double>(p.congestion_window) / secs;
      raw[p.id] = bw;
      total += bw;
    } else if (p.state == PathState::kCreated || p.state == PathState::kValidating ||
               p.state == PathState::kValidated) {
      validating++;
    }
  }
  weights_.clear();
  for (auto& [id, bw] : raw) weights_[id] = total > 0 ? bw / total : 1.0 / raw.size();

  BondingState next;
  if (usable >= 2) {
    next = BondingState::kBonded;
  } else if (max_usable_seen_ >= 2) {
    next = validating > 0 && usable == 1 ? BondingState::kPending : BondingState::kDegraded;
    if (state_ == BondingState::kDegraded && validating > 0) next = BondingState::kDegraded;
  } else if (usable == 1 && validating > 0) {
    next = BondingState::kPending;
  } else {
    next = BondingState::kSinglePath;
  }
  max_usable_seen_ = std::max(max_usable_seen_, usable);
  if (next == state_) return std::nullopt;
  BondingTransition t{state_, next};
  state_ = next;
  return t;
}

}  // namespace braid::path

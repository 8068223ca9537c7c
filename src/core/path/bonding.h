// Bonding state of a connection (SINGLE_PATH / PENDING / BONDED / DEGRADED) and per-path
// capacity weights, re-derived from the path set on every change.
#pragma once
#include <map>
#include <optional>
#include <vector>

#include "braid/path.h"

namespace braid::path {

struct BondingInput {
  PathId id;
  PathState state;
  uint64_t congestion_window;
  Duration smoothed_rtt;
};

struct BondingTransition {
  BondingState from;
  BondingState to;
};

class BondingTracker {
 public:
  // Recomputes state and weights; returns the transition if the state changed.
  std::optional<BondingTransition> update(const std::vector<BondingInput>& paths);
  BondingState state() const { return state_; }
  // Share of capacity per usable path (cwnd / srtt, normalised to sum 1).
  const std::map<PathId, double>& weights() const { return weights_; }

 private:
  BondingState state_ = BondingState::kSinglePath;
  size_t max_usable_seen_ = 0;
  std::map<PathId, double> weights_;
};

}  // namespace braid::path

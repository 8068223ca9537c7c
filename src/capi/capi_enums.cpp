// Name → C enum lookups over the core's own name functions, so the two never disagree.
#include "capi/capi_enums.h"

namespace braid::capi {

braid_path_state path_state_from_name(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(PathState::kFailed); ++i) {
    if (path_state_name(static_cast<PathState>(i)) == name) return static_cast<braid_path_state>(i);
  }
  return BRAID_PATH_UNKNOWN;
}

braid_path_health health_from_name(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(PathHealth::kProbing); ++i) {
    if (path_health_name(static_cast<PathHealth>(i)) == name) return static_cast<braid_path_health>(i);
  }
  return BRAID_HEALTH_HEALTHY;
}

braid_bonding_state bonding_from_name(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(BondingState::kDegraded); ++i) {
    if (bonding_state_name(static_cast<BondingState>(i)) == name) return static_cast<braid_bonding_state>(i);
  }
  return BRAID_BONDING_UNKNOWN;
}

}  // namespace braid::capi

extern "C" const char* braid_path_state_name(braid_path_state s) {
  if (s < BRAID_PATH_CREATED || s > BRAID_PATH_FAILED) return "unknown";
  return braid::path_state_name(static_cast<braid::PathState>(s)).data();   // static literals
}

// The lookups above cast between the C and C++ enums by position.
static_assert(BRAID_PATH_FAILED == static_cast<int>(braid::PathState::kFailed));
static_assert(BRAID_HEALTH_PROBING == static_cast<int>(braid::PathHealth::kProbing));
static_assert(BRAID_BONDING_DEGRADED == static_cast<int>(braid::BondingState::kDegraded));

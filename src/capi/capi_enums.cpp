// braid_path_state_name, and the checks that the C enums match the C++ ones position by
// position (capi_enums.h casts between them).
#include "capi/capi_enums.h"

extern "C" const char* braid_path_state_name(braid_path_state s) {
  if (s < BRAID_PATH_CREATED || s > BRAID_PATH_FAILED) return "unknown";
  return braid::path_state_name(static_cast<braid::PathState>(s)).data();   // static literals
}

namespace {
using braid::BondingState;
using braid::PathHealth;
using braid::PathState;
constexpr bool same(int c, auto cpp) { return c == static_cast<int>(cpp); }
static_assert(same(BRAID_PATH_CREATED, PathState::kCreated) && same(BRAID_PATH_VALIDATING, PathState::kValidating) &&
              same(BRAID_PATH_VALIDATED, PathState::kValidated) && same(BRAID_PATH_ACTIVE, PathState::kActive) &&
              same(BRAID_PATH_STANDBY, PathState::kStandby) && same(BRAID_PATH_CLOSING, PathState::kClosing) &&
              same(BRAID_PATH_CLOSED, PathState::kClosed) && same(BRAID_PATH_FAILED, PathState::kFailed));
static_assert(same(BRAID_HEALTH_HEALTHY, PathHealth::kHealthy) && same(BRAID_HEALTH_SUSPECT, PathHealth::kSuspect) &&
              same(BRAID_HEALTH_FAILED, PathHealth::kFailed) && same(BRAID_HEALTH_PROBING, PathHealth::kProbing));
static_assert(same(BRAID_BONDING_SINGLE_PATH, BondingState::kSinglePath) &&
              same(BRAID_BONDING_PENDING, BondingState::kPending) && same(BRAID_BONDING_BONDED, BondingState::kBonded) &&
              same(BRAID_BONDING_DEGRADED, BondingState::kDegraded));
}  // namespace

// The C enums of braid.h from the C++ ones: the same order, so a cast, checked value by
// value in capi_enums.cpp.
#pragma once
#include "braid/braid.h"
#include "braid/path.h"

namespace braid::capi {

inline braid_path_state to_c_path_state(PathState s) { return static_cast<braid_path_state>(s); }
inline braid_bonding_state to_c_bonding(BondingState s) { return static_cast<braid_bonding_state>(s); }
inline braid_path_health to_c_health(PathHealth h) { return static_cast<braid_path_health>(h); }

}  // namespace braid::capi

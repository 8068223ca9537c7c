// The C enums of braid.h from the C++ names and enums. Overloads take the name string
// and the enum alike, so stats and events translate whichever form the core reports.
#pragma once
#include <string_view>

#include "braid/braid.h"
#include "braid/path.h"

namespace braid::capi {

braid_path_state path_state_from_name(std::string_view name);
braid_path_health health_from_name(std::string_view name);
braid_bonding_state bonding_from_name(std::string_view name);

inline braid_path_state to_c_path_state(std::string_view name) { return path_state_from_name(name); }
inline braid_path_state to_c_path_state(PathState s) { return path_state_from_name(path_state_name(s)); }
inline braid_bonding_state to_c_bonding(std::string_view name) { return bonding_from_name(name); }
inline braid_bonding_state to_c_bonding(BondingState s) { return bonding_from_name(bonding_state_name(s)); }
inline braid_path_health to_c_health(PathHealth h) { return health_from_name(path_health_name(h)); }

}  // namespace braid::capi

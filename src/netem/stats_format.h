// One-line text form of a path's relay counters, printed periodically and by `stats`.
#pragma once
#include <cstdint>
#include <string>

#include "netem/relay.h"

namespace braid::netem {

// `elapsed_s` since start; rates use the bytes delivered since the previous report
// (`prev_*_bytes`) over `interval_s`.
std::string format_path_stats(size_t path, double elapsed_s, double interval_s, const PathCounters& c,
                              uint64_t prev_up_bytes, uint64_t prev_down_bytes, bool up);

}  // namespace braid::netem

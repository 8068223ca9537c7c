// A SimulationResult as text or JSON. Only virtual-time quantities appear, so the same
// scenario and seed give a byte-identical summary; wall-clock time is reported elsewhere.
#pragma once
#include <string>

#include "sim/metrics.h"

namespace braid::sim {

std::string format_summary_text(const SimulationResult& r);
std::string format_summary_json(const SimulationResult& r);

}  // namespace braid::sim

// Checks a SimulationResult against a scenario's [expect] table; each failed bound is one
// message naming the key, the client and the measured value.
#pragma once
#include <string>
#include <vector>

#include "sim/metrics.h"
#include "sim/scenario.h"

namespace braid::sim {

std::vector<std::string> check_expectations(const Expectations& e, const SimulationResult& r);

}  // namespace braid::sim

// The schedulers braid ships, by name, for the registry (registry.cpp) to start from.
#pragma once
#include <map>
#include <string>

#include "braid/path_scheduler.h"

namespace braid::sched {

std::map<std::string, PathSchedulerFactory, std::less<>> builtin_schedulers();

}  // namespace braid::sched

// Shared by the server examples: SIGINT/SIGTERM set a flag the event loop checks.
#pragma once
#include <csignal>

namespace example {
inline volatile std::sig_atomic_t stop_requested = 0;
inline void stop_on_signals() {
  std::signal(SIGINT, [](int) { stop_requested = 1; });
  std::signal(SIGTERM, [](int) { stop_requested = 1; });
}
}  // namespace example

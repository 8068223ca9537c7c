// check_connection_config: plugin names and parameters are refused before anything starts.
#include <fmt/format.h>

#include "braid/config.h"
#include "braid/congestion_controller.h"
#include "braid/path_scheduler.h"

namespace braid {

std::expected<void, std::string> check_connection_config(const ConnectionConfig& cfg) {
  if (auto s = make_path_scheduler(cfg.scheduler); !s) return std::unexpected(s.error());
  if (!make_congestion_controller(cfg.congestion_controller, CcContext{cfg.initial_mtu})) {
    return std::unexpected(fmt::format("unknown congestion controller '{}' (known: {})", cfg.congestion_controller,
                                       fmt::join(congestion_controller_names(), ", ")));
  }
  return {};
}

}  // namespace braid

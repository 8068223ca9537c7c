// check_connection_config: plugin names and parameters are refused before anything starts.
#include <fmt/format.h>

#include "braid/config.h"
#include "braid/congestion_controller.h"
#include "braid/path_scheduler.h"

namespace braid {

std::expected<void, std::string> check_connection_config(const ConnectionConfig& cfg) {
  if (auto s = make_path_scheduler(cfg.scheduler); !s) return std::unexpected(s.error());
  auto check = [&](const std::string& name) -> std::expected<void, std::string> {
    if (make_congestion_controller(name, CcContext{cfg.initial_mtu})) return {};
    return std::unexpected(fmt::format("unknown congestion controller '{}' (known: {})", name,
                                       fmt::join(congestion_controller_names(), ", ")));
  };
  if (auto ok = check(cfg.congestion_controller); !ok) return ok;
  for (const auto& [id, name] : cfg.path_congestion_controllers) {
    if (auto ok = check(name); !ok) return std::unexpected(fmt::format("path {}: {}", id, ok.error()));
  }
  return {};
}

}  // namespace braid

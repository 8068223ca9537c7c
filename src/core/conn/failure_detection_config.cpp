// Failure detection settings from text (CLI flags and scenario keys): the detector spec or
// "off", and the failure policy's name.
#include <fmt/format.h>

#include "braid/config.h"
#include "braid/failure_detector.h"

namespace braid {

std::expected<void, std::string> set_failure_detector(FailureDetectionConfig& cfg, std::string_view text) {
  if (text == "off" || text == "none") {
    cfg.enabled = false;
    return {};
  }
  auto spec = parse_plugin_spec(text);
  if (!spec) return std::unexpected(spec.error());
  if (auto d = make_failure_detector(*spec); !d) return std::unexpected(d.error());
  cfg.enabled = true;
  cfg.detector = std::move(*spec);
  return {};
}

std::expected<FailureDetectionConfig::OnFailure, std::string> parse_on_failure(std::string_view text) {
  if (text == "fail" || text == "failed") return FailureDetectionConfig::OnFailure::kFail;
  if (text == "standby" || text == "backup") return FailureDetectionConfig::OnFailure::kStandby;
  return std::unexpected(fmt::format("unknown failure policy '{}' (known: fail, standby)", text));
}

}  // namespace braid

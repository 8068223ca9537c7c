// Names of congestion-controller states, as they appear in stats, qlog and metrics.
#include "braid/congestion_controller.h"

namespace braid {

std::string_view cc_state_name(CcState s) {
  switch (s) {
    case CcState::kSlowStart: return "slow_start";
    case CcState::kConservativeSlowStart: return "conservative_slow_start";
    case CcState::kCongestionAvoidance: return "congestion_avoidance";
    case CcState::kRecovery: return "recovery";
    case CcState::kStartup: return "startup";
    case CcState::kDrain: return "drain";
    case CcState::kProbeBwDown: return "probe_bw_down";
    case CcState::kProbeBwCruise: return "probe_bw_cruise";
    case CcState::kProbeBwRefill: return "probe_bw_refill";
    case CcState::kProbeBwUp: return "probe_bw_up";
    case CcState::kProbeRtt: return "probe_rtt";
  }
  return "unknown";
}

}  // namespace braid

// The path and bonding state machines' transition tables and names.
#include "braid/connection.h"
#include "braid/path.h"

namespace braid {

bool path_transition_allowed(PathState from, PathState to) {
  using S = PathState;
  switch (from) {
    case S::kCreated: return to == S::kValidating || to == S::kClosing || to == S::kFailed;
    case S::kValidating: return to == S::kValidated || to == S::kClosing || to == S::kFailed;
    case S::kValidated: return to == S::kActive || to == S::kStandby || to == S::kClosing || to == S::kFailed;
    case S::kActive: return to == S::kStandby || to == S::kClosing || to == S::kFailed;
    case S::kStandby: return to == S::kActive || to == S::kClosing || to == S::kFailed;
    case S::kClosing: return to == S::kClosed || to == S::kFailed;
    case S::kClosed: return false;
    // A path failed by detection comes back when it answers again, or is abandoned.
    case S::kFailed: return to == S::kActive || to == S::kStandby || to == S::kClosing || to == S::kClosed;
  }
  return false;
}

std::string_view path_state_name(PathState s) {
  switch (s) {
    case PathState::kCreated: return "created";
    case PathState::kValidating: return "validating";
    case PathState::kValidated: return "validated";
    case PathState::kActive: return "active";
    case PathState::kStandby: return "standby";
    case PathState::kClosing: return "closing";
    case PathState::kClosed: return "closed";
    case PathState::kFailed: return "failed";
  }
  return "unknown";
}

std::string_view send_kind_name(SendKind k) {
  switch (k) {
    case SendKind::kNewData: return "new_data";
    case SendKind::kRetransmission: return "retransmission";
    case SendKind::kDatagram: return "datagram";
    case SendKind::kProbe: return "probe";
    case SendKind::kAckOnly: return "ack_only";
  }
  return "unknown";
}

std::string_view path_health_name(PathHealth h) {
  switch (h) {
    case PathHealth::kHealthy: return "healthy";
    case PathHealth::kSuspect: return "suspect";
    case PathHealth::kFailed: return "failed";
    case PathHealth::kProbing: return "probing";
  }
  return "unknown";
}

std::string_view ecn_state_name(EcnState s) {
  switch (s) {
    case EcnState::kTesting: return "testing";
    case EcnState::kUnknown: return "unknown";
    case EcnState::kCapable: return "capable";
    case EcnState::kFailed: return "failed";
  }
  return "unknown";
}

std::string_view path_change_name(PathChange c) {
  switch (c) {
    case PathChange::kState: return "state";
    case PathChange::kMigrated: return "migrated";
    case PathChange::kPreferredAddress: return "preferred_address";
    case PathChange::kProbeFailed: return "probe_failed";
    case PathChange::kProbeReplaced: return "probe_replaced";
    case PathChange::kNotOpened: return "not_opened";
  }
  return "unknown";
}

std::string_view bonding_state_name(BondingState s) {
  switch (s) {
    case BondingState::kSinglePath: return "single_path";
    case BondingState::kPending: return "pending";
    case BondingState::kBonded: return "bonded";
    case BondingState::kDegraded: return "degraded";
  }
  return "unknown";
}

}  // namespace braid

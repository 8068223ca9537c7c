// PathSelector: the documented order of path duties, then the scheduler.
#include "core/conn/path_selector.h"

namespace braid::conn {

const char* plan_reason_name(PlanReason r) {
  switch (r) {
    case PlanReason::kValidation: return "validation";
    case PlanReason::kProbe: return "probe";
    case PlanReason::kAck: return "ack";
    case PlanReason::kAbandonCarrier: return "abandon_carrier";
    case PlanReason::kCopies: return "copies";
    case PlanReason::kData: return "data";
    case PlanReason::kFlush: return "flush";
  }
  return "unknown";
}

std::optional<PathSelection> PathSelector::select(std::span<const PathDuties> paths, bool abandon_pending,
                                                  bool single_path, const std::function<PathChoice()>& ask_scheduler) {
  std::optional<PathChoice> asked;
  auto scheduler = [&]() -> const PathChoice& {
    if (!asked) asked = ask_scheduler();
    return *asked;
  };
  auto duty = [&](const PathDuties& d, PlanReason why) {
    PathSelection s;
    s.path = d.id;
    s.reason = why;
    if (why == PlanReason::kProbe || single_path) {
      s.data_allowed = true;
    } else {
      s.data_paths = scheduler();
      s.data_allowed = !s.data_paths.empty() && s.data_paths.primary() == d.id;
    }
    return s;
  };
  for (auto& d : paths) {
    if (!d.sendable) continue;
    if (d.owes_validation) return duty(d, d.owes_probe ? PlanReason::kProbe : PlanReason::kValidation);
    if (d.owes_probe) return duty(d, PlanReason::kProbe);
  }
  for (auto& d : paths) {
    if (d.carries_due_acks && d.sendable) return duty(d, PlanReason::kAck);
  }
  if (abandon_pending) {
    for (auto& d : paths) {
      if (d.sendable && d.usable) return duty(d, PlanReason::kAbandonCarrier);
    }
  }
  for (auto& d : paths) {
    if (d.owes_copies && d.sendable && !single_path) return PathSelection{d.id, PlanReason::kCopies, true, {}};
  }
  if (single_path) {
    // Everything goes on the primary path (the first listed): the handshake path, or the
    // only one.
    if (paths.empty()) return std::nullopt;
    return PathSelection{paths.front().id, PlanReason::kData, true, {}};
  }
  const PathChoice& choice = scheduler();
  if (!choice.empty()) {
    for (auto& d : paths) {
      if (d.id == choice.primary() && d.sendable) return PathSelection{d.id, PlanReason::kData, true, choice};
    }
  }
  for (auto& d : paths) {
    if (d.sendable && d.owes_anything) return PathSelection{d.id, PlanReason::kFlush, false, choice};
  }
  return std::nullopt;
}

}  // namespace braid::conn

// Expansion of configured link events into an ordered list of actions.
#include "sim/link_events.h"

#include <algorithm>

namespace braid::sim {

LinkTimeline::LinkTimeline(const std::vector<LinkEvent>& events, TimePoint origin) {
  for (const auto& e : events) {
    TimePoint at = origin + e.at;
    switch (e.kind) {
      case LinkEvent::Kind::kOutage:
        actions_.push_back({LinkAction::Kind::kBlackholeOn, at});
        actions_.push_back({LinkAction::Kind::kBlackholeOff, origin + std::max(e.until, e.at)});
        break;
      case LinkEvent::Kind::kDown: actions_.push_back({LinkAction::Kind::kDown, at}); break;
      case LinkEvent::Kind::kUp: actions_.push_back({LinkAction::Kind::kUp, at}); break;
      case LinkEvent::Kind::kRate:
        actions_.push_back({LinkAction::Kind::kRate, at, e.rate_bps});
        break;
      case LinkEvent::Kind::kDelay:
        actions_.push_back({LinkAction::Kind::kDelay, at, 0, e.delay});
        break;
      case LinkEvent::Kind::kLoss:
        actions_.push_back({LinkAction::Kind::kLoss, at, 0, {}, e.loss});
        break;
    }
  }
  std::stable_sort(actions_.begin(), actions_.end(),
                   [](const LinkAction& a, const LinkAction& b) { return a.at < b.at; });
}

const LinkAction* LinkTimeline::pop_due(TimePoint now) {
  if (next_ >= actions_.size() || actions_[next_].at > now) return nullptr;
  return &actions_[next_++];
}

}  // namespace braid::sim

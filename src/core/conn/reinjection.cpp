// Reinjection policy: age and count limits, then hook → preferred → lowest RTT.
#include "core/conn/reinjection.h"

namespace braid::conn {

bool may_reinject(const ReinjectionConfig& cfg, TimePoint sent, uint32_t reinjections, TimePoint now) {
  return cfg.enabled && reinjections < cfg.max_per_frame && now - sent >= cfg.delay;
}

std::optional<PathId> pick_reinjection_target(const ReinjectionConfig& cfg, const ReinjectionContext& ctx,
                                              std::span<const ReinjectionTarget> targets, TimePoint now) {
  auto open = [&](const ReinjectionTarget& t) {
    return t.eligible && t.id != ctx.from && t.queued < cfg.queue_limit &&
           (!t.has_batch || now - t.last_batch >= cfg.min_interval);
  };
  auto find = [&](PathId id) -> const ReinjectionTarget* {
    for (auto& t : targets) {
      if (t.id == id) return &t;
    }
    return nullptr;
  };
  if (cfg.select_target) {
    auto pick = cfg.select_target(ctx);
    if (!pick) return std::nullopt;
    auto* t = find(*pick);
    return t && open(*t) ? pick : std::nullopt;
  }
  for (PathId id : cfg.preferred) {
    if (auto* t = find(id); t && open(*t)) return id;
  }
  const ReinjectionTarget* best = nullptr;
  for (auto& t : targets) {
    if (open(t) && (!best || t.srtt < best->srtt)) best = &t;
  }
  return best ? std::optional(best->id) : std::nullopt;
}

}  // namespace braid::conn

// Reinjection decisions as values: whether a frame in flight on a stalled path may be queued
// again elsewhere (age, count) and which path takes it (user hook, preferred targets, then
// the lowest RTT; a target must be eligible, below its queue limit and out of its back-off).
#pragma once
#include <optional>
#include <span>

#include "braid/config.h"

namespace braid::conn {

struct ReinjectionTarget {
  PathId id = 0;
  Duration srtt{};
  bool eligible = false;            // usable, can carry packets, not potentially failed
  size_t queued = 0;                // copies already waiting on it
  TimePoint last_batch{};           // when it last took reinjected data
  bool has_batch = false;
};

bool may_reinject(const ReinjectionConfig& cfg, TimePoint sent, uint32_t reinjections, TimePoint now);
std::optional<PathId> pick_reinjection_target(const ReinjectionConfig& cfg, const ReinjectionContext& ctx,
                                              std::span<const ReinjectionTarget> targets, TimePoint now);

}  // namespace braid::conn

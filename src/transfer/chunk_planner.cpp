#include "transfer/chunk_planner.h"

#include <algorithm>

namespace braid::transfer {

void ChunkPlanner::set_confirmed(const RangeSet& confirmed) {
  for (const Range& r : confirmed.ranges()) confirmed_.add(r);
  cursor_ = 0;
}

std::optional<Range> ChunkPlanner::next(uint64_t max_len) {
  if (max_len == 0) return std::nullopt;
  uint64_t at = cursor_;
  // Skip what is confirmed or in flight; the two sets alternate, so loop until neither
  // covers `at`.
  for (;;) {
    uint64_t a = confirmed_.first_gap(at);
    uint64_t b = in_flight_.first_gap(a);
    if (b == at) break;
    at = b;
  }
  cursor_ = at;
  if (total_ && at >= *total_) return std::nullopt;
  uint64_t limit = at + max_len;
  if (total_) limit = std::min(limit, *total_);
  if (auto s = confirmed_.next_start(at)) limit = std::min(limit, *s);
  if (auto s = in_flight_.next_start(at)) limit = std::min(limit, *s);
  Range r{at, limit - at};
  in_flight_.add(r);
  return r;
}

void ChunkPlanner::shrink(Range chunk, uint64_t length) {
  if (length >= chunk.length) return;
  in_flight_.remove({chunk.offset + length, chunk.length - length});
}

void ChunkPlanner::confirm(Range chunk) {
  in_flight_.remove(chunk);
  confirmed_.add(chunk);
}

void ChunkPlanner::abandon(Range chunk) {
  in_flight_.remove(chunk);
  cursor_ = std::min(cursor_, chunk.offset);
}

}  // namespace braid::transfer

// IntervalSet: merge on insert, split on remove. Edits that only move a range's end are done
// in place, and a range whose start moves is re-keyed through node extraction, so the common
// cases (in-order acks, retransmitting the front of the lost set) allocate nothing.
#include "core/conn/interval_set.h"

#include <algorithm>
#include <iterator>

namespace braid::conn {

IntervalSet::const_iterator IntervalSet::first_ending_after(uint64_t value) const {
  auto it = ranges_.upper_bound(value);
  if (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second > value) return prev;
  }
  return it;
}

uint64_t IntervalSet::insert(uint64_t start, uint64_t end) {
  if (start >= end) return 0;
  auto it = ranges_.upper_bound(start);
  if (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= start) {
      // Extend the predecessor in place and absorb whatever the new end reaches.
      if (prev->second >= end) return 0;
      uint64_t covered = prev->second - start;
      uint64_t new_end = end;
      while (it != ranges_.end() && it->first <= end) {
        covered += std::min(it->second, end) - it->first;
        new_end = std::max(new_end, it->second);
        it = ranges_.erase(it);
      }
      prev->second = new_end;
      return (end - start) - covered;
    }
  }
  uint64_t covered = 0;
  uint64_t new_end = end;
  while (it != ranges_.end() && it->first <= end) {
    covered += std::min(it->second, end) - it->first;
    new_end = std::max(new_end, it->second);
    it = ranges_.erase(it);
  }
  ranges_.emplace_hint(it, start, new_end);
  return (end - start) - covered;
}

uint64_t IntervalSet::remove(uint64_t start, uint64_t end) {
  if (start >= end) return 0;
  uint64_t removed = 0;
  auto it = ranges_.upper_bound(start);
  if (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second > start) {
      const uint64_t prev_end = prev->second;
      removed += std::min(prev_end, end) - start;
      if (prev->first < start) {
        prev->second = start;  // keep the left part
        if (prev_end > end) {
          ranges_.emplace_hint(it, end, prev_end);
          return removed;
        }
      } else if (prev_end > end) {
        auto node = ranges_.extract(prev);
        node.key() = end;
        ranges_.insert(it, std::move(node));
        return removed;
      } else {
        ranges_.erase(prev);
      }
    }
  }
  while (it != ranges_.end() && it->first < end) {
    if (it->second > end) {
      removed += end - it->first;
      auto next = std::next(it);
      auto node = ranges_.extract(it);
      node.key() = end;
      ranges_.insert(next, std::move(node));
      return removed;
    }
    removed += it->second - it->first;
    it = ranges_.erase(it);
  }
  return removed;
}

void IntervalSet::subtract(const IntervalSet& other) {
  if (&other == this) {
    ranges_.clear();
    return;
  }
  for (const auto& [s, e] : other.ranges_) remove(s, e);
}

bool IntervalSet::contains(uint64_t value) const {
  auto it = first_ending_after(value);
  return it != ranges_.end() && it->first <= value;
}

bool IntervalSet::contains(uint64_t start, uint64_t end) const {
  if (start >= end) return true;
  auto it = first_ending_after(start);
  return it != ranges_.end() && it->first <= start && it->second >= end;
}

bool IntervalSet::intersects(uint64_t start, uint64_t end) const {
  if (start >= end) return false;
  auto it = first_ending_after(start);
  return it != ranges_.end() && it->first < end;
}

std::optional<Interval> IntervalSet::first() const {
  if (ranges_.empty()) return std::nullopt;
  return Interval{ranges_.begin()->first, ranges_.begin()->second};
}

std::optional<Interval> IntervalSet::last() const {
  if (ranges_.empty()) return std::nullopt;
  auto it = std::prev(ranges_.end());
  return Interval{it->first, it->second};
}

}  // namespace braid::conn

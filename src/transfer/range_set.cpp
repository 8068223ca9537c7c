#include "transfer/range_set.h"

#include <algorithm>

namespace braid::transfer {

void RangeSet::add(Range r) {
  if (r.length == 0) return;
  uint64_t start = r.offset, end = r.end();
  auto it = ranges_.upper_bound(start);
  if (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= start) it = prev;
  }
  while (it != ranges_.end() && it->first <= end) {
    start = std::min(start, it->first);
    end = std::max(end, it->second);
    bytes_ -= it->second - it->first;
    it = ranges_.erase(it);
  }
  ranges_.emplace(start, end);
  bytes_ += end - start;
}

void RangeSet::remove(Range r) {
  if (r.length == 0) return;
  uint64_t start = r.offset, end = r.end();
  auto it = ranges_.upper_bound(start);
  if (it != ranges_.begin()) --it;
  while (it != ranges_.end() && it->first < end) {
    uint64_t s = it->first, e = it->second;
    if (e <= start) {
      ++it;
      continue;
    }
    bytes_ -= e - s;
    it = ranges_.erase(it);
    if (s < start) {
      ranges_.emplace(s, start);
      bytes_ += start - s;
    }
    if (e > end) {
      ranges_.emplace(end, e);
      bytes_ += e - end;
      break;
    }
  }
}

bool RangeSet::contains(Range r) const {
  if (r.length == 0) return true;
  auto it = ranges_.upper_bound(r.offset);
  if (it == ranges_.begin()) return false;
  --it;
  return it->first <= r.offset && it->second >= r.end();
}

bool RangeSet::overlaps(Range r) const {
  if (r.length == 0) return false;
  auto it = ranges_.upper_bound(r.offset);
  if (it != ranges_.begin() && std::prev(it)->second > r.offset) return true;
  return it != ranges_.end() && it->first < r.end();
}

uint64_t RangeSet::first_gap(uint64_t from) const {
  auto it = ranges_.upper_bound(from);
  if (it == ranges_.begin()) return from;
  --it;
  return it->second > from ? it->second : from;
}

std::optional<uint64_t> RangeSet::next_start(uint64_t from) const {
  auto it = ranges_.upper_bound(from);
  if (it == ranges_.end()) return std::nullopt;
  return it->first;
}

std::vector<Range> RangeSet::ranges() const {
  std::vector<Range> out;
  out.reserve(ranges_.size());
  for (auto& [s, e] : ranges_) out.push_back({s, e - s});
  return out;
}

}  // namespace braid::transfer

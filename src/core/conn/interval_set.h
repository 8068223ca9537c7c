// A set of disjoint half-open ranges [start, end) of uint64_t offsets, kept merged. Stream
// buffers use it for acknowledged and lost byte ranges; every operation is O(log n) plus the
// ranges it touches, never per value.
#pragma once
#include <cstdint>
#include <map>
#include <optional>

namespace braid::conn {

struct Interval {
  uint64_t start = 0;
  uint64_t end = 0;  // exclusive
  uint64_t length() const { return end - start; }
  bool operator==(const Interval&) const = default;
};

class IntervalSet {
 public:
  using Map = std::map<uint64_t, uint64_t>;  // start -> end
  using const_iterator = Map::const_iterator;

  // Adds [start, end), merging with overlapping or adjacent ranges. Returns how many values
  // were not covered before.
  uint64_t insert(uint64_t start, uint64_t end);
  // Removes [start, end), splitting ranges as needed. Returns how many values were removed.
  uint64_t remove(uint64_t start, uint64_t end);
  // Removes every range of `other`.
  void subtract(const IntervalSet& other);

  bool contains(uint64_t value) const;
  bool contains(uint64_t start, uint64_t end) const;  // the whole range (true when empty)
  bool intersects(uint64_t start, uint64_t end) const;

  std::optional<Interval> first() const;
  std::optional<Interval> last() const;
  bool empty() const { return ranges_.empty(); }
  size_t range_count() const { return ranges_.size(); }
  void clear() { ranges_.clear(); }

  // Calls f(start, end) for each maximal part of [start, end) the set does not cover, in order.
  template <typename F>
  void for_each_gap(uint64_t start, uint64_t end, F&& f) const;

  const_iterator begin() const { return ranges_.begin(); }
  const_iterator end() const { return ranges_.end(); }
  bool operator==(const IntervalSet&) const = default;

 private:
  // The first range that ends after `value` (may start after it), or end().
  const_iterator first_ending_after(uint64_t value) const;

  Map ranges_;
};

template <typename F>
void IntervalSet::for_each_gap(uint64_t start, uint64_t end, F&& f) const {
  if (start >= end) return;
  uint64_t cursor = start;
  for (auto it = first_ending_after(start); it != ranges_.end() && it->first < end; ++it) {
    if (it->first > cursor) f(cursor, it->first);
    cursor = it->second;
    if (cursor >= end) return;
  }
  if (cursor < end) f(cursor, end);
}

}  // namespace braid::conn

// Sets of byte ranges [offset, offset + length): which parts of a transfer are confirmed or
// in flight. Adjacent and overlapping ranges merge.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace braid::transfer {

struct Range {
  uint64_t offset = 0, length = 0;
  uint64_t end() const { return offset + length; }
  bool operator==(const Range&) const = default;
};

class RangeSet {
 public:
  void add(Range r);
  void remove(Range r);
  bool contains(Range r) const;     // every byte of r is in the set
  bool overlaps(Range r) const;     // some byte of r is in the set
  // The first byte at or after `from` that is not in the set.
  uint64_t first_gap(uint64_t from) const;
  // The start of the first range that begins after `from` (nullopt: none).
  std::optional<uint64_t> next_start(uint64_t from) const;
  uint64_t bytes() const { return bytes_; }
  bool empty() const { return ranges_.empty(); }
  size_t count() const { return ranges_.size(); }
  std::vector<Range> ranges() const;
  void clear() {
    ranges_.clear();
    bytes_ = 0;
  }

 private:
  std::map<uint64_t, uint64_t> ranges_;   // start → end (exclusive), disjoint, not adjacent
  uint64_t bytes_ = 0;
};

}  // namespace braid::transfer

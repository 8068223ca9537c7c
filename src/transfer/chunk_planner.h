// Which bytes of a transfer to send next: the lowest bytes neither confirmed by the
// receiver nor in flight, cut into chunks of the size the profile asks for at that moment
// (chunk sizes may change mid-transfer; a resumed transfer starts from the receiver's
// confirmed ranges, whatever chunk sizes produced them).
#pragma once
#include <cstdint>
#include <optional>

#include "transfer/range_set.h"

namespace braid::transfer {

class ChunkPlanner {
 public:
  // total: the transfer's size, or nullopt while a byte stream has not ended.
  explicit ChunkPlanner(std::optional<uint64_t> total) : total_(total) {}

  // Ranges the receiver already holds (resume): never planned again.
  void set_confirmed(const RangeSet& confirmed);
  // The next chunk of at most max_len bytes (> 0), marked in flight; nullopt when every byte
  // is confirmed or in flight (or the stream's end is not known and max_len is 0).
  std::optional<Range> next(uint64_t max_len);
  // A chunk in flight was cut short (the byte stream ended inside it): keep `length` bytes.
  void shrink(Range chunk, uint64_t length);
  void confirm(Range chunk);
  // A chunk in flight is lost (its stream was reset or the connection went): plan it again.
  void abandon(Range chunk);
  void set_total(uint64_t total) { total_ = total; }

  std::optional<uint64_t> total() const { return total_; }
  uint64_t confirmed_bytes() const { return confirmed_.bytes(); }
  uint64_t in_flight_bytes() const { return in_flight_.bytes(); }
  const RangeSet& confirmed() const { return confirmed_; }
  bool complete() const { return total_ && confirmed_.contains({0, *total_}); }

 private:
  std::optional<uint64_t> total_;
  RangeSet confirmed_, in_flight_;
  uint64_t cursor_ = 0;   // no unplanned byte lies below it
};

}  // namespace braid::transfer

// RecvBuffer: each insert copies only the parts that fill gaps, so the held pieces stay
// disjoint and reads never compare overlapping copies. contiguous_end_ is advanced as gaps
// close, which keeps readable() O(1).
#include "core/conn/recv_buffer.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <iterator>

#include <fmt/format.h>

namespace braid::conn {

RecvBuffer::RecvBuffer(uint64_t max_gap_bytes, size_t max_pieces, PieceBudget* budget)
    : max_gap_bytes_(max_gap_bytes), max_pieces_(max_pieces), budget_(budget) {}

RecvBuffer::~RecvBuffer() {
  if (budget_) budget_->used -= pieces_.size();
}

RecvBuffer::RecvBuffer(RecvBuffer&& o) noexcept
    : max_gap_bytes_(o.max_gap_bytes_), max_pieces_(o.max_pieces_), budget_(o.budget_), pieces_(std::move(o.pieces_)),
      read_offset_(o.read_offset_), contiguous_end_(o.contiguous_end_), highest_offset_(o.highest_offset_),
      final_size_(o.final_size_), buffered_bytes_(o.buffered_bytes_) {
  o.budget_ = nullptr;
  o.pieces_.clear();
}

Status RecvBuffer::insert(uint64_t offset, std::span<const uint8_t> data, bool fin) {
  if (offset > kMaxOffset || data.size() > kMaxOffset - offset) {
    return fail(TransportErrorCode::kFrameEncodingError, "stream offset exceeds 2^62-1");
  }
  const uint64_t end = offset + data.size();
  if (final_size_) {
    if (end > *final_size_) {
      return fail(TransportErrorCode::kFinalSizeError,
                  fmt::format("data up to {} beyond final size {}", end, *final_size_));
    }
    if (fin && end != *final_size_) {
      return fail(TransportErrorCode::kFinalSizeError,
                  fmt::format("final size changed from {} to {}", *final_size_, end));
    }
  } else if (fin && end < highest_offset_) {
    return fail(TransportErrorCode::kFinalSizeError,
                fmt::format("final size {} below received data at {}", end, highest_offset_));
  }
  if (end > read_offset_ && end - read_offset_ > max_gap_bytes_) {
    return fail(TransportErrorCode::kCryptoBufferExceeded,
                fmt::format("data up to {} is more than {} bytes past read offset {}", end, max_gap_bytes_,
                            read_offset_));
  }
  highest_offset_ = std::max(highest_offset_, end);
  if (fin) final_size_ = end;
  if (end <= read_offset_) return {};
  if (offset < read_offset_) {
    data = data.subspan(static_cast<size_t>(read_offset_ - offset));
    offset = read_offset_;
  }
  if (auto st = store(offset, data); !st) return st;
  extend_contiguous();
  return {};
}

Status RecvBuffer::store(uint64_t offset, std::span<const uint8_t> data) {
  const uint64_t end = offset + data.size();
  uint64_t cursor = offset;
  auto it = pieces_.upper_bound(cursor);
  if (it != pieces_.begin()) {
    auto prev = std::prev(it);
    cursor = std::max(cursor, prev->first + prev->second.size());
  }
  while (cursor < end) {
    const uint64_t gap_end = (it == pieces_.end()) ? end : std::min(end, it->first);
    if (cursor < gap_end) {
      auto part = data.subspan(static_cast<size_t>(cursor - offset), static_cast<size_t>(gap_end - cursor));
      auto prev = it == pieces_.begin() ? pieces_.end() : std::prev(it);
      if (prev != pieces_.end() && prev->first + prev->second.size() == cursor &&
          prev->second.size() + part.size() <= kCoalesceBytes) {
        // Extends the piece before the gap: no new node for data that follows it.
        prev->second.bytes.insert(prev->second.bytes.end(), part.begin(), part.end());
      } else if (it != pieces_.end() && it->first == gap_end && part.size() + it->second.size() <= kCoalesceBytes) {
        // Fills the gap right before a piece: becomes its front, no new node.
        Piece merged;
        merged.bytes.reserve(part.size() + it->second.size());
        merged.bytes.insert(merged.bytes.end(), part.begin(), part.end());
        merged.bytes.insert(merged.bytes.end(), it->second.bytes.begin() + static_cast<std::ptrdiff_t>(it->second.begin),
                            it->second.bytes.end());
        it = pieces_.erase(it);
        auto placed = pieces_.emplace_hint(it, cursor, std::move(merged));
        buffered_bytes_ += part.size();
        cursor = placed->first + placed->second.size();
        continue;
      } else {
        if (pieces_.size() >= max_pieces_ || (budget_ && budget_->used >= budget_->limit)) {
          return fail(TransportErrorCode::kProtocolViolation,
                      fmt::format("more than {} out-of-order fragments held", pieces_.size()));
        }
        prev = pieces_.emplace_hint(it, cursor, Piece{std::vector<uint8_t>(part.begin(), part.end()), 0});
        if (budget_) budget_->used++;
      }
      buffered_bytes_ += part.size();
      // The gap is closed: the next piece joins this one if it is small enough.
      if (it != pieces_.end() && it->first == gap_end && prev->second.size() + it->second.size() <= kCoalesceBytes) {
        auto& next = it->second;
        prev->second.bytes.insert(prev->second.bytes.end(), next.bytes.begin() + static_cast<std::ptrdiff_t>(next.begin),
                                  next.bytes.end());
        it = pieces_.erase(it);
        if (budget_) budget_->used--;
        cursor = prev->first + prev->second.size();
        continue;
      }
    }
    if (it == pieces_.end()) break;
    cursor = std::max(cursor, it->first + it->second.size());
    ++it;
  }
  return {};
}

void RecvBuffer::extend_contiguous() {
  // The run's last piece may have grown in place (coalescing), then pieces that start
  // where it ends join the run.
  auto it = pieces_.upper_bound(contiguous_end_);
  if (it != pieces_.begin()) {
    auto last = std::prev(it);
    contiguous_end_ = std::max(contiguous_end_, last->first + last->second.size());
  }
  for (it = pieces_.find(contiguous_end_); it != pieces_.end() && it->first == contiguous_end_; ++it) {
    contiguous_end_ += it->second.size();
  }
}

std::span<const uint8_t> RecvBuffer::peek() const {
  if (pieces_.empty() || pieces_.begin()->first != read_offset_) return {};
  const Piece& p = pieces_.begin()->second;
  return std::span<const uint8_t>(p.bytes).subspan(p.begin);
}

void RecvBuffer::consume(size_t n) {
  assert(n <= readable());
  n = std::min(n, readable());
  while (n > 0) {
    auto it = pieces_.begin();
    Piece& p = it->second;
    const size_t take = std::min(n, p.size());
    n -= take;
    read_offset_ += take;
    buffered_bytes_ -= take;
    if (take == p.size()) {
      pieces_.erase(it);
      if (budget_) budget_->used--;
    } else {
      p.begin += take;
      auto node = pieces_.extract(it);
      node.key() = read_offset_;
      pieces_.insert(std::move(node));
    }
  }
}

size_t RecvBuffer::read(std::span<uint8_t> out) {
  size_t total = 0;
  while (total < out.size()) {
    auto chunk = peek();
    if (chunk.empty()) break;
    const size_t take = std::min(chunk.size(), out.size() - total);
    std::memcpy(out.data() + total, chunk.data(), take);
    total += take;
    consume(take);
  }
  return total;
}

}  // namespace braid::conn

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

RecvBuffer::RecvBuffer(uint64_t max_gap_bytes) : max_gap_bytes_(max_gap_bytes) {}

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
  store(offset, data);
  extend_contiguous();
  return {};
}

void RecvBuffer::store(uint64_t offset, std::span<const uint8_t> data) {
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
      pieces_.emplace_hint(it, cursor, Piece{std::vector<uint8_t>(part.begin(), part.end()), 0});
      buffered_bytes_ += part.size();
    }
    if (it == pieces_.end()) break;
    cursor = std::max(cursor, it->first + it->second.size());
    ++it;
  }
}

void RecvBuffer::extend_contiguous() {
  for (auto it = pieces_.find(contiguous_end_); it != pieces_.end() && it->first == contiguous_end_; ++it) {
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

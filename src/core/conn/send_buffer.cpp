// SendBuffer: chunks are exactly kChunkBytes except the last, so an offset maps to its chunk
// by division. Per-packet operations (next_slice, on_sent, on_acked) touch the interval sets
// at their ends only and cost O(log ranges).
#include "core/conn/send_buffer.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace braid::conn {

SendBuffer::SendBuffer(size_t max_buffered_bytes, SendPool* pool) : max_buffered_bytes_(max_buffered_bytes), pool_(pool) {}

SendBuffer::~SendBuffer() {
  if (pool_) pool_->used -= counted_;
}

SendBuffer::SendBuffer(SendBuffer&& o) noexcept
    : max_buffered_bytes_(o.max_buffered_bytes_), pool_(o.pool_), counted_(o.counted_), chunks_(std::move(o.chunks_)),
      base_offset_(o.base_offset_), written_(o.written_), fresh_offset_(o.fresh_offset_), acked_bytes_(o.acked_bytes_),
      acked_(std::move(o.acked_)), lost_(std::move(o.lost_)), fin_(o.fin_), fin_sent_(o.fin_sent_), fin_lost_(o.fin_lost_),
      fin_acked_(o.fin_acked_) {
  o.pool_ = nullptr;
  o.counted_ = 0;
}

SendBuffer& SendBuffer::operator=(SendBuffer&& o) noexcept {
  if (this == &o) return *this;
  if (pool_) pool_->used -= counted_;
  max_buffered_bytes_ = o.max_buffered_bytes_;
  pool_ = o.pool_;
  counted_ = o.counted_;
  chunks_ = std::move(o.chunks_);
  base_offset_ = o.base_offset_;
  written_ = o.written_;
  fresh_offset_ = o.fresh_offset_;
  acked_bytes_ = o.acked_bytes_;
  acked_ = std::move(o.acked_);
  lost_ = std::move(o.lost_);
  fin_ = o.fin_;
  fin_sent_ = o.fin_sent_;
  fin_lost_ = o.fin_lost_;
  fin_acked_ = o.fin_acked_;
  o.pool_ = nullptr;
  o.counted_ = 0;
  return *this;
}

void SendBuffer::sync_pool() {
  if (!pool_) return;
  size_t now = retained_bytes();
  pool_->used = pool_->used - counted_ + now;
  counted_ = now;
}

void SendBuffer::discard() {
  if (written_ > 0) acked_bytes_ += acked_.insert(0, written_);
  lost_ = IntervalSet{};
  fresh_offset_ = written_;
  chunks_.clear();
  chunks_.shrink_to_fit();
  base_offset_ = written_;
  sync_pool();
}

uint64_t SendBuffer::acked_prefix() const {
  auto first = acked_.begin();
  return first != acked_.end() && first->first == 0 ? first->second : 0;
}

size_t SendBuffer::writable() const {
  const size_t retained = retained_bytes();
  const size_t own = retained >= max_buffered_bytes_ ? 0 : max_buffered_bytes_ - retained;
  return pool_ ? std::min(own, pool_->free()) : own;
}

size_t SendBuffer::write(std::span<const uint8_t> data) {
  if (fin_) return 0;
  const size_t n = std::min(data.size(), writable());
  size_t done = 0;
  while (done < n) {
    if (chunks_.empty() || chunks_.back().size() == kChunkBytes) chunks_.emplace_back();
    auto& chunk = chunks_.back();
    const size_t take = std::min(n - done, kChunkBytes - chunk.size());
    if (chunk.capacity() < chunk.size() + take) {
      // Grow geometrically but never past one chunk.
      chunk.reserve(std::min(kChunkBytes, std::max(chunk.capacity() * 2, chunk.size() + take)));
    }
    chunk.insert(chunk.end(), data.begin() + done, data.begin() + done + take);
    done += take;
  }
  written_ += n;
  sync_pool();
  return n;
}

void SendBuffer::finish() { fin_ = true; }

std::optional<SendSlice> SendBuffer::next_slice(size_t max_len, uint64_t limit_offset) const {
  if (max_len > 0) {
    if (auto lost = lost_.first()) {
      const size_t len = static_cast<size_t>(std::min<uint64_t>(lost->length(), max_len));
      const bool fin = fin_needs_send() && lost->start + len == written_;
      return SendSlice{lost->start, len, fin, true};
    }
    if (fresh_offset_ < written_ && fresh_offset_ < limit_offset) {
      const uint64_t room = std::min(written_, limit_offset) - fresh_offset_;
      const size_t len = static_cast<size_t>(std::min<uint64_t>(room, max_len));
      const bool fin = fin_needs_send() && fresh_offset_ + len == written_;
      return SendSlice{fresh_offset_, len, fin, false};
    }
  }
  if (lost_.empty() && fresh_offset_ == written_ && fin_needs_send()) {
    return SendSlice{written_, 0, true, fin_sent_};
  }
  return std::nullopt;
}

void SendBuffer::copy_out(uint64_t offset, size_t length, uint8_t* dst) const {
  assert(offset >= base_offset_ && offset + length <= written_);
  uint64_t rel = offset - base_offset_;
  while (length > 0) {
    const auto& chunk = chunks_[static_cast<size_t>(rel / kChunkBytes)];
    const size_t within = static_cast<size_t>(rel % kChunkBytes);
    const size_t take = std::min(length, chunk.size() - within);
    std::memcpy(dst, chunk.data() + within, take);
    dst += take;
    rel += take;
    length -= take;
  }
}

void SendBuffer::on_sent(const SendSlice& s) {
  const uint64_t end = s.offset + s.length;
  if (s.length > 0) {
    lost_.remove(s.offset, end);
    if (s.offset <= fresh_offset_ && end > fresh_offset_) fresh_offset_ = std::min(end, written_);
  }
  if (s.fin && fin_ && end == written_) {
    fin_sent_ = true;
    fin_lost_ = false;
  }
}

void SendBuffer::on_acked(uint64_t offset, size_t length, bool fin) {
  const uint64_t end = std::min<uint64_t>(offset + length, written_);
  if (offset < end) {
    acked_bytes_ += acked_.insert(offset, end);
    lost_.remove(offset, end);  // a spuriously lost range needs no resend
    release_acked_chunks();
    sync_pool();
  }
  if (fin && fin_) {
    fin_acked_ = true;
    fin_lost_ = false;
  }
}

void SendBuffer::on_lost(uint64_t offset, size_t length, bool fin) {
  // Bytes never sent cannot be lost; clip so a stale report cannot requeue fresh data.
  const uint64_t end = std::min<uint64_t>(offset + length, fresh_offset_);
  if (offset < end) {
    acked_.for_each_gap(offset, end, [this](uint64_t s, uint64_t e) { lost_.insert(s, e); });
  }
  if (fin && fin_ && fin_sent_ && !fin_acked_) fin_lost_ = true;
}

void SendBuffer::release_acked_chunks() {
  const uint64_t prefix = acked_prefix();
  if (fin_ && prefix == written_) {
    chunks_.clear();  // nothing more can be written or resent
    chunks_.shrink_to_fit();
    base_offset_ = written_;
    return;
  }
  while (!chunks_.empty() && chunks_.front().size() == kChunkBytes && base_offset_ + kChunkBytes <= prefix) {
    chunks_.pop_front();
    base_offset_ += kChunkBytes;
  }
}

std::optional<std::pair<uint64_t, uint64_t>> SendBuffer::unacked_part(uint64_t offset, uint64_t length) const {
  uint64_t end = offset + length;
  if (end > written_ || length == 0 || acked_.contains(offset, end)) return std::nullopt;
  uint64_t start = std::max(offset, acked_prefix());
  if (start >= end) return std::nullopt;
  return std::pair{start, end - start};
}

}  // namespace braid::conn

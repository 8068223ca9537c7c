// Outgoing byte stream shared by STREAM and CRYPTO data: bytes the application wrote, which
// of them were sent, acknowledged or declared lost, and the FIN's own delivery state. Data
// lives in fixed-size chunks freed from the front as the acknowledged prefix grows.
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "core/conn/interval_set.h"

namespace braid::conn {

struct SendSlice {
  uint64_t offset = 0;
  size_t length = 0;
  bool fin = false;
  bool retransmission = false;
  bool operator==(const SendSlice&) const = default;
};

// Bytes held by all the send buffers of one connection, against a connection-wide cap:
// many streams that a slow reader never drains cannot add up past it.
struct SendPool {
  size_t used = 0;
  size_t limit = SIZE_MAX;
  size_t free() const { return used >= limit ? 0 : limit - used; }
};

class SendBuffer {
 public:
  static constexpr size_t kChunkBytes = 64 * 1024;

  explicit SendBuffer(size_t max_buffered_bytes = SIZE_MAX, SendPool* pool = nullptr);
  ~SendBuffer();
  SendBuffer(SendBuffer&& o) noexcept;
  SendBuffer& operator=(SendBuffer&& o) noexcept;
  SendBuffer(const SendBuffer&) = delete;
  SendBuffer& operator=(const SendBuffer&) = delete;
  // Frees every byte held (the stream was reset: nothing will be sent or resent).
  void discard();

  // Returns the bytes accepted, bounded by writable(); nothing is accepted after finish().
  size_t write(std::span<const uint8_t> data);
  void finish();
  bool finished() const { return fin_; }
  size_t buffered() const { return static_cast<size_t>(written_ - acked_bytes_); }
  // Free space: the limit minus retained_bytes() (memory is only released from the front),
  // and no more than the connection's pool has left.
  size_t writable() const;
  uint64_t written() const { return written_; }
  // Bytes still held: from the first unacknowledged byte to the end of the written data.
  size_t retained_bytes() const { return static_cast<size_t>(written_ - acked_prefix()); }

  // Lost ranges first (retransmission=true), then fresh data below `limit_offset`, at most
  // max_len bytes. A FIN-only slice (length 0) comes when everything before it was sent and
  // the FIN still needs (re)sending. Lost data is not flow-limited: it was allowed once.
  std::optional<SendSlice> next_slice(size_t max_len, uint64_t limit_offset) const;
  // Copies bytes of a range that is not yet freed (offset >= the acknowledged prefix).
  void copy_out(uint64_t offset, size_t length, uint8_t* dst) const;
  // The part of [offset, offset + length) a copy may still send: from the first byte not
  // acknowledged (and not freed) to the end; nullopt when all of it was acknowledged.
  std::optional<std::pair<uint64_t, uint64_t>> unacked_part(uint64_t offset, uint64_t length) const;
  // Records a slice from next_slice as sent; it may have been shortened (then drop `fin`).
  void on_sent(const SendSlice& s);
  void on_acked(uint64_t offset, size_t length, bool fin);
  // Requeues the parts of the range that are not acknowledged yet.
  void on_lost(uint64_t offset, size_t length, bool fin);

  bool all_acked() const { return acked_bytes_ == written_ && (!fin_ || fin_acked_); }
  bool has_pending() const { return !lost_.empty() || fresh_offset_ < written_ || fin_needs_send(); }
  bool has_fresh_blocked_by(uint64_t limit_offset) const {
    return fresh_offset_ < written_ && fresh_offset_ >= limit_offset;
  }
  uint64_t fresh_offset() const { return fresh_offset_; }
  // Bytes queued for retransmission.
  bool has_lost() const { return !lost_.empty(); }

 private:
  bool fin_needs_send() const { return fin_ && !fin_acked_ && (!fin_sent_ || fin_lost_); }
  uint64_t acked_prefix() const;
  void release_acked_chunks();
  void sync_pool();   // brings pool_->used in line with retained_bytes()

  size_t max_buffered_bytes_;
  SendPool* pool_ = nullptr;
  size_t counted_ = 0;   // what this buffer has added to pool_->used
  // chunks_[i] holds [base_offset_ + i * kChunkBytes, ...); all but the last are full.
  std::deque<std::vector<uint8_t>> chunks_;
  uint64_t base_offset_ = 0;
  uint64_t written_ = 0;
  uint64_t fresh_offset_ = 0;
  uint64_t acked_bytes_ = 0;
  IntervalSet acked_;  // keeps [0, prefix) as its first range once anything at 0 is acked
  IntervalSet lost_;   // sent, declared lost, not acknowledged since, not yet resent
  bool fin_ = false;
  bool fin_sent_ = false;
  bool fin_lost_ = false;
  bool fin_acked_ = false;
};

}  // namespace braid::conn

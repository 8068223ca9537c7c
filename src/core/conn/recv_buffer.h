// Incoming byte stream reassembly shared by STREAM and CRYPTO data: out-of-order pieces held
// by offset without overlap, the contiguous run handed out zero-copy, and the final size
// rules of RFC 9000 §4.5.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "braid/error.h"

namespace braid::conn {

// Out-of-order pieces held by all the receive buffers of one connection, against a cap:
// flow control bounds bytes, not pieces, and a 1-byte piece costs ~100 bytes of bookkeeping
// (RFC 9000 §21.4, stream fragmentation attacks).
struct PieceBudget {
  size_t used = 0;
  size_t limit = SIZE_MAX;
};

class RecvBuffer {
 public:
  static constexpr uint64_t kMaxOffset = (uint64_t{1} << 62) - 1;  // RFC 9000 §19.8
  // Adjacent data is appended to the piece before it while that piece is smaller than this,
  // so in-order runs after a gap take one piece, not one per frame.
  static constexpr size_t kCoalesceBytes = 64 * 1024;

  // Data ending more than max_gap_bytes past read_offset() is refused with
  // CRYPTO_BUFFER_EXCEEDED (CRYPTO streams; STREAM data is bounded by flow control instead).
  // More than max_pieces disjoint pieces here, or past the shared budget, is a
  // PROTOCOL_VIOLATION: a sender that fragments that much is attacking.
  explicit RecvBuffer(uint64_t max_gap_bytes = 16 << 20, size_t max_pieces = SIZE_MAX, PieceBudget* budget = nullptr);
  ~RecvBuffer();
  RecvBuffer(RecvBuffer&& o) noexcept;
  RecvBuffer& operator=(RecvBuffer&&) = delete;
  RecvBuffer(const RecvBuffer&) = delete;
  RecvBuffer& operator=(const RecvBuffer&) = delete;
  size_t piece_count() const { return pieces_.size(); }

  // Stores [offset, offset + data.size()), dropping parts already read or already held.
  // FINAL_SIZE_ERROR: data beyond a known final size, a changed final size, or a FIN below
  // data already received. FRAME_ENCODING_ERROR: the end passes 2^62-1. The caller checks
  // flow control against highest_offset().
  Status insert(uint64_t offset, std::span<const uint8_t> data, bool fin);

  size_t read(std::span<uint8_t> out);
  size_t readable() const { return static_cast<size_t>(contiguous_end_ - read_offset_); }
  // The next contiguous piece (possibly shorter than readable()); empty if none.
  std::span<const uint8_t> peek() const;
  // Drops n <= readable() bytes from the read position.
  void consume(size_t n);

  uint64_t read_offset() const { return read_offset_; }
  uint64_t highest_offset() const { return highest_offset_; }
  std::optional<uint64_t> final_size() const { return final_size_; }
  bool fin_received() const { return final_size_.has_value(); }
  bool finished() const { return final_size_ && read_offset_ == *final_size_; }
  size_t buffered_bytes() const { return buffered_bytes_; }

 private:
  struct Piece {
    std::vector<uint8_t> bytes;
    size_t begin = 0;  // bytes before this were consumed
    size_t size() const { return bytes.size() - begin; }
  };
  Status store(uint64_t offset, std::span<const uint8_t> data);
  void extend_contiguous();

  uint64_t max_gap_bytes_;
  size_t max_pieces_;
  PieceBudget* budget_;
  std::map<uint64_t, Piece> pieces_;  // keyed by the offset of bytes[begin]; disjoint, >= read_offset_
  uint64_t read_offset_ = 0;
  uint64_t contiguous_end_ = 0;       // end of the gap-free run starting at read_offset_
  uint64_t highest_offset_ = 0;
  std::optional<uint64_t> final_size_;
  size_t buffered_bytes_ = 0;
};

}  // namespace braid::conn

// Variable-length integers (RFC 9000 §16) and the bounds-checked byte cursors every decoder
// and encoder in the core is built on. A Reader never reads past its span; a Writer never
// writes past its buffer and remembers that it ran out of room.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace braid::wire {

inline constexpr uint64_t kVarintMax = (uint64_t{1} << 62) - 1;

constexpr size_t varint_size(uint64_t v) {
  return v < 64 ? 1 : v < 16384 ? 2 : v < 1073741824 ? 4 : 8;
}

class Reader {
 public:
  Reader() = default;
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  bool empty() const { return pos_ >= data_.size(); }
  std::span<const uint8_t> rest() const { return data_.subspan(pos_); }
  std::span<const uint8_t> whole() const { return data_; }
  void skip_all() { pos_ = data_.size(); }

  bool read_u8(uint8_t& out) {
    if (remaining() < 1) return false;
    out = data_[pos_++];
    return true;
  }
  bool peek_u8(uint8_t& out) const {
    if (remaining() < 1) return false;
    out = data_[pos_];
    return true;
  }
  // Big-endian fixed-width unsigned integer of n bytes (1..8).
  bool read_uint(size_t n, uint64_t& out) {
    if (n == 0 || n > 8 || remaining() < n) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | data_[pos_ + i];
    pos_ += n;
    out = v;
    return true;
  }
  bool read_u16(uint16_t& out) { uint64_t v; if (!read_uint(2, v)) return false; out = uint16_t(v); return true; }
  bool read_u32(uint32_t& out) { uint64_t v; if (!read_uint(4, v)) return false; out = uint32_t(v); return true; }
  bool read_varint(uint64_t& out) {
    if (remaining() < 1) return false;
    size_t n = size_t{1} << (data_[pos_] >> 6);
    if (remaining() < n) return false;
    uint64_t v = data_[pos_] & 0x3f;
    for (size_t i = 1; i < n; ++i) v = (v << 8) | data_[pos_ + i];
    pos_ += n;
    out = v;
    return true;
  }
  bool read_bytes(size_t n, std::span<const uint8_t>& out) {
    if (remaining() < n) return false;
    out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool skip(size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

class Writer {
 public:
  Writer() = default;
  explicit Writer(std::span<uint8_t> buf) : buf_(buf) {}

  size_t size() const { return pos_; }
  size_t remaining() const { return buf_.size() - pos_; }
  bool ok() const { return ok_; }
  uint8_t* data() { return buf_.data(); }
  uint8_t* cursor() { return buf_.data() + pos_; }
  std::span<const uint8_t> written() const { return buf_.first(pos_); }
  void truncate(size_t n) { if (n < pos_) pos_ = n; }
  // For encoders that refuse a value (not just a full buffer): the writer reports failure
  // the same way, so callers need only check ok().
  bool mark_failed() { return ok_ = false; }

  bool write_u8(uint8_t v) {
    if (remaining() < 1) return ok_ = false;
    buf_[pos_++] = v;
    return true;
  }
  bool write_uint(uint64_t v, size_t n) {
    if (remaining() < n) return ok_ = false;
    for (size_t i = 0; i < n; ++i) buf_[pos_ + i] = uint8_t(v >> (8 * (n - 1 - i)));
    pos_ += n;
    return true;
  }
  bool write_u16(uint16_t v) { return write_uint(v, 2); }
  bool write_u32(uint32_t v) { return write_uint(v, 4); }
  // Encodes with the minimal length, or with exactly `len` bytes when len != 0.
  bool write_varint(uint64_t v, size_t len = 0) {
    if (v > kVarintMax) return ok_ = false;
    size_t n = len ? len : varint_size(v);
    if (n < varint_size(v)) return ok_ = false;
    if (remaining() < n) return ok_ = false;
    uint8_t prefix = n == 1 ? 0x00 : n == 2 ? 0x40 : n == 4 ? 0x80 : 0xc0;
    for (size_t i = 0; i < n; ++i) buf_[pos_ + i] = uint8_t(v >> (8 * (n - 1 - i)));
    buf_[pos_] |= prefix;
    pos_ += n;
    return true;
  }
  bool write_bytes(std::span<const uint8_t> b) {
    if (remaining() < b.size()) return ok_ = false;
    if (!b.empty()) std::memcpy(buf_.data() + pos_, b.data(), b.size());
    pos_ += b.size();
    return true;
  }
  bool write_zeros(size_t n) {
    if (remaining() < n) return ok_ = false;
    std::memset(buf_.data() + pos_, 0, n);
    pos_ += n;
    return true;
  }
  // Overwrites a varint of fixed length `len` at an earlier offset (length fields).
  bool patch_varint(size_t offset, uint64_t v, size_t len) {
    if (offset + len > pos_ || varint_size(v) > len) return ok_ = false;
    size_t save = pos_;
    pos_ = offset;
    bool r = write_varint(v, len);
    pos_ = save;
    return r;
  }

 private:
  std::span<uint8_t> buf_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace braid::wire

// Tests for the varint codec and the Reader/Writer cursors: size boundaries, forced lengths,
// the RFC 9000 Appendix A.1 examples, and refusal to read or write out of bounds.
#include "core/wire/varint.h"

#include <gtest/gtest.h>

#include <vector>

namespace braid::wire {
namespace {

std::vector<uint8_t> encode(uint64_t v, size_t len = 0) {
  std::vector<uint8_t> buf(8);
  Writer w(buf);
  EXPECT_TRUE(w.write_varint(v, len));
  buf.resize(w.size());
  return buf;
}

struct BoundaryCase {
  uint64_t value;
  size_t size;
};

TEST(Varint, SizeBoundaries) {
  const BoundaryCase cases[] = {
      {0, 1},          {63, 1},          {64, 2},          {16383, 2},
      {16384, 4},      {(1u << 30) - 1, 4}, {1u << 30, 8},  {kVarintMax, 8},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.value);
    EXPECT_EQ(varint_size(c.value), c.size);
    auto bytes = encode(c.value);
    ASSERT_EQ(bytes.size(), c.size);
    Reader r(bytes);
    uint64_t out = ~0ull;
    ASSERT_TRUE(r.read_varint(out));
    EXPECT_EQ(out, c.value);
    EXPECT_TRUE(r.empty());
  }
}

TEST(Varint, PrefixBitsMatchLength) {
  EXPECT_EQ(encode(63)[0], 0x3f);
  EXPECT_EQ(encode(64)[0], 0x40);
  EXPECT_EQ(encode(16384)[0], 0x80);
  EXPECT_EQ(encode(1u << 30)[0], 0xc0);
  EXPECT_EQ(encode(kVarintMax), (std::vector<uint8_t>{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
}

TEST(Varint, Rfc9000AppendixA1Examples) {
  struct Example {
    std::vector<uint8_t> bytes;
    uint64_t value;
  };
  const Example examples[] = {
      {{0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c}, 151288809941952652ull},
      {{0x9d, 0x7f, 0x3e, 0x7d}, 494878333},
      {{0x7b, 0xbd}, 15293},
      {{0x25}, 37},
      {{0x40, 0x25}, 37},  // non-minimal encodings decode to the same value
  };
  for (const auto& e : examples) {
    Reader r(e.bytes);
    uint64_t v;
    ASSERT_TRUE(r.read_varint(v));
    EXPECT_EQ(v, e.value);
    EXPECT_TRUE(r.empty());
  }
  // Minimal encodings of the first four reproduce the RFC bytes.
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(encode(examples[i].value), examples[i].bytes);
}

TEST(Varint, ForcedLength) {
  EXPECT_EQ(encode(37, 2), (std::vector<uint8_t>{0x40, 0x25}));
  EXPECT_EQ(encode(0, 4), (std::vector<uint8_t>{0x80, 0, 0, 0}));
  EXPECT_EQ(encode(5, 8), (std::vector<uint8_t>{0xc0, 0, 0, 0, 0, 0, 0, 5}));
  // A forced length shorter than the value needs is refused, and flags the writer.
  std::vector<uint8_t> buf(8);
  Writer w(buf);
  EXPECT_FALSE(w.write_varint(64, 1));
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.size(), 0u);
  Writer w2(buf);
  EXPECT_FALSE(w2.write_varint(16384, 2));
}

TEST(Varint, ValueAboveMaxRefused) {
  std::vector<uint8_t> buf(8);
  Writer w(buf);
  EXPECT_FALSE(w.write_varint(kVarintMax + 1));
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.size(), 0u);
}

TEST(Varint, TruncatedInputFailsWithoutConsuming) {
  const std::vector<std::vector<uint8_t>> cases = {
      {},
      {0x40},
      {0x80, 0x00, 0x00},
      {0xc0, 0, 0, 0, 0, 0, 0},
  };
  for (const auto& bytes : cases) {
    SCOPED_TRACE(bytes.size());
    Reader r(bytes);
    uint64_t v = 99;
    EXPECT_FALSE(r.read_varint(v));
    EXPECT_EQ(v, 99u);
    EXPECT_EQ(r.position(), 0u);
  }
}

TEST(Varint, WriterOutOfRoom) {
  std::vector<uint8_t> buf(3);
  Writer w(buf);
  EXPECT_TRUE(w.write_varint(16383));  // 2 bytes
  EXPECT_FALSE(w.write_varint(16384));  // needs 4, has 1
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.size(), 2u);
  EXPECT_TRUE(w.write_u8(7));  // a smaller write still fits, but ok() stays false
  EXPECT_FALSE(w.ok());
}

TEST(Varint, PatchVarint) {
  std::vector<uint8_t> buf(8);
  Writer w(buf);
  w.write_varint(0, 2);
  w.write_u8(0xaa);
  EXPECT_TRUE(w.patch_varint(0, 300, 2));
  EXPECT_EQ(buf[0], 0x41);
  EXPECT_EQ(buf[1], 0x2c);
  EXPECT_EQ(w.size(), 3u);
  EXPECT_FALSE(w.patch_varint(0, 16384, 2));  // does not fit the reserved field
  Writer w2(buf);
  w2.write_u8(0);
  EXPECT_FALSE(w2.patch_varint(0, 1, 2));  // beyond what was written
}

TEST(Reader, FixedWidthAndBytes) {
  const std::vector<uint8_t> bytes = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  Reader r(bytes);
  uint16_t a;
  uint32_t b;
  ASSERT_TRUE(r.read_u16(a));
  EXPECT_EQ(a, 0x0102);
  ASSERT_TRUE(r.read_u32(b));
  EXPECT_EQ(b, 0x03040506u);
  std::span<const uint8_t> rest;
  EXPECT_FALSE(r.read_bytes(2, rest));
  ASSERT_TRUE(r.read_bytes(1, rest));
  EXPECT_EQ(rest.data(), bytes.data() + 6);  // zero-copy view
  uint8_t c;
  EXPECT_FALSE(r.read_u8(c));
  EXPECT_FALSE(r.skip(1));
  uint64_t v;
  Reader r2(bytes);
  EXPECT_FALSE(r2.read_uint(0, v));
  EXPECT_FALSE(r2.read_uint(9, v));
  EXPECT_FALSE(r2.read_uint(8, v));
}

TEST(Writer, MarkFailedIsSticky) {
  std::vector<uint8_t> buf(4);
  Writer w(buf);
  EXPECT_TRUE(w.ok());
  EXPECT_FALSE(w.mark_failed());
  EXPECT_FALSE(w.ok());
}

}  // namespace
}  // namespace braid::wire

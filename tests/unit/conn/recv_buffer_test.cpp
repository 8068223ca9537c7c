#include "core/conn/recv_buffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace braid::conn {
namespace {

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7 + (i >> 8));
  return v;
}

std::span<const uint8_t> slice(const std::vector<uint8_t>& v, size_t off, size_t len) {
  return std::span(v).subspan(off, len);
}

std::vector<uint8_t> read_all(RecvBuffer& r) {
  std::vector<uint8_t> out(r.readable());
  EXPECT_EQ(r.read(out), out.size());
  return out;
}

TEST(RecvBuffer, InOrder) {
  RecvBuffer r;
  auto d = pattern(300);
  ASSERT_TRUE(r.insert(0, slice(d, 0, 100), false));
  ASSERT_TRUE(r.insert(100, slice(d, 100, 200), true));
  EXPECT_EQ(r.readable(), 300u);
  EXPECT_EQ(r.highest_offset(), 300u);
  EXPECT_EQ(r.final_size(), 300u);
  EXPECT_TRUE(r.fin_received());
  EXPECT_FALSE(r.finished());
  EXPECT_EQ(read_all(r), d);
  EXPECT_TRUE(r.finished());
  EXPECT_EQ(r.buffered_bytes(), 0u);
}

TEST(RecvBuffer, OutOfOrderWaitsForGap) {
  RecvBuffer r;
  auto d = pattern(300);
  ASSERT_TRUE(r.insert(200, slice(d, 200, 100), false));
  ASSERT_TRUE(r.insert(100, slice(d, 100, 100), false));
  EXPECT_EQ(r.readable(), 0u);
  EXPECT_TRUE(r.peek().empty());
  EXPECT_EQ(r.buffered_bytes(), 200u);
  EXPECT_EQ(r.highest_offset(), 300u);
  ASSERT_TRUE(r.insert(0, slice(d, 0, 100), false));
  EXPECT_EQ(r.readable(), 300u);
  EXPECT_EQ(read_all(r), d);
}

TEST(RecvBuffer, OverlapsAndDuplicatesKeepOneCopy) {
  struct Piece { uint64_t offset; size_t length; };
  const std::vector<std::pair<std::string, std::vector<Piece>>> cases = {
      {"exact duplicate", {{0, 150}, {0, 150}}},
      {"overlap front", {{50, 100}, {0, 100}}},
      {"overlap back", {{0, 100}, {50, 100}}},
      {"contained", {{0, 150}, {20, 50}}},
      {"containing", {{40, 20}, {100, 10}, {0, 150}}},
      {"bridging", {{0, 50}, {100, 50}, {25, 100}}},
      {"after read", {{0, 100}, {0, 150}}},
  };
  const auto d = pattern(150);
  for (const auto& [name, pieces] : cases) {
    RecvBuffer r;
    for (const auto& p : pieces) ASSERT_TRUE(r.insert(p.offset, slice(d, p.offset, p.length), false)) << name;
    EXPECT_EQ(r.buffered_bytes(), 150u) << name;
    EXPECT_EQ(r.readable(), 150u) << name;
    EXPECT_EQ(read_all(r), d) << name;
  }
}

TEST(RecvBuffer, DataAlreadyReadIsIgnored) {
  RecvBuffer r;
  auto d = pattern(200);
  ASSERT_TRUE(r.insert(0, slice(d, 0, 100), false));
  EXPECT_EQ(read_all(r).size(), 100u);
  ASSERT_TRUE(r.insert(0, slice(d, 0, 100), false));
  EXPECT_EQ(r.readable(), 0u);
  EXPECT_EQ(r.buffered_bytes(), 0u);
  ASSERT_TRUE(r.insert(50, slice(d, 50, 150), false));
  EXPECT_EQ(r.readable(), 100u);
  EXPECT_EQ(r.read_offset(), 100u);
  auto rest = read_all(r);
  EXPECT_TRUE(std::equal(rest.begin(), rest.end(), d.begin() + 100));
}

TEST(RecvBuffer, PeekAndPartialConsume) {
  RecvBuffer r;
  auto d = pattern(300);
  ASSERT_TRUE(r.insert(0, slice(d, 0, 100), false));
  ASSERT_TRUE(r.insert(100, slice(d, 100, 100), false));
  auto p = r.peek();
  ASSERT_EQ(p.size(), 200u);  // adjacent data was appended to the first piece
  EXPECT_EQ(p[0], d[0]);
  EXPECT_EQ(r.piece_count(), 1u);
  r.consume(30);
  EXPECT_EQ(r.read_offset(), 30u);
  EXPECT_EQ(r.readable(), 170u);
  EXPECT_EQ(r.buffered_bytes(), 170u);
  p = r.peek();
  ASSERT_EQ(p.size(), 170u);
  EXPECT_EQ(p[0], d[30]);
  // Overlapping data arriving after a partial consume must not duplicate bytes.
  ASSERT_TRUE(r.insert(0, slice(d, 0, 300), false));
  EXPECT_EQ(r.readable(), 270u);
  EXPECT_EQ(r.buffered_bytes(), 270u);
  r.consume(100);
  std::vector<uint8_t> out(1000);
  ASSERT_EQ(r.read(out), 170u);
  EXPECT_TRUE(std::equal(d.begin() + 130, d.end(), out.begin()));
}

TEST(RecvBuffer, FinOnlyFrame) {
  RecvBuffer r;
  auto d = pattern(100);
  ASSERT_TRUE(r.insert(0, slice(d, 0, 100), false));
  ASSERT_TRUE(r.insert(100, {}, true));
  EXPECT_EQ(r.final_size(), 100u);
  read_all(r);
  EXPECT_TRUE(r.finished());
  RecvBuffer empty;
  ASSERT_TRUE(empty.insert(0, {}, true));
  EXPECT_TRUE(empty.finished());
}

struct FinalSizeCase {
  std::string name;
  std::vector<std::tuple<uint64_t, size_t, bool>> accepted;  // offset, length, fin
  std::tuple<uint64_t, size_t, bool> offending;
  TransportErrorCode expected;
};

TEST(RecvBuffer, FinalSizeRules) {
  const std::vector<FinalSizeCase> cases = {
      {"data beyond final size", {{0, 100, true}}, {100, 1, false}, TransportErrorCode::kFinalSizeError},
      {"data straddling final size", {{0, 100, true}}, {50, 100, false}, TransportErrorCode::kFinalSizeError},
      {"smaller final size", {{0, 100, true}}, {0, 50, true}, TransportErrorCode::kFinalSizeError},
      {"larger final size", {{0, 100, true}}, {100, 10, true}, TransportErrorCode::kFinalSizeError},
      {"fin below received data", {{0, 100, false}}, {0, 50, true}, TransportErrorCode::kFinalSizeError},
      {"fin below out-of-order data", {{500, 100, false}}, {0, 100, true}, TransportErrorCode::kFinalSizeError},
      {"empty fin below data", {{0, 100, false}}, {10, 0, true}, TransportErrorCode::kFinalSizeError},
      {"offset past 2^62-1", {}, {RecvBuffer::kMaxOffset, 2, false}, TransportErrorCode::kFrameEncodingError},
  };
  const auto d = pattern(1000);
  for (const auto& c : cases) {
    RecvBuffer r;
    for (const auto& [off, len, fin] : c.accepted) ASSERT_TRUE(r.insert(off, slice(d, 0, len), fin)) << c.name;
    const auto [off, len, fin] = c.offending;
    auto st = r.insert(off, slice(d, 0, len), fin);
    ASSERT_FALSE(st) << c.name;
    EXPECT_EQ(st.error().code, static_cast<uint64_t>(c.expected)) << c.name;
  }
}

TEST(RecvBuffer, FinalSizeAcceptedCases) {
  auto d = pattern(100);
  RecvBuffer r;
  ASSERT_TRUE(r.insert(50, slice(d, 50, 50), true));
  ASSERT_TRUE(r.insert(50, slice(d, 50, 50), true));  // same final size again
  ASSERT_TRUE(r.insert(0, slice(d, 0, 100), false));   // data up to the final size
  ASSERT_TRUE(r.insert(100, {}, false));               // empty frame at the final size
  ASSERT_TRUE(r.insert(0, slice(d, 0, 100), true));
  EXPECT_EQ(read_all(r), d);
  EXPECT_TRUE(r.finished());
  // The rule still holds after everything was read.
  EXPECT_FALSE(r.insert(100, slice(d, 0, 1), false));
}

TEST(RecvBuffer, GapBound) {
  RecvBuffer r(64 * 1024);
  auto d = pattern(2000);
  ASSERT_TRUE(r.insert(64 * 1024 - 1000, slice(d, 0, 1000), false));
  auto st = r.insert(64 * 1024 - 999, slice(d, 0, 1000), false);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, static_cast<uint64_t>(TransportErrorCode::kCryptoBufferExceeded));
  EXPECT_EQ(r.highest_offset(), 64u * 1024);  // a refused insert changes nothing
  // The bound moves with the read position.
  ASSERT_TRUE(r.insert(0, slice(d, 0, 1000), false));
  EXPECT_EQ(read_all(r).size(), 1000u);
  EXPECT_TRUE(r.insert(64 * 1024 - 999, slice(d, 0, 1000), false));
}

// Random fragmentation, duplication and reordering reassembles the input exactly.
TEST(RecvBuffer, RandomReassembly) {
  for (uint32_t seed = 1; seed <= 30; ++seed) {
    std::mt19937 rng(seed);
    const size_t total = 1 + rng() % 100000;
    const auto d = pattern(total);
    struct Frame { uint64_t offset; size_t length; bool fin; };
    std::vector<Frame> frames;
    for (size_t off = 0; off < total;) {
      const size_t len = std::min<size_t>(total - off, 1 + rng() % 3000);
      frames.push_back({off, len, off + len == total});
      off += len;
    }
    for (size_t i = 0, n = frames.size(); i < n / 2; ++i) {  // overlapping retransmissions
      const uint64_t off = rng() % total;
      const size_t len = std::min<size_t>(total - off, 1 + rng() % 5000);
      frames.push_back({off, len, off + len == total && rng() % 2});
    }
    std::shuffle(frames.begin(), frames.end(), rng);
    RecvBuffer r;
    std::vector<uint8_t> out;
    for (const auto& f : frames) {
      ASSERT_TRUE(r.insert(f.offset, slice(d, f.offset, f.length), f.fin)) << seed;
      ASSERT_LE(r.buffered_bytes(), total - out.size());
      if (rng() % 3 == 0) {
        std::vector<uint8_t> buf(rng() % 4000);
        buf.resize(r.read(buf));
        out.insert(out.end(), buf.begin(), buf.end());
      }
    }
    auto rest = read_all(r);
    out.insert(out.end(), rest.begin(), rest.end());
    EXPECT_EQ(out, d) << seed;
    EXPECT_TRUE(r.finished()) << seed;
    EXPECT_EQ(r.buffered_bytes(), 0u);
  }
}

// Fragmentation attack (RFC 9000 §21.4): 1-byte pieces with 1-byte gaps. Past the piece
// limit the buffer refuses with PROTOCOL_VIOLATION instead of growing; the shared budget
// caps the pieces of all buffers together.
TEST(RecvBuffer, PiecesAreBoundedAndAdjacentDataCoalesces) {
  PieceBudget budget{0, 64};
  RecvBuffer a(UINT64_MAX, 50, &budget), b(UINT64_MAX, 1000, &budget);
  auto d = pattern(4000);
  for (uint64_t i = 0; i < 50; ++i) ASSERT_TRUE(a.insert(2 * i + 1, slice(d, 2 * i + 1, 1), false));
  EXPECT_EQ(a.piece_count(), 50u);
  auto st = a.insert(2 * 50 + 1, slice(d, 101, 1), false);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code, static_cast<uint64_t>(TransportErrorCode::kProtocolViolation));
  // Data right after an existing piece extends it: no new piece, even at the limit.
  EXPECT_TRUE(a.insert(2, slice(d, 2, 1), false));
  EXPECT_EQ(a.piece_count(), 49u);   // the pieces at 1 and 3 became one
  EXPECT_EQ(budget.used, a.piece_count());
  // The other buffer shares what is left of the budget of 64.
  size_t made = 0;
  for (uint64_t i = 0; i < 100; ++i) {
    if (!b.insert(2 * i + 1, slice(d, 2 * i + 1, 1), false)) break;
    made++;
  }
  EXPECT_EQ(made, 64u - a.piece_count());
  // Reading frees pieces back to the budget; so does destruction.
  ASSERT_TRUE(a.insert(0, slice(d, 0, 1), false));
  std::vector<uint8_t> out(1000);
  a.read(out);
  EXPECT_LT(a.piece_count(), 49u);
  { RecvBuffer c(std::move(b)); }
  EXPECT_EQ(budget.used, a.piece_count());
}

}  // namespace
}  // namespace braid::conn

#include "core/conn/send_buffer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <numeric>
#include <random>
#include <vector>

namespace braid::conn {
namespace {

std::vector<uint8_t> pattern(size_t n, uint8_t seed = 0) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 31 + seed + (i >> 8));
  return v;
}

// Takes the next slice and records it as sent.
SendSlice send(SendBuffer& b, size_t max_len, uint64_t limit = UINT64_MAX) {
  auto s = b.next_slice(max_len, limit);
  EXPECT_TRUE(s.has_value());
  if (!s) return {};
  b.on_sent(*s);
  return *s;
}

TEST(SendBuffer, FreshDataInOrderThenNothing) {
  SendBuffer b;
  auto data = pattern(2500);
  EXPECT_EQ(b.write(data), 2500u);
  EXPECT_EQ(b.written(), 2500u);
  EXPECT_TRUE(b.has_pending());
  EXPECT_EQ(send(b, 1000), (SendSlice{0, 1000, false, false}));
  EXPECT_EQ(send(b, 1000), (SendSlice{1000, 1000, false, false}));
  EXPECT_EQ(send(b, 1000), (SendSlice{2000, 500, false, false}));
  EXPECT_EQ(b.fresh_offset(), 2500u);
  EXPECT_FALSE(b.next_slice(1000, UINT64_MAX));
  EXPECT_FALSE(b.has_pending());
  EXPECT_FALSE(b.all_acked());

  std::vector<uint8_t> out(2500);
  b.copy_out(0, 2500, out.data());
  EXPECT_EQ(out, data);
}

TEST(SendBuffer, FlowLimitBoundsFreshDataOnly) {
  SendBuffer b;
  b.write(pattern(3000));
  EXPECT_EQ(send(b, 1000, 1500), (SendSlice{0, 1000, false, false}));
  EXPECT_EQ(send(b, 1000, 1500), (SendSlice{1000, 500, false, false}));
  EXPECT_FALSE(b.next_slice(1000, 1500));
  EXPECT_TRUE(b.has_fresh_blocked_by(1500));
  EXPECT_FALSE(b.has_fresh_blocked_by(1600));
  EXPECT_TRUE(b.has_pending());

  // A lost range below the limit is resent even when fresh data is blocked.
  b.on_lost(0, 1000, false);
  EXPECT_EQ(send(b, 1200, 1500), (SendSlice{0, 1000, false, true}));
  EXPECT_FALSE(b.next_slice(1000, 1500));
  EXPECT_EQ(send(b, 5000, 4000), (SendSlice{1500, 1500, false, false}));
  EXPECT_FALSE(b.has_fresh_blocked_by(1500));
}

TEST(SendBuffer, LostRangesGoBeforeFreshAndSkipAckedParts) {
  SendBuffer b;
  b.write(pattern(10000));
  for (int i = 0; i < 5; ++i) send(b, 1000);  // [0, 5000)
  b.on_acked(1000, 1000, false);
  b.on_lost(0, 3000, false);  // [1000, 2000) is acked: only [0,1000) and [2000,3000) requeue
  b.on_lost(4000, 1000, false);
  EXPECT_EQ(send(b, 600), (SendSlice{0, 600, false, true}));
  EXPECT_EQ(send(b, 600), (SendSlice{600, 400, false, true}));
  EXPECT_EQ(send(b, 5000), (SendSlice{2000, 1000, false, true}));
  EXPECT_EQ(send(b, 5000), (SendSlice{4000, 1000, false, true}));
  EXPECT_EQ(send(b, 1000), (SendSlice{5000, 1000, false, false}));
}

TEST(SendBuffer, LostThenAckedIsNotResent) {
  SendBuffer b;
  b.write(pattern(2000));
  send(b, 2000);
  b.on_lost(0, 2000, false);
  b.on_acked(500, 1000, false);  // late ack of the "lost" packet's contents
  EXPECT_EQ(send(b, 5000), (SendSlice{0, 500, false, true}));
  EXPECT_EQ(send(b, 5000), (SendSlice{1500, 500, false, true}));
  EXPECT_FALSE(b.next_slice(5000, UINT64_MAX));
}

TEST(SendBuffer, LossOfNeverSentBytesIsIgnored) {
  SendBuffer b;
  b.write(pattern(2000));
  send(b, 500);
  b.on_lost(0, 2000, false);
  EXPECT_EQ(send(b, 5000), (SendSlice{0, 500, false, true}));
  EXPECT_EQ(send(b, 5000), (SendSlice{500, 1500, false, false}));
}

TEST(SendBuffer, FinRidesOnLastFreshSlice) {
  SendBuffer b;
  b.write(pattern(1500));
  b.finish();
  EXPECT_TRUE(b.finished());
  EXPECT_EQ(b.write(pattern(10)), 0u);  // nothing after FIN
  EXPECT_EQ(send(b, 1000), (SendSlice{0, 1000, false, false}));
  EXPECT_EQ(send(b, 1000), (SendSlice{1000, 500, true, false}));
  EXPECT_FALSE(b.next_slice(1000, UINT64_MAX));
  b.on_acked(0, 1000, false);
  b.on_acked(1000, 500, false);
  EXPECT_FALSE(b.all_acked());  // FIN not yet acknowledged
  b.on_acked(1500, 0, true);
  EXPECT_TRUE(b.all_acked());
  EXPECT_EQ(b.buffered(), 0u);
}

TEST(SendBuffer, FinOnlySliceAfterDataWasSent) {
  SendBuffer b;
  b.write(pattern(100));
  send(b, 1000);
  EXPECT_FALSE(b.has_pending());
  b.finish();
  EXPECT_TRUE(b.has_pending());
  // Even a flow-control limit equal to the final size allows the FIN.
  EXPECT_EQ(send(b, 1000, 100), (SendSlice{100, 0, true, false}));
  EXPECT_FALSE(b.has_pending());
  EXPECT_FALSE(b.next_slice(1000, UINT64_MAX));

  b.on_lost(100, 0, true);
  EXPECT_TRUE(b.has_pending());
  EXPECT_EQ(send(b, 1000), (SendSlice{100, 0, true, true}));
  b.on_acked(0, 100, false);
  b.on_acked(100, 0, true);
  EXPECT_TRUE(b.all_acked());
  EXPECT_FALSE(b.has_pending());
}

TEST(SendBuffer, EmptyStreamFinOnly) {
  SendBuffer b;
  b.finish();
  EXPECT_EQ(send(b, 0), (SendSlice{0, 0, true, false}));
  EXPECT_FALSE(b.all_acked());
  b.on_acked(0, 0, true);
  EXPECT_TRUE(b.all_acked());
}

TEST(SendBuffer, FinNotSentWhileFreshDataIsFlowBlocked) {
  SendBuffer b;
  b.write(pattern(1000));
  b.finish();
  EXPECT_EQ(send(b, 2000, 600), (SendSlice{0, 600, false, false}));
  EXPECT_FALSE(b.next_slice(2000, 600));
  EXPECT_EQ(send(b, 2000, 1000), (SendSlice{600, 400, true, false}));
}

TEST(SendBuffer, LostFinPiggybacksOnRetransmittedTail) {
  SendBuffer b;
  b.write(pattern(1000));
  b.finish();
  EXPECT_EQ(send(b, 2000), (SendSlice{0, 1000, true, false}));
  b.on_lost(0, 1000, true);
  EXPECT_EQ(send(b, 600), (SendSlice{0, 600, false, true}));
  EXPECT_EQ(send(b, 600), (SendSlice{600, 400, true, true}));
  EXPECT_FALSE(b.has_pending());
}

TEST(SendBuffer, ShortenedSliceDropsFin) {
  SendBuffer b;
  b.write(pattern(1000));
  b.finish();
  auto s = b.next_slice(2000, UINT64_MAX);
  ASSERT_TRUE(s);
  s->length = 700;  // the caller had less room than it asked for
  s->fin = false;
  b.on_sent(*s);
  EXPECT_EQ(b.fresh_offset(), 700u);
  EXPECT_EQ(send(b, 2000), (SendSlice{700, 300, true, false}));
}

TEST(SendBuffer, AcksInFlightFinDoNotResendIt) {
  SendBuffer b;
  b.write(pattern(1000));
  b.finish();
  send(b, 600);
  send(b, 600);  // [600,1000) + FIN
  b.on_lost(0, 600, false);
  // Retransmitting [0,600) must not add a FIN: it is not at the end and the FIN is in flight.
  EXPECT_EQ(send(b, 2000), (SendSlice{0, 600, false, true}));
  EXPECT_FALSE(b.has_pending());
}

TEST(SendBuffer, PartialAcksFreeMemory) {
  constexpr size_t kTotal = SendBuffer::kChunkBytes * 4 + 1000;
  SendBuffer b;
  b.write(pattern(kTotal));
  while (b.next_slice(1200, UINT64_MAX)) send(b, 1200);
  EXPECT_EQ(b.buffered(), kTotal);
  EXPECT_EQ(b.retained_bytes(), kTotal);

  // Out-of-order acks reduce buffered() but retain memory until the front is acked.
  b.on_acked(SendBuffer::kChunkBytes, SendBuffer::kChunkBytes, false);
  EXPECT_EQ(b.buffered(), kTotal - SendBuffer::kChunkBytes);
  EXPECT_EQ(b.retained_bytes(), kTotal);
  b.on_acked(SendBuffer::kChunkBytes, 10, false);  // duplicate ack changes nothing
  EXPECT_EQ(b.buffered(), kTotal - SendBuffer::kChunkBytes);

  b.on_acked(0, SendBuffer::kChunkBytes, false);
  EXPECT_EQ(b.buffered(), kTotal - 2 * SendBuffer::kChunkBytes);
  EXPECT_EQ(b.retained_bytes(), kTotal - 2 * SendBuffer::kChunkBytes);

  // Data after the freed prefix is still readable.
  std::vector<uint8_t> out(3000);
  b.copy_out(2 * SendBuffer::kChunkBytes + 100, out.size(), out.data());
  auto expected = pattern(kTotal);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), expected.begin() + 2 * SendBuffer::kChunkBytes + 100));

  b.on_acked(0, kTotal, false);
  EXPECT_EQ(b.buffered(), 0u);
  EXPECT_TRUE(b.all_acked());
}

TEST(SendBuffer, WriteBoundedByFreeSpace) {
  SendBuffer b(1000);
  EXPECT_EQ(b.writable(), 1000u);
  EXPECT_EQ(b.write(pattern(600)), 600u);
  EXPECT_EQ(b.write(pattern(600)), 400u);
  EXPECT_EQ(b.writable(), 0u);
  EXPECT_EQ(b.write(pattern(1)), 0u);
  send(b, 1000);
  b.on_acked(0, 300, false);
  EXPECT_EQ(b.writable(), 300u);
  EXPECT_EQ(b.write(pattern(1000)), 300u);
  EXPECT_EQ(b.written(), 1300u);
}

TEST(SendBuffer, CopyOutAcrossChunkBoundaries) {
  SendBuffer b;
  auto data = pattern(SendBuffer::kChunkBytes * 3);
  // Uneven writes so chunk boundaries fall inside writes.
  size_t pos = 0;
  for (size_t step = 777; pos < data.size(); step = step * 3 % 50000 + 1) {
    const size_t n = std::min(step, data.size() - pos);
    ASSERT_EQ(b.write(std::span(data).subspan(pos, n)), n);
    pos += n;
  }
  std::vector<uint8_t> out(5000);
  const uint64_t at = SendBuffer::kChunkBytes - 2500;
  b.copy_out(at, out.size(), out.data());
  EXPECT_TRUE(std::equal(out.begin(), out.end(), data.begin() + at));
  std::vector<uint8_t> all(data.size());
  b.copy_out(0, all.size(), all.data());
  EXPECT_EQ(all, data);
}

// Random writes, random packet sizes and flow limits, packets acked or lost in random order:
// every byte ends up acknowledged exactly once and the receiver reassembles the input.
TEST(SendBuffer, RandomAckLossProperty) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    const size_t total = 50000 + rng() % 300000;
    const auto input = pattern(total, static_cast<uint8_t>(seed));
    SendBuffer b(rng() % 2 ? SIZE_MAX : 100000);
    std::vector<uint8_t> received(total);
    std::vector<uint32_t> acked_count(total, 0);
    bool fin_acked = false;
    std::vector<SendSlice> in_flight;
    size_t written = 0;
    uint64_t limit = 20000;
    uint64_t buffered_before = 0;

    for (int step = 0; step < 200000 && !(b.finished() && b.all_acked()); ++step) {
      const uint32_t action = rng() % 10;
      if (action < 2 && written < total) {
        const size_t n = std::min<size_t>(total - written, 1 + rng() % 40000);
        written += b.write(std::span(input).subspan(written, n));
        if (written == total) b.finish();
      } else if (action < 5) {
        auto s = b.next_slice(1 + rng() % 1400, limit);
        if (!s) continue;
        if (s->length > 1 && rng() % 4 == 0) {  // caller shortens the slice
          s->length = 1 + rng() % (s->length - 1);
          s->fin = false;
        }
        ASSERT_LE(s->offset + s->length, b.written());
        if (!s->retransmission) {
          ASSERT_EQ(s->offset, b.fresh_offset());
          ASSERT_LE(s->offset + s->length, limit);
        }
        b.copy_out(s->offset, s->length, received.data() + s->offset);
        b.on_sent(*s);
        in_flight.push_back(*s);
      } else if (action < 9 && !in_flight.empty()) {
        const size_t i = rng() % in_flight.size();
        const SendSlice s = in_flight[i];
        in_flight[i] = in_flight.back();
        in_flight.pop_back();
        if (rng() % 4 == 0) {
          b.on_lost(s.offset, s.length, s.fin);
        } else {
          buffered_before = b.buffered();
          uint64_t newly = 0;
          for (size_t k = s.offset; k < s.offset + s.length; ++k) newly += acked_count[k]++ == 0;
          b.on_acked(s.offset, s.length, s.fin);
          ASSERT_EQ(b.buffered(), buffered_before - newly);
          fin_acked |= s.fin;
        }
      } else {
        limit += rng() % 5000;
      }
    }
    ASSERT_TRUE(b.finished()) << seed;
    ASSERT_TRUE(b.all_acked()) << seed;
    EXPECT_TRUE(fin_acked);
    EXPECT_EQ(b.buffered(), 0u);
    EXPECT_EQ(b.retained_bytes(), 0u);
    EXPECT_FALSE(b.has_pending());
    EXPECT_TRUE(std::all_of(acked_count.begin(), acked_count.end(), [](uint32_t c) { return c > 0; }));
    EXPECT_EQ(received, input) << seed;
  }
}

}  // namespace
}  // namespace braid::conn

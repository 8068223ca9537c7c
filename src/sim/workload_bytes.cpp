// The workloads' stream pattern, message headers and message bytes; see workload_bytes.h.
#include "sim/workload_bytes.h"

#include <algorithm>
#include <cstring>

namespace braid::sim {

const std::array<uint8_t, 65536>& pattern() {
  static const std::array<uint8_t, 65536> p = [] {
    std::array<uint8_t, 65536> a{};
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint8_t>(i * 131 + (i >> 8));
    return a;
  }();
  return p;
}

// Little-endian header fields of datagrams and messages.
void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t get_u32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}
uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

// Header of a datagram_flow datagram and of a message (stream or datagram): the workload's
// index (the DATAGRAM tag), the sequence number and the send time in ns of virtual time.
void put_header(uint8_t* p, uint32_t tag, uint32_t seq, TimePoint sent) {
  put_u32(p, tag);
  put_u32(p + 4, seq);
  put_u64(p + 8, static_cast<uint64_t>(sent.time_since_epoch().count()));
}
TimePoint header_time(const uint8_t* p) { return TimePoint{Duration{static_cast<int64_t>(get_u64(p + 8))}}; }

// Byte `offset` (>= kHeaderBytes) of message `seq`: differs between messages, so a message
// delivered with another's bytes, shifted, or cut is caught.
uint8_t message_byte(uint32_t seq, uint64_t offset) {
  uint32_t x = (seq + 1) * 2654435761u + static_cast<uint32_t>(offset) * 40503u;
  return static_cast<uint8_t>(x ^ (x >> 13) ^ (x >> 24));
}

// Writes up to `remaining` pattern bytes on `id`, with FIN on the last one: the byte at
// stream offset o is pattern()[o % size], so the reader checks every byte it gets. `offset`
// is what this stream already carries. Returns bytes accepted; `remaining` shrinks by them.
uint64_t write_pattern_raw(Connection& c, StreamId id, uint64_t& remaining, uint64_t offset) {
  uint64_t total = 0;
  while (remaining > 0) {
    size_t at = static_cast<size_t>((offset + total) % pattern().size());
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(remaining, pattern().size() - at));
    auto w = c.stream_write(id, {pattern().data() + at, chunk}, chunk == remaining);
    if (!w || *w == 0) break;
    remaining -= *w;
    total += *w;
  }
  return total;
}

// Bytes of `data` (read at stream offset `offset`) that differ from the pattern.
uint64_t pattern_mismatches(std::span<const uint8_t> data, uint64_t offset) {
  uint64_t bad = 0;
  size_t at = static_cast<size_t>(offset % pattern().size());
  for (size_t i = 0; i < data.size();) {
    size_t n = std::min(data.size() - i, pattern().size() - at);
    if (std::memcmp(data.data() + i, pattern().data() + at, n) != 0) {
      for (size_t k = 0; k < n; ++k) bad += data[i + k] != pattern()[at + k];
    }
    i += n;
    at = 0;
  }
  return bad;
}

}  // namespace braid::sim

// The bytes the simulator's workloads send and check: the shared stream pattern (the byte
// at stream offset o is pattern()[o % size]), the little-endian header of datagrams and
// messages (workload tag, sequence number, send time), and each message's own bytes, so
// a receiver catches any byte delivered wrong, shifted or cut.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "braid/connection.h"
#include "braid/time.h"

namespace braid::sim {

const std::array<uint8_t, 65536>& pattern();

// Little-endian header fields of datagrams and messages.
void put_u32(uint8_t* p, uint32_t v);
void put_u64(uint8_t* p, uint64_t v);
uint32_t get_u32(const uint8_t* p);
uint64_t get_u64(const uint8_t* p);

// Header of a datagram_flow datagram and of a message (stream or datagram): the workload's
// index (the DATAGRAM tag), the sequence number and the send time in ns of virtual time.
inline constexpr size_t kHeaderBytes = 16;
void put_header(uint8_t* p, uint32_t tag, uint32_t seq, TimePoint sent);
TimePoint header_time(const uint8_t* p);

// Byte `offset` (>= kHeaderBytes) of message `seq`: differs between messages, so a message
// delivered with another's bytes, shifted, or cut is caught.
uint8_t message_byte(uint32_t seq, uint64_t offset);

// Writes up to `remaining` pattern bytes on `id`, with FIN on the last one. `offset` is what
// this stream already carries. Returns bytes accepted; `remaining` shrinks by them.
uint64_t write_pattern_raw(Connection& c, StreamId id, uint64_t& remaining, uint64_t offset);

// Bytes of `data` (read at stream offset `offset`) that differ from the pattern.
uint64_t pattern_mismatches(std::span<const uint8_t> data, uint64_t offset);

}  // namespace braid::sim

// Shared helpers for the runtime tests: bounded waits for datagrams on loopback sockets and
// payloads that carry their own sequence number so order and content can be checked.
#pragma once
#include <poll.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "io/monotonic_clock.h"
#include "io/udp_socket.h"

namespace braid::io::test {

struct Received {
  SocketAddress remote;
  SocketAddress local;
  uint8_t ecn;
  std::vector<uint8_t> data;
};

// Receives until `want` datagrams arrived or `timeout` passed.
inline std::vector<Received> receive_n(UdpSocket& s, size_t want, Duration timeout = 2s,
                                       ReceiveBatch* batch_in = nullptr) {
  ReceiveBatch own(16);
  ReceiveBatch& batch = batch_in ? *batch_in : own;
  std::vector<Received> out;
  const TimePoint deadline = monotonic_now() + timeout;
  while (out.size() < want) {
    auto n = s.receive(batch);
    if (!n) break;
    if (*n == 0) {
      TimePoint now = monotonic_now();
      if (now >= deadline) break;
      pollfd p{s.fd(), POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(to_us(deadline - now) / 1000) + 1);
      continue;
    }
    for (const IncomingDatagram& d : batch.datagrams()) {
      out.push_back(Received{d.remote, d.local, d.ecn, {d.data.begin(), d.data.end()}});
    }
  }
  return out;
}

// `len` bytes: a 4-byte big-endian sequence number, then bytes derived from it.
inline std::vector<uint8_t> payload(uint32_t seq, size_t len) {
  std::vector<uint8_t> p(len);
  for (size_t i = 0; i < len; ++i) p[i] = static_cast<uint8_t>(seq * 7 + i * 13);
  for (size_t i = 0; i < 4 && i < len; ++i) p[i] = static_cast<uint8_t>(seq >> (24 - 8 * i));
  return p;
}

inline SocketAddress loopback4(uint8_t last = 1, uint16_t port = 0) {
  return SocketAddress::v4(127, 0, 0, last, port);
}

}  // namespace braid::io::test

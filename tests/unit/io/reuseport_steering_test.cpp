// The reuseport CID steering program in the kernel: three sockets on one port, datagrams
// whose DCID first byte (short header at offset 1, long header at offset 6) picks the
// socket, from senders on different source addresses (paths) and ports.
#include "io/reuseport_steering.h"

#include <gtest/gtest.h>

#include "io/udp_socket.h"
#include "io_test_util.h"

namespace braid::io {
namespace {

using test::loopback4;
using test::receive_n;

std::vector<uint8_t> short_header(uint8_t dcid0, uint8_t tag) {
  return {0x41, dcid0, 0xaa, 0xbb, 0xcc, tag, 0, 0, 0, 0};
}

std::vector<uint8_t> long_header(uint8_t dcid0, uint8_t tag) {
  return {0xc0, 0, 0, 0, 1, 8, dcid0, 1, 2, 3, 4, 5, 6, 7, 0, tag};
}

TEST(ReuseportSteering, TheCidsFirstByteModuloWorkersPicksTheSocket) {
  constexpr uint32_t kWorkers = 3;
  UdpSocketOptions o;
  o.reuseport_workers = kWorkers;
  std::vector<UdpSocket> rx;
  auto first = UdpSocket::open(loopback4(), o);
  ASSERT_TRUE(first) << first.error().message();
  rx.push_back(std::move(*first));
  const SocketAddress port = rx[0].local_address();
  for (uint32_t i = 1; i < kWorkers; ++i) {
    auto s = UdpSocket::open(port, o);
    ASSERT_TRUE(s) << s.error().message();
    rx.push_back(std::move(*s));
  }
  // Without SO_REUSEPORT the port is taken.
  EXPECT_FALSE(UdpSocket::open(port));

  std::vector<UdpSocket> tx;
  for (uint8_t last : {1, 2, 3}) tx.push_back(std::move(*UdpSocket::open(loopback4(last))));
  std::vector<std::vector<uint8_t>> sent;
  std::vector<size_t> want;
  uint8_t tag = 0;
  for (unsigned b : {0u, 1u, 2u, 3u, 4u, 5u, 130u, 200u, 254u, 255u}) {
    for (bool is_long : {false, true}) {
      auto d = is_long ? long_header(uint8_t(b), tag) : short_header(uint8_t(b), tag);
      OutgoingDatagram out{port, std::nullopt, 0, d.data(), d.size(), 0};
      ASSERT_EQ(tx[tag % tx.size()].send({&out, 1}), 1u);
      sent.push_back(d);
      want.push_back(b % kWorkers);
      ++tag;
    }
  }
  std::vector<size_t> got_at(sent.size(), SIZE_MAX);
  for (size_t w = 0; w < kWorkers; ++w) {
    size_t expected = static_cast<size_t>(std::count(want.begin(), want.end(), w));
    auto got = receive_n(rx[w], expected, std::chrono::milliseconds(500));
    for (const auto& g : got) got_at[g.data.size() == 10 ? g.data[5] : g.data.back()] = w;   // the tag
    // Nothing more than its share arrives.
    EXPECT_EQ(got.size(), expected) << "worker " << w;
  }
  for (size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(got_at[i], want[i]) << "datagram " << i;
}

TEST(ReuseportSteering, WorkerCountsOutsideTheRangeAreRefused) {
  UdpSocketOptions o;
  o.reuseport_workers = 1;
  EXPECT_FALSE(UdpSocket::open(loopback4(), o));
  o.reuseport_workers = 256;
  EXPECT_FALSE(UdpSocket::open(loopback4(), o));
  EXPECT_EQ(cid_steering_program(4).size(), 7u);
}

}  // namespace
}  // namespace braid::io

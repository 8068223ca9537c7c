// Real loopback sockets: batching, GSO and its fallback, GRO splitting, ECN, PKTINFO, IPv6.
#include "io/udp_socket.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "io_test_util.h"

namespace braid::io {
namespace {

using test::loopback4;
using test::payload;
using test::receive_n;

UdpSocket open_or_die(const SocketAddress& a, const UdpSocketOptions& o = {}) {
  auto s = UdpSocket::open(a, o);
  if (!s) ADD_FAILURE() << "open " << a.to_string() << ": " << s.error().message();
  return std::move(*s);
}

OutgoingDatagram to(const UdpSocket& dst, const std::vector<uint8_t>& bytes, uint16_t segment = 0) {
  return OutgoingDatagram{dst.local_address(), std::nullopt, 0, bytes.data(), bytes.size(), segment};
}

// `count` payloads of `seg` bytes (last one `last` bytes) back to back, sequence from `first`.
std::vector<uint8_t> gso_buffer(uint32_t first, size_t count, size_t seg, size_t last) {
  std::vector<uint8_t> buf;
  for (size_t i = 0; i < count; ++i) {
    auto p = payload(first + static_cast<uint32_t>(i), i + 1 == count ? last : seg);
    buf.insert(buf.end(), p.begin(), p.end());
  }
  return buf;
}

TEST(UdpSocket, BindPortZeroReportsBoundAddress) {
  UdpSocket s = open_or_die(loopback4());
  EXPECT_EQ(s.local_address().family, SocketAddress::Family::kV4);
  EXPECT_NE(s.local_address().port, 0);
  EXPECT_TRUE(s.local_address().same_ip(loopback4()));
  EXPECT_FALSE(s.bound_to_wildcard());
  EXPECT_GE(s.recv_buffer_bytes(), 1 << 20) << "buffer sizing had no effect";
  ReceiveBatch batch;
  EXPECT_EQ(s.receive(batch).value(), 0u);  // nothing pending, no blocking
}

TEST(UdpSocket, BatchesExchangeBothWaysInOneSyscall) {
  UdpSocket a = open_or_die(loopback4());
  UdpSocket b = open_or_die(loopback4());
  for (auto [from, dst] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
    std::vector<std::vector<uint8_t>> bodies;
    std::vector<OutgoingDatagram> out;
    for (uint32_t i = 0; i < 20; ++i) bodies.push_back(payload(i, 100 + i * 50));
    for (auto& body : bodies) out.push_back(to(*dst, body));
    uint64_t syscalls = from->counters().send_syscalls;
    ASSERT_EQ(from->send(out), out.size());
    EXPECT_EQ(from->counters().send_syscalls, syscalls + 1);
    auto got = receive_n(*dst, bodies.size());
    ASSERT_EQ(got.size(), bodies.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].data, bodies[i]) << i;
      EXPECT_EQ(got[i].remote, from->local_address());
      EXPECT_EQ(got[i].local, dst->local_address());
      EXPECT_EQ(got[i].ecn, 0);
    }
  }
}

TEST(UdpSocket, GsoSendArrivesAsSeparateDatagrams) {
  UdpSocket tx = open_or_die(loopback4());
  UdpSocketOptions no_gro;
  no_gro.enable_gro = false;
  UdpSocket rx = open_or_die(loopback4(), no_gro);
  auto buf = gso_buffer(0, 10, 1200, 1200);
  OutgoingDatagram d = to(rx, buf, 1200);
  ASSERT_EQ(tx.send({&d, 1}), 1u);
  EXPECT_EQ(tx.counters().datagrams_sent, 10u);
  if (tx.gso_enabled()) {
    EXPECT_EQ(tx.counters().gso_batches_sent, 1u);
  }
  auto got = receive_n(rx, 10);
  ASSERT_EQ(got.size(), 10u);
  for (uint32_t i = 0; i < 10; ++i) EXPECT_EQ(got[i].data, payload(i, 1200)) << i;
}

TEST(UdpSocket, GsoShortLastSegmentAndSplitAcrossSends) {
  UdpSocket tx = open_or_die(loopback4());
  UdpSocketOptions no_gro;
  no_gro.enable_gro = false;
  UdpSocket rx = open_or_die(loopback4(), no_gro);
  // 100 segments: more than one GSO send may carry, so the socket splits it in two.
  auto buf = gso_buffer(0, 100, 1200, 333);
  OutgoingDatagram d = to(rx, buf, 1200);
  ASSERT_EQ(tx.send({&d, 1}), 1u);
  EXPECT_EQ(tx.counters().datagrams_sent, 100u);
  auto got = receive_n(rx, 100);
  ASSERT_EQ(got.size(), 100u);
  for (uint32_t i = 0; i < 100; ++i) EXPECT_EQ(got[i].data, payload(i, i == 99 ? 333 : 1200)) << i;
}

TEST(UdpSocket, WithoutGsoSegmentsAreSplitInUserSpace) {
  UdpSocketOptions no_gso;
  no_gso.enable_gso = false;
  UdpSocket tx = open_or_die(loopback4(), no_gso);
  UdpSocket rx = open_or_die(loopback4());
  EXPECT_FALSE(tx.gso_enabled());
  auto buf = gso_buffer(0, 10, 1200, 500);
  OutgoingDatagram d = to(rx, buf, 1200);
  ASSERT_EQ(tx.send({&d, 1}), 1u);
  EXPECT_EQ(tx.counters().gso_batches_sent, 0u);
  EXPECT_EQ(tx.counters().datagrams_sent, 10u);
  EXPECT_EQ(tx.counters().send_syscalls, 1u);  // still one sendmmsg
  auto got = receive_n(rx, 10);
  ASSERT_EQ(got.size(), 10u);
  for (uint32_t i = 0; i < 10; ++i) EXPECT_EQ(got[i].data, payload(i, i == 9 ? 500 : 1200)) << i;
}

TEST(UdpSocket, GroCoalescedBuffersAreSplitInOrder) {
  UdpSocket tx = open_or_die(loopback4());
  UdpSocket rx = open_or_die(loopback4());
  // Several GSO trains and single datagrams, sent before the receiver reads anything.
  std::vector<std::vector<uint8_t>> buffers;
  std::vector<size_t> lengths;  // expected datagram sizes in order
  uint32_t seq = 0;
  for (int round = 0; round < 5; ++round) {
    buffers.push_back(gso_buffer(seq, 40, 1200, 900));
    for (int i = 0; i < 40; ++i) lengths.push_back(i == 39 ? 900 : 1200);
    seq += 40;
    buffers.push_back(payload(seq++, 77));
    lengths.push_back(77);
  }
  std::vector<OutgoingDatagram> out;
  for (auto& b : buffers) out.push_back(to(rx, b, b.size() > 1200 ? 1200 : 0));
  ASSERT_EQ(tx.send(out), out.size());

  ReceiveBatch batch(4);
  auto got = receive_n(rx, lengths.size(), 2s, &batch);
  ASSERT_EQ(got.size(), lengths.size());
  for (uint32_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].data, payload(i, lengths[i])) << i;
    EXPECT_EQ(got[i].remote, tx.local_address());
  }
  EXPECT_EQ(rx.counters().datagrams_received, lengths.size());
  if (rx.gro_enabled() && tx.gso_enabled()) {
    EXPECT_GT(rx.counters().gro_batches_received, 0u);
    EXPECT_GT(rx.counters().gro_coalesced_datagrams, 100u);
    EXPECT_LT(rx.counters().recv_syscalls, 20u);
  } else {
    std::printf("note: GSO %d GRO %d on this kernel; coalescing not exercised\n", tx.gso_enabled(),
                rx.gro_enabled());
  }
}

TEST(UdpSocket, EcnCodepointsSurviveTheRoundTrip) {
  UdpSocket tx = open_or_die(loopback4());
  UdpSocket rx = open_or_die(loopback4());
  auto body = payload(1, 64);
  std::vector<OutgoingDatagram> out;
  for (uint8_t ecn : {2, 1, 3, 0}) {  // ECT(0), ECT(1), CE, Not-ECT
    out.push_back(to(rx, body));
    out.back().ecn = ecn;
  }
  ASSERT_EQ(tx.send(out), 4u);
  auto got = receive_n(rx, 4);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].ecn, 2);
  EXPECT_EQ(got[1].ecn, 1);
  EXPECT_EQ(got[2].ecn, 3);
  EXPECT_EQ(got[3].ecn, 0);
}

TEST(UdpSocket, EcnOnGsoTrainAppliesToEverySegment) {
  UdpSocket tx = open_or_die(loopback4());
  UdpSocket rx = open_or_die(loopback4());
  auto buf = gso_buffer(0, 10, 1200, 1200);
  OutgoingDatagram d = to(rx, buf, 1200);
  d.ecn = 2;
  ASSERT_EQ(tx.send({&d, 1}), 1u);
  auto got = receive_n(rx, 10);
  ASSERT_EQ(got.size(), 10u);
  for (auto& g : got) EXPECT_EQ(g.ecn, 2);
}

TEST(UdpSocket, PktinfoReportsDestinationAndSetsSource) {
  UdpSocket wild = open_or_die(SocketAddress::v4(0, 0, 0, 0, 0));
  ASSERT_TRUE(wild.bound_to_wildcard());
  UdpSocket peer = open_or_die(loopback4());
  const uint16_t port = wild.local_address().port;

  auto body = payload(5, 300);
  OutgoingDatagram d{loopback4(2, port), std::nullopt, 0, body.data(), body.size(), 0};
  ASSERT_EQ(peer.send({&d, 1}), 1u);
  auto got = receive_n(wild, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].local, loopback4(2, port));
  EXPECT_EQ(got[0].remote, peer.local_address());

  OutgoingDatagram reply{peer.local_address(), loopback4(3), 0, body.data(), body.size(), 0};
  ASSERT_EQ(wild.send({&reply, 1}), 1u);
  EXPECT_EQ(wild.counters().send_errors, 0u) << wild.last_send_error().message();
  got = receive_n(peer, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].remote, loopback4(3, port));
  EXPECT_EQ(got[0].data, body);
}

TEST(UdpSocket, PermanentErrorDropsOneDatagramAndContinues) {
  UdpSocket tx = open_or_die(loopback4());
  UdpSocket rx = open_or_die(loopback4());
  auto body = payload(9, 50);
  std::vector<OutgoingDatagram> out{to(rx, body), to(rx, body), to(rx, body)};
  out[1].remote = *SocketAddress::parse("[::1]:9");  // wrong family for this socket
  ASSERT_EQ(tx.send(out), 3u);
  EXPECT_EQ(tx.counters().send_errors, 1u);
  EXPECT_TRUE(tx.last_send_error());
  EXPECT_EQ(receive_n(rx, 2).size(), 2u);
}

TEST(UdpSocket, Ipv6RoundTripWithGsoAndEcn) {
  auto any = UdpSocket::open(*SocketAddress::parse("[::1]:0"));
  if (!any) GTEST_SKIP() << "::1 unavailable: " << any.error().message();
  UdpSocket tx = std::move(*any);
  UdpSocket rx = open_or_die(*SocketAddress::parse("[::1]:0"));
  EXPECT_EQ(rx.local_address().family, SocketAddress::Family::kV6);
  auto buf = gso_buffer(0, 10, 1200, 1000);
  OutgoingDatagram d = to(rx, buf, 1200);
  d.ecn = 2;
  ASSERT_EQ(tx.send({&d, 1}), 1u);
  auto got = receive_n(rx, 10);
  ASSERT_EQ(got.size(), 10u);
  for (uint32_t i = 0; i < 10; ++i) {
    EXPECT_EQ(got[i].data, payload(i, i == 9 ? 1000 : 1200)) << i;
    EXPECT_EQ(got[i].ecn, 2);
    EXPECT_EQ(got[i].remote, tx.local_address());
    EXPECT_EQ(got[i].local, rx.local_address());
  }
}

TEST(UdpSocket, Ipv6WildcardPktinfo) {
  auto wild_or = UdpSocket::open(*SocketAddress::parse("[::]:0"));
  auto peer_or = UdpSocket::open(*SocketAddress::parse("[::1]:0"));
  if (!wild_or || !peer_or) GTEST_SKIP() << "IPv6 unavailable";
  UdpSocket& wild = *wild_or;
  UdpSocket& peer = *peer_or;
  auto target = *SocketAddress::parse("[::1]:0");
  target.port = wild.local_address().port;
  auto body = payload(3, 99);
  OutgoingDatagram d{target, std::nullopt, 0, body.data(), body.size(), 0};
  ASSERT_EQ(peer.send({&d, 1}), 1u);
  auto got = receive_n(wild, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].local, target);
  OutgoingDatagram reply{peer.local_address(), *SocketAddress::parse("::1"), 0, body.data(),
                         body.size(), 0};
  ASSERT_EQ(wild.send({&reply, 1}), 1u);
  got = receive_n(peer, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].remote, target);
}

TEST(UdpSocket, MoveKeepsTheDescriptor) {
  UdpSocket a = open_or_die(loopback4());
  int fd = a.fd();
  SocketAddress addr = a.local_address();
  UdpSocket b = std::move(a);
  EXPECT_EQ(b.fd(), fd);
  EXPECT_EQ(b.local_address(), addr);
  EXPECT_EQ(a.fd(), -1);
}

}  // namespace
}  // namespace braid::io

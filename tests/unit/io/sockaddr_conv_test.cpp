// SocketAddress <-> sockaddr conversion: both families round-trip with port byte order intact.
#include "io/sockaddr_conv.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

namespace braid::io {
namespace {

TEST(SockaddrConv, V4RoundTrip) {
  auto a = SocketAddress::v4(192, 0, 2, 7, 4433);
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(a, ss);
  ASSERT_EQ(len, sizeof(sockaddr_in));
  auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
  EXPECT_EQ(sin->sin_family, AF_INET);
  EXPECT_EQ(ntohs(sin->sin_port), 4433);
  EXPECT_EQ(ntohl(sin->sin_addr.s_addr), 0xc0000207u);
  EXPECT_EQ(from_sockaddr(ss, len), a);
}

TEST(SockaddrConv, V6RoundTrip) {
  auto a = *SocketAddress::parse("[2001:db8::1]:65535");
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(a, ss);
  ASSERT_EQ(len, sizeof(sockaddr_in6));
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
  EXPECT_EQ(sin6->sin6_family, AF_INET6);
  EXPECT_EQ(ntohs(sin6->sin6_port), 65535);
  char text[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
  EXPECT_STREQ(text, "2001:db8::1");
  EXPECT_EQ(from_sockaddr(ss, len), a);
}

TEST(SockaddrConv, RejectsInvalidAndShort) {
  sockaddr_storage ss;
  EXPECT_EQ(to_sockaddr(SocketAddress{}, ss), 0u);
  to_sockaddr(SocketAddress::v4(1, 2, 3, 4, 5), ss);
  EXPECT_FALSE(from_sockaddr(ss, sizeof(sockaddr_in) - 1));
  ss.ss_family = AF_UNIX;
  EXPECT_FALSE(from_sockaddr(ss, sizeof(ss)));
  EXPECT_FALSE(from_sockaddr(nullptr, 0));
}

TEST(SockaddrConv, Wildcard) {
  EXPECT_TRUE(is_wildcard(SocketAddress::v4(0, 0, 0, 0, 443)));
  EXPECT_FALSE(is_wildcard(SocketAddress::v4(127, 0, 0, 1, 0)));
  EXPECT_TRUE(is_wildcard(*SocketAddress::parse("[::]:1")));
  EXPECT_FALSE(is_wildcard(*SocketAddress::parse("[::1]:1")));
}

}  // namespace
}  // namespace braid::io

// EndpointDriver's local-address bookkeeping: add_socket / remove_socket in both socket
// modes. A removed per-address socket is really closed (its port can be bound again); in
// pktinfo mode addresses share the wildcard socket's port and cost no socket.
#include <gtest/gtest.h>

#include "io/crypto_random.h"
#include "io/endpoint_driver.h"

namespace braid::io {
namespace {

struct DriverFixture {
  std::unique_ptr<EventLoop> loop;
  CryptoRandom rng;
  std::unique_ptr<EndpointDriver> driver;
  explicit DriverFixture(SocketMode mode) {
    loop = std::move(*EventLoop::create());
    EndpointDriverOptions o;
    o.bind = *SocketAddress::parse("127.0.0.1:0");
    o.socket_mode = mode;
    o.endpoint.accept_connections = false;
    auto d = EndpointDriver::create(*loop, rng, o, DriverCallbacks{});
    EXPECT_TRUE(d) << (d ? "" : d.error());
    if (d) driver = std::move(*d);
  }
};

TEST(EndpointDriverSockets, PerAddressAddAndRemove) {
  DriverFixture f(SocketMode::kPerAddress);
  ASSERT_TRUE(f.driver);
  auto& d = *f.driver;
  EXPECT_FALSE(d.socket().bound_to_wildcard());
  auto a = d.add_socket(*SocketAddress::parse("127.0.0.2"));
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->ip_string(), "127.0.0.2");
  EXPECT_NE(a->port, 0);
  EXPECT_NE(a->port, d.local_address().port);
  auto again = d.add_socket(*SocketAddress::parse("127.0.0.2"));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *a);  // the same socket, not a second one
  EXPECT_EQ(d.local_addresses().size(), 2u);

  EXPECT_FALSE(d.remove_socket(d.local_address()));                      // the first stays
  EXPECT_FALSE(d.remove_socket(*SocketAddress::parse("127.0.0.3")));     // never added
  ASSERT_TRUE(d.remove_socket(*SocketAddress::parse("127.0.0.2")));      // port 0: any port
  EXPECT_EQ(d.local_addresses(), std::vector<SocketAddress>{d.local_address()});
  EXPECT_FALSE(d.remove_socket(*a));
  // Closed for real: the exact address and port can be bound again.
  auto rebound = UdpSocket::open(*a);
  EXPECT_TRUE(rebound) << rebound.error().message();
  // And added again later as a new socket.
  auto b = d.add_socket(*SocketAddress::parse("127.0.0.4"));
  ASSERT_TRUE(b);
  EXPECT_EQ(d.local_addresses().size(), 2u);
}

TEST(EndpointDriverSockets, SharedPktinfoAddressesShareOnePort) {
  DriverFixture f(SocketMode::kSharedPktinfo);
  ASSERT_TRUE(f.driver);
  auto& d = *f.driver;
  EXPECT_TRUE(d.socket().bound_to_wildcard());
  // The first path's tuple names the concrete address, with the wildcard socket's port.
  EXPECT_EQ(d.local_address().ip_string(), "127.0.0.1");
  EXPECT_EQ(d.local_address().port, d.socket().local_address().port);
  uint16_t port = d.local_address().port;
  auto a = d.add_socket(*SocketAddress::parse("127.0.0.2"));
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->ip_string(), "127.0.0.2");
  EXPECT_EQ(a->port, port);
  SocketAddress other_port = *a;
  other_port.port = static_cast<uint16_t>(port == 65535 ? 1 : port + 1);
  EXPECT_FALSE(d.add_socket(other_port));  // one port for every address
  EXPECT_EQ(d.local_addresses(), (std::vector<SocketAddress>{d.local_address(), *a}));
  EXPECT_FALSE(d.remove_socket(d.local_address()));
  ASSERT_TRUE(d.remove_socket(*a));
  EXPECT_FALSE(d.remove_socket(*a));
  EXPECT_EQ(d.local_addresses().size(), 1u);
  // No socket was opened for 127.0.0.2: the wildcard one still owns the port.
  auto clash = UdpSocket::open(*SocketAddress::parse("0.0.0.0:" + std::to_string(port)));
  EXPECT_FALSE(clash);
}

TEST(EndpointDriverSockets, SocketModeNames) {
  EXPECT_EQ(parse_socket_mode("pktinfo"), SocketMode::kSharedPktinfo);
  EXPECT_EQ(parse_socket_mode("per-address"), SocketMode::kPerAddress);
  EXPECT_FALSE(parse_socket_mode("shared"));
  EXPECT_STREQ(socket_mode_name(SocketMode::kSharedPktinfo), "pktinfo");
}

}  // namespace
}  // namespace braid::io

// SocketAddress <-> sockaddr_in / sockaddr_in6; byte order is handled here and nowhere else.
#include "io/sockaddr_conv.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace braid::io {

socklen_t to_sockaddr(const SocketAddress& a, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof(out));
  switch (a.family) {
    case SocketAddress::Family::kV4: {
      auto* sin = reinterpret_cast<sockaddr_in*>(&out);
      sin->sin_family = AF_INET;
      sin->sin_port = htons(a.port);
      std::memcpy(&sin->sin_addr, a.ip.data(), 4);
      return sizeof(sockaddr_in);
    }
    case SocketAddress::Family::kV6: {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out);
      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = htons(a.port);
      std::memcpy(&sin6->sin6_addr, a.ip.data(), 16);
      return sizeof(sockaddr_in6);
    }
    case SocketAddress::Family::kNone:
      break;
  }
  return 0;
}

SocketAddress from_in_addr(const in_addr& a, uint16_t port) {
  SocketAddress s;
  s.family = SocketAddress::Family::kV4;
  std::memcpy(s.ip.data(), &a, 4);
  s.port = port;
  return s;
}

SocketAddress from_in6_addr(const in6_addr& a, uint16_t port) {
  SocketAddress s;
  s.family = SocketAddress::Family::kV6;
  std::memcpy(s.ip.data(), &a, 16);
  s.port = port;
  return s;
}

std::optional<SocketAddress> from_sockaddr(const sockaddr* sa, socklen_t len) {
  if (sa == nullptr || len < static_cast<socklen_t>(sizeof(sa_family_t))) return std::nullopt;
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in sin;
    std::memcpy(&sin, sa, sizeof(sin));
    return from_in_addr(sin.sin_addr, ntohs(sin.sin_port));
  }
  if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, sa, sizeof(sin6));
    return from_in6_addr(sin6.sin6_addr, ntohs(sin6.sin6_port));
  }
  return std::nullopt;
}

int address_family(const SocketAddress& a) {
  switch (a.family) {
    case SocketAddress::Family::kV4: return AF_INET;
    case SocketAddress::Family::kV6: return AF_INET6;
    case SocketAddress::Family::kNone: break;
  }
  return AF_UNSPEC;
}

bool is_wildcard(const SocketAddress& a) {
  size_t n = a.family == SocketAddress::Family::kV4 ? 4 : 16;
  return std::all_of(a.ip.begin(), a.ip.begin() + static_cast<std::ptrdiff_t>(n),
                     [](uint8_t b) { return b == 0; });
}

}  // namespace braid::io

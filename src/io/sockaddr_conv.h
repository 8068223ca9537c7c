// Conversion between braid::SocketAddress (plain value used by the core) and the kernel's
// sockaddr structures. Only the runtime deals in sockaddr.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>

#include "braid/address.h"

namespace braid::io {

// Fills `out` and returns the sockaddr length to pass to the kernel; 0 if `a` is not valid.
socklen_t to_sockaddr(const SocketAddress& a, sockaddr_storage& out);

// nullopt for families other than AF_INET / AF_INET6 or a too-short length.
std::optional<SocketAddress> from_sockaddr(const sockaddr* sa, socklen_t len);
inline std::optional<SocketAddress> from_sockaddr(const sockaddr_storage& ss, socklen_t len) {
  return from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), len);
}

// Address-only helpers for PKTINFO (port is supplied by the caller).
SocketAddress from_in_addr(const in_addr& a, uint16_t port);
SocketAddress from_in6_addr(const in6_addr& a, uint16_t port);

int address_family(const SocketAddress& a);  // AF_INET, AF_INET6 or AF_UNSPEC
bool is_wildcard(const SocketAddress& a);    // 0.0.0.0 or ::

}  // namespace braid::io

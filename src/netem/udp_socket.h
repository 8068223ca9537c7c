// The relay's narrow view of Linux UDP sockets: non-blocking datagram sockets, address
// conversion and batched receive. Nothing here knows about links or paths.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <vector>

#include "braid/address.h"

namespace braid::netem {

socklen_t to_sockaddr(const SocketAddress& a, sockaddr_storage& out);
SocketAddress from_sockaddr(const sockaddr_storage& s);

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  ~Fd();
  int get() const { return fd_; }
  int release() { int f = fd_; fd_ = -1; return f; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Non-blocking UDP socket bound to `local` (port 0: ephemeral).
std::expected<Fd, std::string> open_bound_udp(const SocketAddress& local);
// Non-blocking UDP socket connected to `remote` from an ephemeral local port.
std::expected<Fd, std::string> open_connected_udp(const SocketAddress& remote);
SocketAddress local_address(int fd);

// Receives up to `batch` datagrams with recvmmsg into preallocated buffers.
class DatagramBatch {
 public:
  DatagramBatch(size_t batch, size_t max_datagram);
  // Number of datagrams read (0 when none is waiting or on error).
  size_t receive(int fd);
  std::span<const uint8_t> payload(size_t i) const;
  bool truncated(size_t i) const;
  SocketAddress source(size_t i) const { return from_sockaddr(sources_[i]); }

 private:
  size_t max_datagram_;
  std::vector<uint8_t> storage_;
  std::vector<sockaddr_storage> sources_;
  std::vector<struct iovec> iovecs_;
  std::vector<struct mmsghdr> headers_;
};

}  // namespace braid::netem

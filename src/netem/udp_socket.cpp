// Linux UDP socket plumbing for the relay.
#include "netem/udp_socket.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace braid::netem {

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

socklen_t to_sockaddr(const SocketAddress& a, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof out);
  if (a.family == SocketAddress::Family::kV6) {
    auto* s = reinterpret_cast<sockaddr_in6*>(&out);
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(a.port);
    std::memcpy(&s->sin6_addr, a.ip.data(), 16);
    return sizeof(sockaddr_in6);
  }
  auto* s = reinterpret_cast<sockaddr_in*>(&out);
  s->sin_family = AF_INET;
  s->sin_port = htons(a.port);
  std::memcpy(&s->sin_addr, a.ip.data(), 4);
  return sizeof(sockaddr_in);
}

SocketAddress from_sockaddr(const sockaddr_storage& s) {
  SocketAddress a;
  if (s.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&s);
    a.family = SocketAddress::Family::kV4;
    std::memcpy(a.ip.data(), &v4->sin_addr, 4);
    a.port = ntohs(v4->sin_port);
  } else if (s.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&s);
    a.family = SocketAddress::Family::kV6;
    std::memcpy(a.ip.data(), &v6->sin6_addr, 16);
    a.port = ntohs(v6->sin6_port);
  }
  return a;
}

namespace {

std::expected<Fd, std::string> open_udp(const SocketAddress& a) {
  int family = a.family == SocketAddress::Family::kV6 ? AF_INET6 : AF_INET;
  Fd fd(::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return std::unexpected(fmt::format("socket: {}", std::strerror(errno)));
  // Large buffers absorb bursts between two turns of the loop at high rates.
  int size = 4 << 20;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  return fd;
}

}  // namespace

std::expected<Fd, std::string> open_bound_udp(const SocketAddress& local) {
  auto fd = open_udp(local);
  if (!fd) return fd;
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(local, ss);
  if (::bind(fd->get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    return std::unexpected(fmt::format("bind {}: {}", local.to_string(), std::strerror(errno)));
  }
  return fd;
}

std::expected<Fd, std::string> open_connected_udp(const SocketAddress& remote) {
  auto fd = open_udp(remote);
  if (!fd) return fd;
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(remote, ss);
  if (::connect(fd->get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    return std::unexpected(fmt::format("connect {}: {}", remote.to_string(), std::strerror(errno)));
  }
  return fd;
}

SocketAddress local_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  return from_sockaddr(ss);
}

DatagramBatch::DatagramBatch(size_t batch, size_t max_datagram)
    : max_datagram_(max_datagram),
      storage_(batch * max_datagram),
      sources_(batch),
      iovecs_(batch),
      headers_(batch) {}

size_t DatagramBatch::receive(int fd) {
  for (size_t i = 0; i < headers_.size(); ++i) {
    iovecs_[i] = {storage_.data() + i * max_datagram_, max_datagram_};
    std::memset(&headers_[i], 0, sizeof headers_[i]);
    headers_[i].msg_hdr.msg_name = &sources_[i];
    headers_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    headers_[i].msg_hdr.msg_iov = &iovecs_[i];
    headers_[i].msg_hdr.msg_iovlen = 1;
  }
  int n = ::recvmmsg(fd, headers_.data(), static_cast<unsigned>(headers_.size()), MSG_DONTWAIT, nullptr);
  return n > 0 ? static_cast<size_t>(n) : 0;
}

std::span<const uint8_t> DatagramBatch::payload(size_t i) const {
  size_t len = std::min<size_t>(headers_[i].msg_len, max_datagram_);
  return {storage_.data() + i * max_datagram_, len};
}

bool DatagramBatch::truncated(size_t i) const { return headers_[i].msg_hdr.msg_flags & MSG_TRUNC; }

}  // namespace braid::netem

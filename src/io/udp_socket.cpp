// UDP socket setup and the batched send/receive paths. GSO and GRO are probed at runtime and
// GSO is switched off for the socket when the kernel or device refuses it (EIO/EINVAL).
#include "io/udp_socket.h"
#include "io/reuseport_steering.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "io/monotonic_clock.h"
#include "io/sockaddr_conv.h"

namespace braid::io {
namespace {

constexpr size_t kSendBatch = 64;
// Largest UDP payload over IPv4; also a safe bound for one GSO super-datagram over IPv6.
constexpr size_t kMaxUdpPayload = 65507;
constexpr size_t kSendControlBytes =
    CMSG_SPACE(sizeof(uint16_t)) + CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(in6_pktinfo));
constexpr size_t kRecvControlBytes = 128;
static_assert(kRecvControlBytes >= 2 * CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(in6_pktinfo)));

std::error_code errno_code(int e) { return {e, std::system_category()}; }

int set_int_option(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof(value));
}

void append_cmsg(uint8_t* buf, size_t& used, int level, int type, const void* data, size_t len) {
  auto* c = reinterpret_cast<cmsghdr*>(buf + used);
  c->cmsg_level = level;
  c->cmsg_type = type;
  c->cmsg_len = CMSG_LEN(len);
  std::memcpy(CMSG_DATA(c), data, len);
  used += CMSG_SPACE(len);
}

template <typename T>
T read_cmsg(const cmsghdr* c) {
  T value{};
  size_t avail = c->cmsg_len - CMSG_LEN(0);
  std::memcpy(&value, CMSG_DATA(c), std::min(avail, sizeof(T)));
  return value;
}

}  // namespace

// ---- ReceiveBatch ----------------------------------------------------------------------

ReceiveBatch::ReceiveBatch(size_t messages, size_t buffer_bytes)
    : messages_(std::max<size_t>(messages, 1)),
      buffer_bytes_(std::max<size_t>(buffer_bytes, 1)),
      storage_(messages_ * buffer_bytes_),
      headers_(messages_),
      iovecs_(messages_),
      names_(messages_),
      control_(messages_ * kRecvControlBytes) {
  // A full GRO buffer of minimum-size QUIC packets can hold ~50 datagrams each.
  datagrams_.reserve(messages_ * 8);
}

ReceiveBatch::~ReceiveBatch() = default;

// ---- UdpSocket lifecycle ------------------------------------------------------------------

std::expected<UdpSocket, std::error_code> UdpSocket::open(const SocketAddress& bind_address,
                                                          const UdpSocketOptions& options) {
  int family = address_family(bind_address);
  if (family == AF_UNSPEC) return std::unexpected(errno_code(EAFNOSUPPORT));

  UdpSocket s;
  s.fd_ = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (s.fd_ < 0) return std::unexpected(errno_code(errno));
  s.family_ = family;
  const int fd = s.fd_;

  if (options.recv_buffer_bytes > 0 &&
      set_int_option(fd, SOL_SOCKET, SO_RCVBUFFORCE, options.recv_buffer_bytes) != 0) {
    set_int_option(fd, SOL_SOCKET, SO_RCVBUF, options.recv_buffer_bytes);  // best effort
  }
  if (options.send_buffer_bytes > 0 &&
      set_int_option(fd, SOL_SOCKET, SO_SNDBUFFORCE, options.send_buffer_bytes) != 0) {
    set_int_option(fd, SOL_SOCKET, SO_SNDBUF, options.send_buffer_bytes);
  }

  if (family == AF_INET6) {
    if (set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) != 0 ||
        set_int_option(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) != 0 ||
        set_int_option(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1) != 0) {
      return std::unexpected(errno_code(errno));
    }
    if (options.pmtud_probe) set_int_option(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE);
  } else {
    if (set_int_option(fd, IPPROTO_IP, IP_PKTINFO, 1) != 0 ||
        set_int_option(fd, IPPROTO_IP, IP_RECVTOS, 1) != 0) {
      return std::unexpected(errno_code(errno));
    }
    if (options.pmtud_probe) set_int_option(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE);
  }

  if (options.enable_gso) {
    int segment = 0;
    socklen_t len = sizeof(segment);
    s.gso_enabled_ = getsockopt(fd, SOL_UDP, UDP_SEGMENT, &segment, &len) == 0;
  }
  if (options.enable_gro) s.gro_enabled_ = set_int_option(fd, SOL_UDP, UDP_GRO, 1) == 0;

  if (options.reuseport_workers > 0) {
    if (options.reuseport_workers < 2 || options.reuseport_workers > 255) return std::unexpected(errno_code(EINVAL));
    if (set_int_option(fd, SOL_SOCKET, SO_REUSEPORT, 1) != 0) return std::unexpected(errno_code(errno));
  }
  sockaddr_storage ss;
  socklen_t sslen = to_sockaddr(bind_address, ss);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), sslen) != 0) return std::unexpected(errno_code(errno));
  if (options.reuseport_workers > 0) {
    if (auto ok = attach_cid_steering(fd, options.reuseport_workers); !ok) return std::unexpected(ok.error());
  }
  sslen = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &sslen) != 0) {
    return std::unexpected(errno_code(errno));
  }
  auto bound = from_sockaddr(ss, sslen);
  if (!bound) return std::unexpected(errno_code(EAFNOSUPPORT));
  s.local_ = *bound;
  s.wildcard_ = is_wildcard(s.local_);
  return s;
}

UdpSocket::UdpSocket(UdpSocket&& o) noexcept { *this = std::move(o); }

UdpSocket& UdpSocket::operator=(UdpSocket&& o) noexcept {
  if (this != &o) {
    close_fd();
    fd_ = std::exchange(o.fd_, -1);
    family_ = o.family_;
    local_ = o.local_;
    wildcard_ = o.wildcard_;
    gso_enabled_ = o.gso_enabled_;
    gso_confirmed_ = o.gso_confirmed_;
    gro_enabled_ = o.gro_enabled_;
    counters_ = o.counters_;
    last_send_error_ = o.last_send_error_;
  }
  return *this;
}

UdpSocket::~UdpSocket() { close_fd(); }

void UdpSocket::close_fd() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

int UdpSocket::recv_buffer_bytes() const {
  int v = 0;
  socklen_t len = sizeof(v);
  getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &v, &len);
  return v;
}

int UdpSocket::send_buffer_bytes() const {
  int v = 0;
  socklen_t len = sizeof(v);
  getsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &v, &len);
  return v;
}

// ---- send ---------------------------------------------------------------------------------

size_t UdpSocket::send(std::span<const OutgoingDatagram> datagrams) {
  struct Slot {
    size_t input;
    size_t end_offset;  // offset in the input just past this message's bytes
    uint32_t segments;
  };
  mmsghdr msgs[kSendBatch];
  iovec iovs[kSendBatch];
  sockaddr_storage names[kSendBatch];
  alignas(cmsghdr) uint8_t control[kSendBatch][kSendControlBytes];
  Slot slots[kSendBatch];

  size_t next = 0;    // first input not fully sent; everything before it is consumed
  size_t offset = 0;  // bytes of datagrams[next] already sent (GSO fallback or splitting)
  while (next < datagrams.size()) {
    // Build up to kSendBatch kernel messages starting at (next, offset).
    size_t count = 0;
    size_t in = next, off = offset;
    while (count < kSendBatch && in < datagrams.size()) {
      const OutgoingDatagram& d = datagrams[in];
      size_t remaining = d.len - off;
      size_t chunk = remaining;
      uint32_t segments = 1;
      bool use_gso = false;
      if (d.segment_size != 0 && remaining > d.segment_size) {
        size_t seg = d.segment_size;
        if (gso_enabled_) {
          size_t max_segments = std::clamp<size_t>(kMaxUdpPayload / seg, 1, kMaxGsoSegments);
          chunk = std::min(remaining, seg * max_segments);
          segments = static_cast<uint32_t>((chunk + seg - 1) / seg);
          use_gso = segments > 1;
        } else {
          chunk = seg;
        }
      }

      mmsghdr& m = msgs[count];
      std::memset(&m, 0, sizeof(m));
      iovs[count].iov_base = const_cast<uint8_t*>(d.data + off);
      iovs[count].iov_len = chunk;
      m.msg_hdr.msg_iov = &iovs[count];
      m.msg_hdr.msg_iovlen = 1;
      m.msg_hdr.msg_name = &names[count];
      m.msg_hdr.msg_namelen = to_sockaddr(d.remote, names[count]);

      uint8_t* ctrl = control[count];
      size_t used = 0;
      if (use_gso) {
        uint16_t seg = d.segment_size;
        append_cmsg(ctrl, used, SOL_UDP, UDP_SEGMENT, &seg, sizeof(seg));
      }
      if (d.ecn & 3) {
        int tos = d.ecn & 3;
        if (family_ == AF_INET6) append_cmsg(ctrl, used, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
        else append_cmsg(ctrl, used, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
      }
      if (wildcard_ && d.local && address_family(*d.local) == family_ && !is_wildcard(*d.local)) {
        if (family_ == AF_INET6) {
          in6_pktinfo pi{};
          std::memcpy(&pi.ipi6_addr, d.local->ip.data(), 16);
          append_cmsg(ctrl, used, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
        } else {
          in_pktinfo pi{};
          std::memcpy(&pi.ipi_spec_dst, d.local->ip.data(), 4);
          append_cmsg(ctrl, used, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
        }
      }
      m.msg_hdr.msg_control = used ? ctrl : nullptr;
      m.msg_hdr.msg_controllen = used;

      off += chunk;
      slots[count] = Slot{in, off, segments};
      ++count;
      if (off >= d.len) {
        ++in;
        off = 0;
      }
    }

    int r = ::sendmmsg(fd_, msgs, static_cast<unsigned>(count), 0);
    ++counters_.send_syscalls;
    if (r > 0) {
      for (int k = 0; k < r; ++k) {
        counters_.datagrams_sent += slots[k].segments;
        if (slots[k].segments > 1) {
          ++counters_.gso_batches_sent;
          gso_confirmed_ = true;
        }
      }
      const Slot& last = slots[r - 1];
      if (last.end_offset >= datagrams[last.input].len) {
        next = last.input + 1;
        offset = 0;
      } else {
        next = last.input;
        offset = last.end_offset;
      }
      continue;
    }

    int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EWOULDBLOCK) return next;
    bool failed_gso = slots[0].segments > 1;
    if (failed_gso && (err == EIO || (err == EINVAL && !gso_confirmed_))) {
      // The device or kernel cannot segment: split in user space from now on.
      gso_enabled_ = false;
      ++counters_.gso_fallbacks;
      continue;
    }
    // Permanent for this datagram (EMSGSIZE, unreachable, bad source address, ENOBUFS
    // drop...): drop it, as a router would, and let loss recovery deal with it.
    ++counters_.send_errors;
    last_send_error_ = errno_code(err);
    ++next;
    offset = 0;
  }
  return next;
}

// ---- receive ------------------------------------------------------------------------------

std::expected<size_t, std::error_code> UdpSocket::receive(ReceiveBatch& b) {
  b.datagrams_.clear();
  for (size_t k = 0; k < b.messages_; ++k) {
    b.iovecs_[k].iov_base = b.storage_.data() + k * b.buffer_bytes_;
    b.iovecs_[k].iov_len = b.buffer_bytes_;
    msghdr& h = b.headers_[k].msg_hdr;
    h.msg_name = &b.names_[k];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &b.iovecs_[k];
    h.msg_iovlen = 1;
    h.msg_control = b.control_.data() + k * kRecvControlBytes;
    h.msg_controllen = kRecvControlBytes;
    h.msg_flags = 0;
    b.headers_[k].msg_len = 0;
  }

  int r;
  do {
    r = ::recvmmsg(fd_, b.headers_.data(), static_cast<unsigned>(b.messages_), 0, nullptr);
    ++counters_.recv_syscalls;
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return std::unexpected(errno_code(errno));
  }

  const TimePoint now = monotonic_now();
  for (int k = 0; k < r; ++k) {
    const msghdr& h = b.headers_[k].msg_hdr;
    if (h.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
      ++counters_.receive_truncated;
      continue;
    }
    auto remote = from_sockaddr(b.names_[k], h.msg_namelen);
    if (!remote) continue;

    SocketAddress local = local_;
    uint8_t ecn = 0;
    size_t segment = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        local = from_in_addr(read_cmsg<in_pktinfo>(c).ipi_addr, local_.port);
      } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
        ecn = read_cmsg<uint8_t>(c) & 3;  // the kernel hands back a single byte
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        local = from_in6_addr(read_cmsg<in6_pktinfo>(c).ipi6_addr, local_.port);
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
        ecn = static_cast<uint8_t>(read_cmsg<int>(c) & 3);
      } else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        segment = static_cast<size_t>(read_cmsg<int>(c));
      }
    }

    const uint8_t* data = static_cast<const uint8_t*>(b.iovecs_[k].iov_base);
    const size_t len = b.headers_[k].msg_len;
    if (segment == 0 || segment >= len) {
      b.datagrams_.push_back(IncomingDatagram{*remote, local, ecn, {data, len}, now});
      ++counters_.datagrams_received;
      continue;
    }
    size_t pieces = 0;
    for (size_t pos = 0; pos < len; pos += segment, ++pieces) {
      b.datagrams_.push_back(
          IncomingDatagram{*remote, local, ecn, {data + pos, std::min(segment, len - pos)}, now});
    }
    counters_.datagrams_received += pieces;
    ++counters_.gro_batches_received;
    counters_.gro_coalesced_datagrams += pieces;
  }
  return b.datagrams_.size();
}

}  // namespace braid::io

// A non-blocking UDP socket with the Linux batching and metadata features a QUIC stack needs:
// sendmmsg/recvmmsg, GSO (UDP_SEGMENT) with runtime fallback, GRO with segment splitting,
// ECN via IP_TOS/IPV6_TCLASS, and per-packet local addresses via PKTINFO.
//
// Call order: UdpSocket::open(...) once; then, whenever the event loop reports the fd
// readable, receive(batch) until it returns 0; send(...) whenever there is data, and when it
// returns fewer than asked, wait for EPOLLOUT and retry with the rest.
#pragma once
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "braid/address.h"
#include "braid/time.h"

namespace braid::io {

struct OutgoingDatagram {
  SocketAddress remote;
  std::optional<SocketAddress> local;  // send-from address (PKTINFO); used when bound to a wildcard
  uint8_t ecn = 0;                     // low two bits: 0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE
  const uint8_t* data = nullptr;
  size_t len = 0;
  // 0: one datagram. Otherwise `data` holds back-to-back datagrams of segment_size bytes
  // (the last may be shorter), sent with GSO when the kernel supports it.
  uint16_t segment_size = 0;
};

struct IncomingDatagram {
  SocketAddress remote;
  SocketAddress local;  // destination address of the packet (PKTINFO) and the bound port
  uint8_t ecn = 0;
  std::span<const uint8_t> data;  // view into the ReceiveBatch buffers
  TimePoint received;
};

struct UdpSocketOptions {
  int recv_buffer_bytes = 8 << 20;  // asked with SO_RCVBUFFORCE first (works as root)
  int send_buffer_bytes = 8 << 20;
  bool enable_gso = true;
  bool enable_gro = true;
  bool pmtud_probe = true;  // IP_PMTUDISC_PROBE: DF set, kernel PMTU ignored (DPLPMTUD owns it)
  // Server workers: 2..255 sets SO_REUSEPORT and steers the group's packets by the CID's
  // first byte modulo this count (reuseport_steering.h); the socket bound i-th takes worker
  // i's packets. 0: a socket of its own.
  uint32_t reuseport_workers = 0;
};

// Monotonic counters; benchmarks read them to show batching is in effect.
struct UdpSocketCounters {
  uint64_t send_syscalls = 0;
  uint64_t datagrams_sent = 0;     // wire datagrams (GSO segments counted one by one)
  uint64_t gso_batches_sent = 0;   // kernel messages carrying more than one segment
  uint64_t send_errors = 0;        // datagrams dropped after a permanent error
  uint64_t gso_fallbacks = 0;      // times GSO was switched off after EIO/EINVAL
  uint64_t recv_syscalls = 0;
  uint64_t datagrams_received = 0;       // after GRO splitting
  uint64_t gro_batches_received = 0;     // buffers that held more than one datagram
  uint64_t gro_coalesced_datagrams = 0;  // datagrams that arrived inside such buffers
  uint64_t receive_truncated = 0;        // buffers dropped because they were too small
};

// Reusable receive storage: `messages` buffers of `buffer_bytes` each. After
// UdpSocket::receive, datagrams() lists every datagram (GRO already split) as views into the
// buffers, valid until the next receive into the same batch.
class ReceiveBatch {
 public:
  static constexpr size_t kGroBufferBytes = 65536;
  explicit ReceiveBatch(size_t messages = 32, size_t buffer_bytes = kGroBufferBytes);
  ~ReceiveBatch();
  ReceiveBatch(const ReceiveBatch&) = delete;
  ReceiveBatch& operator=(const ReceiveBatch&) = delete;

  std::span<const IncomingDatagram> datagrams() const { return datagrams_; }
  size_t messages() const { return messages_; }
  size_t buffer_bytes() const { return buffer_bytes_; }

 private:
  friend class UdpSocket;
  size_t messages_;
  size_t buffer_bytes_;
  std::vector<uint8_t> storage_;
  std::vector<mmsghdr> headers_;
  std::vector<iovec> iovecs_;
  std::vector<sockaddr_storage> names_;
  std::vector<uint8_t> control_;
  std::vector<IncomingDatagram> datagrams_;
};

class UdpSocket {
 public:
  // Creates, configures and binds. Port 0 picks a free port; local_address() reports it.
  static std::expected<UdpSocket, std::error_code> open(const SocketAddress& bind_address,
                                                        const UdpSocketOptions& options = {});
  UdpSocket(UdpSocket&& other) noexcept;
  UdpSocket& operator=(UdpSocket&& other) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  ~UdpSocket();

  int fd() const { return fd_; }
  const SocketAddress& local_address() const { return local_; }
  bool bound_to_wildcard() const { return wildcard_; }
  bool gso_enabled() const { return gso_enabled_; }
  bool gro_enabled() const { return gro_enabled_; }
  int recv_buffer_bytes() const;  // as reported by the kernel
  int send_buffer_bytes() const;
  const UdpSocketCounters& counters() const { return counters_; }
  std::error_code last_send_error() const { return last_send_error_; }

  // Sends datagrams in order with as few sendmmsg calls as possible. Returns how many
  // entries were consumed: sent, or dropped after a permanent per-datagram error (counted in
  // send_errors, see last_send_error()). Fewer than datagrams.size() means the socket buffer
  // is full (EAGAIN/ENOBUFS): wait for EPOLLOUT and resend the rest. An entry whose segments
  // were only partly sent is not counted, so resending it may duplicate a few segments.
  size_t send(std::span<const OutgoingDatagram> datagrams);

  // One recvmmsg into `batch`, then GRO splitting. Returns the number of datagrams now in
  // batch.datagrams(); 0 when nothing is pending. Errors other than EAGAIN are returned.
  std::expected<size_t, std::error_code> receive(ReceiveBatch& batch);

  // Maximum segments one GSO send may carry (kernel UDP_MAX_SEGMENTS is at least 64).
  static constexpr size_t kMaxGsoSegments = 64;

 private:
  UdpSocket() = default;
  void close_fd();

  int fd_ = -1;
  int family_ = 0;
  SocketAddress local_;
  bool wildcard_ = false;
  bool gso_enabled_ = false;
  bool gso_confirmed_ = false;  // a GSO send has succeeded; EINVAL no longer means "no GSO"
  bool gro_enabled_ = false;
  UdpSocketCounters counters_;
  std::error_code last_send_error_;
};

}  // namespace braid::io

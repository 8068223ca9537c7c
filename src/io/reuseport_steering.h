// Steering QUIC packets between the sockets of one SO_REUSEPORT group by connection ID: a
// classic BPF program (SO_ATTACH_REUSEPORT_CBPF) reads the first byte of the destination
// connection ID (offset 1 in a short header, 6 in a long one) and picks the socket at that
// byte modulo the worker count. Servers mark their CIDs so (ConnectionConfig::
// cid_worker_count); a client's first Initial carries a random DCID, so new connections
// spread over the workers, and everything after it (Handshake, 1-RTT, every path of a
// multipath connection, the Initial that answers a Retry) reaches the worker that owns the
// connection. Sockets join the group in worker order; an index past the group's size, or a
// packet too short to read, falls back to the kernel's hash (or socket 0).
#pragma once
#include <linux/filter.h>

#include <cstdint>
#include <expected>
#include <system_error>
#include <vector>

namespace braid::io {

// The program for `workers` sockets (2..255).
std::vector<sock_filter> cid_steering_program(uint32_t workers);
// Attaches it to `fd`'s reuseport group (one attach serves the whole group).
std::expected<void, std::error_code> attach_cid_steering(int fd, uint32_t workers);

}  // namespace braid::io

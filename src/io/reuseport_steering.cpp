#include "io/reuseport_steering.h"

#include <sys/socket.h>

#include <cerrno>

namespace braid::io {

std::vector<sock_filter> cid_steering_program(uint32_t workers) {
  // The UDP payload starts at offset 0 (the kernel pulls the UDP header before running it).
  return {
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),              // A = first byte
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x80, 0, 2),   // long header?
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),              // long: after flags, version, DCID length
      BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 1),              // short: right after the flags
      BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, workers),
      BPF_STMT(BPF_RET | BPF_A, 0),
  };
}

std::expected<void, std::error_code> attach_cid_steering(int fd, uint32_t workers) {
  if (workers < 2 || workers > 255) return std::unexpected(std::make_error_code(std::errc::invalid_argument));
  auto code = cid_steering_program(workers);
  sock_fprog prog{static_cast<unsigned short>(code.size()), code.data()};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) != 0) {
    return std::unexpected(std::error_code(errno, std::generic_category()));
  }
  return {};
}

}  // namespace braid::io

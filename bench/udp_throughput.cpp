// Loopback UDP throughput of the runtime socket in three modes, to show what batching buys:
// one datagram per syscall, sendmmsg/recvmmsg batches, and GSO trains received with GRO.
// Usage: braid_udp_bench [single|mmsg|gso ...] [--seconds S] [--size BYTES] [--segments N]
#include <poll.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "io/monotonic_clock.h"
#include "io/udp_socket.h"

using namespace braid;
using namespace braid::io;

namespace {

struct Config {
  double seconds = 2.0;
  size_t size = 1200;
  size_t segments = 50;
};

struct ModeSpec {
  const char* name;
  size_t datagrams_per_send;  // separate entries per send() call
  bool gso;
  bool gro;
  size_t rx_messages;
  size_t rx_buffer;
};

void run_mode(const ModeSpec& m, const Config& cfg) {
  UdpSocketOptions tx_opt, rx_opt;
  tx_opt.enable_gso = m.gso;
  rx_opt.enable_gro = m.gro;
  auto tx = UdpSocket::open(SocketAddress::v4(127, 0, 0, 1, 0), tx_opt);
  auto rx = UdpSocket::open(SocketAddress::v4(127, 0, 0, 1, 0), rx_opt);
  if (!tx || !rx) {
    std::fprintf(stderr, "socket setup failed\n");
    std::exit(1);
  }

  std::atomic<bool> stop{false};
  uint64_t rx_datagrams = 0, rx_bytes = 0;
  std::thread receiver([&] {
    ReceiveBatch batch(m.rx_messages, m.rx_buffer);
    while (true) {
      auto n = rx->receive(batch);
      if (!n) break;
      if (*n == 0) {
        if (stop.load(std::memory_order_relaxed)) break;
        pollfd p{rx->fd(), POLLIN, 0};
        ::poll(&p, 1, 10);
        continue;
      }
      rx_datagrams += *n;
      for (const auto& d : batch.datagrams()) rx_bytes += d.data.size();
    }
  });

  const size_t train = m.gso ? cfg.segments : 1;
  std::vector<uint8_t> payload(cfg.size * train * m.datagrams_per_send, 0xab);
  std::vector<OutgoingDatagram> out;
  for (size_t i = 0; i < m.datagrams_per_send; ++i) {
    out.push_back(OutgoingDatagram{rx->local_address(), std::nullopt, 0,
                                   payload.data() + i * cfg.size * train, cfg.size * train,
                                   static_cast<uint16_t>(m.gso ? cfg.size : 0)});
  }

  const TimePoint start = monotonic_now();
  const TimePoint end = start + std::chrono::nanoseconds(static_cast<int64_t>(cfg.seconds * 1e9));
  uint64_t rx_at_end = 0, rx_bytes_at_end = 0;
  while (monotonic_now() < end) {
    for (int burst = 0; burst < 16; ++burst) {
      size_t done = 0;
      while (done < out.size()) {
        size_t n = tx->send(std::span(out).subspan(done));
        done += n;
        if (done < out.size()) {
          pollfd p{tx->fd(), POLLOUT, 0};
          ::poll(&p, 1, 10);
        }
      }
    }
  }
  const double elapsed = std::chrono::duration<double>(monotonic_now() - start).count();
  stop = true;
  receiver.join();
  rx_at_end = rx_datagrams;
  rx_bytes_at_end = rx_bytes;

  const auto& tc = tx->counters();
  const auto& rc = rx->counters();
  std::printf("%-7s sent %8.0f dgram/s %6.2f Gbit/s | received %8.0f dgram/s %6.2f Gbit/s | "
              "tx syscalls %llu (%.1f dgram/call, gso batches %llu) rx syscalls %llu "
              "(%.1f dgram/call, gro coalesced %llu)\n",
              m.name, tc.datagrams_sent / elapsed, tc.datagrams_sent * cfg.size * 8 / elapsed / 1e9,
              rx_at_end / elapsed, rx_bytes_at_end * 8 / elapsed / 1e9,
              static_cast<unsigned long long>(tc.send_syscalls),
              double(tc.datagrams_sent) / double(tc.send_syscalls ? tc.send_syscalls : 1),
              static_cast<unsigned long long>(tc.gso_batches_sent),
              static_cast<unsigned long long>(rc.recv_syscalls),
              double(rc.datagrams_received) / double(rc.recv_syscalls ? rc.recv_syscalls : 1),
              static_cast<unsigned long long>(rc.gro_coalesced_datagrams));
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  std::vector<std::string> modes;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) cfg.seconds = std::atof(argv[++i]);
    else if (a == "--size" && i + 1 < argc) cfg.size = std::strtoul(argv[++i], nullptr, 10);
    else if (a == "--segments" && i + 1 < argc) cfg.segments = std::strtoul(argv[++i], nullptr, 10);
    else if (a == "single" || a == "mmsg" || a == "gso") modes.push_back(a);
    else {
      std::fprintf(stderr, "usage: %s [single|mmsg|gso ...] [--seconds S] [--size B] [--segments N]\n", argv[0]);
      return 2;
    }
  }
  if (modes.empty()) modes = {"single", "mmsg", "gso"};
  const ModeSpec specs[] = {
      {"single", 1, false, false, 1, 2048},
      {"mmsg", 64, false, false, 64, 2048},
      {"gso", 1, true, true, 16, ReceiveBatch::kGroBufferBytes},
  };
  std::printf("%zu-byte datagrams on 127.0.0.1, %.1f s per mode\n", cfg.size, cfg.seconds);
  for (const auto& mode : modes) {
    for (const auto& s : specs) {
      if (mode == s.name) run_mode(s, cfg);
    }
  }
  return 0;
}

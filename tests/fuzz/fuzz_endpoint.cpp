// libFuzzer target: a server Endpoint fed arbitrary datagrams from a few addresses, the way
// the network would: input is a sequence of [u16 length][bytes] datagrams, each delivered 1 ms
// after the previous, with the server's output and timers driven between them. Seeds start
// from a real client Initial (tests/fuzz/corpus/fuzz_endpoint).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "braid/endpoint.h"
#include "core/crypto/tls_session.h"

using namespace braid;

namespace {
const crypto::GeneratedCertificate& cert() {
  static auto c = *crypto::generate_self_signed({"localhost"}, 1, 1700000000, 365);
  return c;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  SeededRandom rng(42);
  EndpointConfig ec;
  ec.connection.tls.cert_pem = cert().cert_pem;
  ec.connection.tls.key_pem = cert().key_pem;
  ec.max_handshakes_in_progress = 4;
  Endpoint ep(ec, rng);
  TimePoint now = time_from_us(1'000'000);
  std::vector<uint8_t> out(65536), dgram;
  size_t off = 0;
  int n = 0;
  while (off + 2 <= size && n++ < 64) {
    size_t len = (size_t{data[off]} << 8 | data[off + 1]) % 1500;
    off += 2;
    len = std::min(len, size - off);
    dgram.assign(data + off, data + off + len);
    off += len;
    PathTuple t{SocketAddress::v4(10, 0, 0, 2, 443), SocketAddress::v4(10, 0, 0, static_cast<uint8_t>(1 + n % 3), 5000)};
    ep.handle_datagram(now, t, dgram, 0);
    while (ep.poll_stateless(out)) {
    }
    for (auto* c : ep.connections()) {
      if (c->poll_timeout() <= now) c->handle_timeout(now);
      for (int k = 0; k < 16 && c->poll_transmit(now, out, 4); ++k) {
      }
      while (c->poll_event()) {
      }
      ep.refresh_routes(c);
    }
    ep.collect_closed();
    now += std::chrono::milliseconds(1);
  }
  return 0;
}

// libFuzzer target: a client Connection after a real handshake, fed arbitrary decrypted
// 1-RTT payloads through a fuzz-build-only hook that skips packet protection. The input is
// a sequence of [u16 length][payload] packets. The connection is kept across inputs (a
// handshake per input would be 1000x slower) and rebuilt when a payload closes it.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "braid/endpoint.h"
#include "core/conn/connection_impl.h"
#include "core/crypto/tls_session.h"

using namespace braid;

namespace {

struct Pair {
  SeededRandom rng{7};
  std::unique_ptr<Endpoint> server;
  std::unique_ptr<Connection> client;
  TimePoint now = time_from_us(1'000'000);
  uint64_t pn = 1'000;

  Pair() {
    static auto cert = *crypto::generate_self_signed({"localhost"}, 1, 1700000000, 365);
    EndpointConfig ec;
    ec.connection.tls.cert_pem = cert.cert_pem;
    ec.connection.tls.key_pem = cert.key_pem;
    server = std::make_unique<Endpoint>(ec, rng);
    ConnectionConfig cc;
    cc.tls.insecure = true;
    PathTuple t{SocketAddress::v4(10, 0, 0, 1, 5000), SocketAddress::v4(10, 0, 0, 2, 443)};
    client = std::move(*Connection::connect(now, cc, t, rng));
    std::vector<uint8_t> buf(65536);
    for (int round = 0; round < 200 && !client->is_handshake_complete(); ++round) {
      while (auto tx = client->poll_transmit(now, buf, 1)) {
        server->handle_datagram(now, {tx->tuple.remote, tx->tuple.local}, std::span(buf.data(), tx->length), 0);
      }
      for (auto* c : server->connections()) {
        while (auto tx = c->poll_transmit(now, buf, 1)) {
          client->handle_datagram(now, {tx->tuple.remote, tx->tuple.local}, std::span(buf.data(), tx->length), 0);
        }
      }
      now += std::chrono::milliseconds(1);
    }
  }
};

std::unique_ptr<Pair> pair;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (!pair || pair->client->is_draining()) pair = std::make_unique<Pair>();
  auto* impl = static_cast<conn::ConnectionImpl*>(pair->client.get());
  std::vector<uint8_t> out(65536);
  size_t off = 0;
  while (off + 2 <= size) {
    size_t len = size_t{data[off]} << 8 | data[off + 1];
    off += 2;
    len = std::min(len, size - off);
    impl->process_plaintext_for_fuzzing(pair->now, std::span(data + off, len), pair->pn++);
    off += len;
    pair->now += std::chrono::microseconds(500);
    if (impl->poll_timeout() <= pair->now) impl->handle_timeout(pair->now);
    for (int k = 0; k < 8 && impl->poll_transmit(pair->now, out, 4); ++k) {
    }
    while (impl->poll_event()) {
    }
    if (impl->is_draining()) break;
  }
  return 0;
}

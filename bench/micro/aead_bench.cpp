// Per-packet crypto cost: AEAD seal of a 1200-byte payload per suite, the header-protection
// mask, and a whole protect_packet. Run: ./build/bench/braid_micro_bench --benchmark_filter=Aead
#include <benchmark/benchmark.h>

#include <numeric>
#include <vector>

#include "core/crypto/packet_keys.h"
#include "core/crypto/packet_protection.h"

namespace braid::crypto {
namespace {

constexpr size_t kPayload = 1200;

DirectionalKeys keys_for(CipherSuite s) {
  std::vector<uint8_t> secret(secret_len(s));
  std::iota(secret.begin(), secret.end(), uint8_t{7});
  return derive_keys(s, secret);
}

void BM_AeadSeal1200(benchmark::State& state) {
  const auto suite = static_cast<CipherSuite>(state.range(0));
  DirectionalKeys k = keys_for(suite);
  std::vector<uint8_t> aad(20, 0x41);
  std::vector<uint8_t> buf(kPayload + kAeadTagLen, 0x5a);
  uint64_t pn = 0;
  for (auto _ : state) {
    const bool ok = k.aead->seal(1, pn++, aad, std::span(buf).first(kPayload), std::span(buf).subspan(kPayload));
    benchmark::DoNotOptimize(ok);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPayload));
}
BENCHMARK(BM_AeadSeal1200)
    ->ArgName("suite")
    ->Arg(static_cast<int>(CipherSuite::kAes128Gcm))
    ->Arg(static_cast<int>(CipherSuite::kAes256Gcm))
    ->Arg(static_cast<int>(CipherSuite::kChacha20Poly1305));

void BM_AeadOpen1200(benchmark::State& state) {
  const auto suite = static_cast<CipherSuite>(state.range(0));
  DirectionalKeys k = keys_for(suite);
  std::vector<uint8_t> aad(20, 0x41);
  std::vector<uint8_t> sealed(kPayload + kAeadTagLen, 0x5a);
  k.aead->seal(1, 9, aad, std::span(sealed).first(kPayload), std::span(sealed).subspan(kPayload));
  std::vector<uint8_t> buf(sealed.size());
  for (auto _ : state) {
    std::copy(sealed.begin(), sealed.end(), buf.begin());
    const bool ok = k.aead->open(1, 9, aad, buf);
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPayload));
}
BENCHMARK(BM_AeadOpen1200)
    ->ArgName("suite")
    ->Arg(static_cast<int>(CipherSuite::kAes128Gcm))
    ->Arg(static_cast<int>(CipherSuite::kAes256Gcm))
    ->Arg(static_cast<int>(CipherSuite::kChacha20Poly1305));

void BM_HeaderMask(benchmark::State& state) {
  const auto suite = static_cast<CipherSuite>(state.range(0));
  DirectionalKeys k = keys_for(suite);
  std::array<uint8_t, kHpSampleLen> sample{};
  std::iota(sample.begin(), sample.end(), uint8_t{1});
  for (auto _ : state) {
    auto m = k.hp->mask(sample);
    sample[0] ^= m[0];  // data dependency so iterations cannot be merged
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_HeaderMask)
    ->ArgName("suite")
    ->Arg(static_cast<int>(CipherSuite::kAes128Gcm))
    ->Arg(static_cast<int>(CipherSuite::kAes256Gcm))
    ->Arg(static_cast<int>(CipherSuite::kChacha20Poly1305));

// Whole short-header packet: seal + sample + mask, as the send path does it.
void BM_ProtectPacket1200(benchmark::State& state) {
  const auto suite = static_cast<CipherSuite>(state.range(0));
  DirectionalKeys k = keys_for(suite);
  constexpr size_t kHeader = 1 + 8 + 4;  // first byte, 8-byte DCID, 4-byte pn
  std::vector<uint8_t> buf(kHeader + kPayload + kAeadTagLen, 0x5a);
  uint64_t pn = 0;
  for (auto _ : state) {
    buf[0] = 0x43;
    const size_t n = protect_packet(*k.aead, *k.hp, 0, pn++, buf, kHeader, 9, 4, kPayload);
    benchmark::DoNotOptimize(n);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPayload));
}
BENCHMARK(BM_ProtectPacket1200)
    ->ArgName("suite")
    ->Arg(static_cast<int>(CipherSuite::kAes128Gcm))
    ->Arg(static_cast<int>(CipherSuite::kAes256Gcm))
    ->Arg(static_cast<int>(CipherSuite::kChacha20Poly1305));

}  // namespace
}  // namespace braid::crypto

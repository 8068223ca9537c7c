// Frame codec cost: STREAM and ACK frames encoded and decoded as the send and receive
// paths do per packet.
#include <benchmark/benchmark.h>

#include <vector>

#include "core/wire/frame_codec.h"

namespace braid::wire {
namespace {

void BM_StreamFrameHeaderEncode(benchmark::State& state) {
  std::vector<uint8_t> buf(1500);
  uint64_t offset = 123456789;
  for (auto _ : state) {
    Writer w(buf);
    encode_stream_frame_header(w, 4, offset, 1400, false, true);
    offset += 1400;
    benchmark::DoNotOptimize(w.size());
  }
}
BENCHMARK(BM_StreamFrameHeaderEncode);

void BM_StreamFrameDecode(benchmark::State& state) {
  std::vector<uint8_t> buf(1500);
  Writer w(buf);
  std::vector<uint8_t> data(1400, 0xab);
  encode_frame(w, StreamFrame{4, 123456789, data, false});
  size_t n = w.size();
  for (auto _ : state) {
    Reader r({buf.data(), n});
    auto f = decode_frame(r);
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(BM_StreamFrameDecode);

AckFrame make_ack(int ranges) {
  AckFrame a;
  uint64_t top = 1'000'000;
  for (int i = 0; i < ranges; ++i) {
    a.ranges.push_back({top - 20, top});
    top -= 25;
  }
  a.ack_delay = 100;
  return a;
}

void BM_AckEncode(benchmark::State& state) {
  auto ack = make_ack(static_cast<int>(state.range(0)));
  std::vector<uint8_t> buf(1500);
  for (auto _ : state) {
    Writer w(buf);
    encode_ack_frame(w, ack, 1000);
    benchmark::DoNotOptimize(w.size());
  }
}
BENCHMARK(BM_AckEncode)->Arg(1)->Arg(8)->Arg(32);

void BM_AckDecode(benchmark::State& state) {
  auto ack = make_ack(static_cast<int>(state.range(0)));
  std::vector<uint8_t> buf(1500);
  Writer w(buf);
  encode_ack_frame(w, ack, 1000);
  size_t n = w.size();
  for (auto _ : state) {
    Reader r({buf.data(), n});
    auto f = decode_frame(r);
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(BM_AckDecode)->Arg(1)->Arg(8)->Arg(32);

}  // namespace
}  // namespace braid::wire

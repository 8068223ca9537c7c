// ACK processing cost in recovery: a sender with a window of packets in flight processes
// an ACK covering the next batch (the steady state of a bulk transfer), and the receiver
// records packets and builds ACK frames.
#include <benchmark/benchmark.h>

#include "core/recovery/ack_tracker.h"
#include "core/recovery/loss_detector.h"

namespace braid::recovery {
namespace {

void BM_LossDetectorAckBatch(benchmark::State& state) {
  const uint64_t window = 1000;
  const uint64_t batch = static_cast<uint64_t>(state.range(0));
  LossDetector ld;
  RttEstimator rtt;
  TimePoint now = time_from_us(1'000'000);
  for (uint64_t i = 0; i < window; ++i) {
    SentPacket p;
    p.pn = ld.take_packet_number();
    p.time_sent = now;
    p.size = 1452;
    p.ack_eliciting = p.in_flight = true;
    ld.on_packet_sent(std::move(p));
  }
  uint64_t acked = 0;
  for (auto _ : state) {
    now += std::chrono::microseconds(100);
    wire::AckFrame ack;
    ack.ranges.push_back({0, acked + batch - 1});
    auto out = ld.on_ack_received(ack, Duration::zero(), now, rtt, true, std::chrono::milliseconds(25),
                                  std::chrono::milliseconds(100), kNever);
    benchmark::DoNotOptimize(out);
    acked += batch;
    for (uint64_t i = 0; i < batch; ++i) {  // keep the window full
      SentPacket p;
      p.pn = ld.take_packet_number();
      p.time_sent = now;
      p.size = 1452;
      p.ack_eliciting = p.in_flight = true;
      ld.on_packet_sent(std::move(p));
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
}
BENCHMARK(BM_LossDetectorAckBatch)->Arg(2)->Arg(10)->Arg(64);

void BM_AckTrackerReceiveAndBuild(benchmark::State& state) {
  AckTracker t;
  TimePoint now = time_from_us(0);
  uint64_t pn = 0;
  for (auto _ : state) {
    for (int i = 0; i < 10; ++i) t.on_packet_received(pn++, now, true, Ecn::kNotEct);
    auto ack = t.build_ack(now, 3);
    t.on_ack_sent();
    benchmark::DoNotOptimize(ack);
    now += std::chrono::microseconds(50);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 10));
}
BENCHMARK(BM_AckTrackerReceiveAndBuild);

}  // namespace
}  // namespace braid::recovery

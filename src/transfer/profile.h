// What a transfer does in each mode (after the reference's profiles): how many chunks are
// in flight on parallel streams, which congestion controller the sender's paths run,
// whether they pace, and the chunk size range the tuner moves in. Smaller chunks under loss
// (less to resend, less head-of-line wait per stream), larger ones when clean (fewer
// streams opened, less per-chunk overhead).
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "transfer/mode_detector.h"

namespace braid::transfer {

struct Profile {
  TransferMode mode = TransferMode::kHybrid;
  uint32_t streams = 16;                 // chunks in flight at once, each on its own stream
  std::string congestion_controller;     // the sender's controller on every path
  bool pacing = true;                    // braid paces every controller; kept for other backends
  uint64_t chunk_min = 64 << 10, chunk_max = 4 << 20, chunk_initial = 1 << 20;
};

// internet: 8 streams (the reference's 4–16), BBR, chunks 64 KiB–1 MiB from 256 KiB;
// hybrid: 16 streams, CUBIC, 256 KiB–4 MiB from 1 MiB; datacenter: 32 streams, CUBIC,
// 1–4 MiB from 4 MiB.
Profile profile_for(TransferMode mode);

// The chunk size within a profile's range, from the loss rate of the last interval:
// above 1% it halves, below 0.1% it doubles, in between it stays.
class ChunkTuner {
 public:
  explicit ChunkTuner(const Profile& p) { set_profile(p); }
  void set_profile(const Profile& p);
  // Packets sent and lost since the previous call; returns the new chunk size.
  uint64_t update(uint64_t packets_sent, uint64_t packets_lost);
  uint64_t chunk_size() const { return size_; }
  // A fixed size (--chunk): the tuner never moves it.
  void fix(uint64_t size) { fixed_ = size; size_ = size; }

 private:
  uint64_t min_ = 0, max_ = 0, size_ = 0;
  std::optional<uint64_t> fixed_;
};

}  // namespace braid::transfer

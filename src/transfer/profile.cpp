#include "transfer/profile.h"

#include <algorithm>

namespace braid::transfer {

Profile profile_for(TransferMode mode) {
  Profile p;
  p.mode = mode;
  switch (mode) {
    case TransferMode::kInternet:
      p.streams = 8;
      p.congestion_controller = "bbr";
      p.chunk_min = 64 << 10;
      p.chunk_max = 1 << 20;
      p.chunk_initial = 256 << 10;
      break;
    case TransferMode::kHybrid:
      p.streams = 16;
      p.congestion_controller = "cubic";
      p.chunk_min = 256 << 10;
      p.chunk_max = 4 << 20;
      p.chunk_initial = 1 << 20;
      break;
    case TransferMode::kDatacenter:
      p.streams = 32;
      p.congestion_controller = "cubic";
      p.chunk_min = 1 << 20;
      p.chunk_max = 4 << 20;
      p.chunk_initial = 4 << 20;
      break;
  }
  return p;
}

void ChunkTuner::set_profile(const Profile& p) {
  min_ = p.chunk_min;
  max_ = p.chunk_max;
  size_ = fixed_ ? *fixed_ : std::clamp(p.chunk_initial, min_, max_);
}

uint64_t ChunkTuner::update(uint64_t packets_sent, uint64_t packets_lost) {
  if (fixed_ || packets_sent == 0) return size_;
  double loss = static_cast<double>(packets_lost) / static_cast<double>(packets_sent);
  if (loss > 0.01) {
    size_ = std::max(min_, size_ / 2);
  } else if (loss < 0.001) {
    size_ = std::min(max_, size_ * 2);
  }
  return size_;
}

}  // namespace braid::transfer

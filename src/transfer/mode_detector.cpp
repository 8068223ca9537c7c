#include "transfer/mode_detector.h"

#include <algorithm>
#include <array>

namespace braid::transfer {

const char* to_string(TransferMode m) {
  switch (m) {
    case TransferMode::kDatacenter: return "datacenter";
    case TransferMode::kHybrid: return "hybrid";
    case TransferMode::kInternet: return "internet";
  }
  return "hybrid";
}

std::optional<TransferMode> parse_mode(const std::string& s) {
  for (auto m : {TransferMode::kDatacenter, TransferMode::kHybrid, TransferMode::kInternet}) {
    if (s == to_string(m)) return m;
  }
  return std::nullopt;
}

TransferMode classify(Duration rtt, double bandwidth_bits_per_second) {
  constexpr double kGigabit = 1e9;
  if (rtt > std::chrono::milliseconds(50) || bandwidth_bits_per_second < kGigabit) return TransferMode::kInternet;
  if (rtt < std::chrono::milliseconds(10) && bandwidth_bits_per_second > kGigabit) return TransferMode::kDatacenter;
  return TransferMode::kHybrid;
}

ModeDetector::ModeDetector(ModeDetectorConfig cfg) : cfg_(cfg), mode_(cfg.forced.value_or(cfg.initial)) {
  cfg_.check_interval = std::max<Duration>(cfg_.check_interval, std::chrono::milliseconds(100));
  cfg_.history = std::max<size_t>(cfg_.history, 1);
  cfg_.confidence = std::clamp(cfg_.confidence, 0.0, 1.0);
}

Duration ModeDetector::sample_interval() const {
  return std::max<Duration>(cfg_.check_interval / static_cast<int64_t>(cfg_.history), std::chrono::milliseconds(10));
}

std::optional<TransferMode> ModeDetector::sample(TimePoint now, Duration rtt, double bandwidth_bits_per_second) {
  if (started_ == kNever) {
    started_ = now;
    next_check_ = now + cfg_.check_interval;
  }
  next_sample_ = now + sample_interval();
  if (cfg_.forced) return std::nullopt;
  votes_.push_back(classify(rtt, bandwidth_bits_per_second));
  while (votes_.size() > cfg_.history) votes_.pop_front();
  if (now < next_check_) return std::nullopt;
  next_check_ = now + cfg_.check_interval;
  last_check_ = now;
  std::array<size_t, 3> count{};
  for (TransferMode v : votes_) ++count[static_cast<size_t>(v)];
  size_t lead = static_cast<size_t>(std::max_element(count.begin(), count.end()) - count.begin());
  confidence_ = static_cast<double>(count[lead]) / static_cast<double>(votes_.size());
  auto leading = static_cast<TransferMode>(lead);
  if (leading == mode_ || confidence_ < cfg_.confidence) return std::nullopt;
  mode_ = leading;
  ++switches_;
  return mode_;
}

}  // namespace braid::transfer

#include "core/endpoint/initial_source_filter.h"

namespace braid {

void InitialSourceFilter::roll(TimePoint now) {
  if (now - window_start_ < std::chrono::seconds(1)) return;
  window_start_ = now;
  failures_.clear();
  std::erase_if(blocked_, [&](const auto& kv) { return kv.second <= now; });
}

bool InitialSourceFilter::blocked(TimePoint now, const SocketAddress& source) {
  if (limits_.max_failures_per_second == 0 || blocked_.empty()) return false;
  auto it = blocked_.find(key_of(source));
  if (it == blocked_.end()) return false;
  if (it->second > now) return true;
  blocked_.erase(it);
  return false;
}

void InitialSourceFilter::on_failure(TimePoint now, const SocketAddress& source) {
  if (limits_.max_failures_per_second == 0) return;
  roll(now);
  Key k = key_of(source);
  auto it = failures_.find(k);
  if (it == failures_.end()) {
    if (failures_.size() >= limits_.max_sources) return;
    it = failures_.emplace(k, 0).first;
  }
  if (++it->second < limits_.max_failures_per_second) return;
  if (blocked_.size() < limits_.max_sources || blocked_.count(k)) blocked_[k] = now + limits_.penalty;
  failures_.erase(it);
}

}  // namespace braid

// The shared per-path values of coupled congestion control.
#include "braid/coupled_group.h"

namespace braid {

void CoupledGroup::publish(PathId id, const CoupledPathState& s) {
  auto& e = paths_[id];
  e.state = s;
  e.published = true;
  version_++;
}

void CoupledGroup::remove(PathId id) {
  if (paths_.erase(id) > 0) version_++;
}

void CoupledGroup::set_counted(PathId id, bool counted) {
  auto& e = paths_[id];
  if (e.counted == counted) return;
  e.counted = counted;
  version_++;
}

std::vector<CoupledGroup::Member> CoupledGroup::counted() const {
  std::vector<Member> out;
  out.reserve(paths_.size());
  for (const auto& [id, e] : paths_) {
    if (e.published && e.counted && e.state.has_rtt_sample && e.state.cwnd > 0 &&
        e.state.smoothed_rtt > Duration::zero()) {
      out.push_back({id, e.state});
    }
  }
  return out;
}

const CoupledPathState* CoupledGroup::find(PathId id) const {
  auto it = paths_.find(id);
  return it == paths_.end() || !it->second.published ? nullptr : &it->second.state;
}

}  // namespace braid

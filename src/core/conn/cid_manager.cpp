// CidManager: lookups of the peer's connection IDs per path.
#include "core/conn/cid_manager.h"

namespace braid::conn {

const RemoteCidSet* CidManager::find_remote(PathId path) const {
  auto it = remote_.find(path);
  return it == remote_.end() ? nullptr : &it->second;
}

bool CidManager::has_remote(PathId path) const {
  auto* s = find_remote(path);
  return s && !s->cids.empty();
}

}  // namespace braid::conn

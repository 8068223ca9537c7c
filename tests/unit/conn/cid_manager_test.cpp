// CidManager: the peer's CIDs per path ID, an empty set is not "having" one, and a
// forgotten path loses its CIDs.
#include "core/conn/cid_manager.h"

#include <gtest/gtest.h>

namespace braid::conn {
namespace {

TEST(CidManager, RemoteCidsPerPath) {
  KeyedCidHash h;
  h.key.fill(3);
  CidManager m(h);
  EXPECT_FALSE(m.has_remote(0));
  EXPECT_EQ(m.find_remote(0), nullptr);
  m.remote(1);   // created empty
  EXPECT_FALSE(m.has_remote(1));
  uint8_t b[4] = {1, 2, 3, 4};
  m.remote(1).cids[0] = RemoteCid{ConnectionId(std::span<const uint8_t>(b, 4)), {}, false, false};
  EXPECT_TRUE(m.has_remote(1));
  EXPECT_EQ(m.all_remote().size(), 1u);
  m.forget_remote(1);
  EXPECT_FALSE(m.has_remote(1));
  EXPECT_TRUE(m.all_remote().empty());
}

}  // namespace
}  // namespace braid::conn

// Connection::set_congestion_controller: switching controllers on a live connection.
#include <gtest/gtest.h>

#include "tests/support/multipath_pair.h"
#include "tests/support/transfer.h"

namespace braid::test {
namespace {

TEST(ConnectionCcSwitch, EveryPathAndLaterPathsGetTheNewController) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  ASSERT_TRUE(h.client().set_congestion_controller(h.now(), "bbr"));
  EXPECT_EQ(mp::path_stats(h.client(), 0)->congestion_controller, "bbr");
  auto p1 = mp::open_and_wait(h, mp::kLocal1);
  ASSERT_TRUE(p1);
  EXPECT_EQ(mp::path_stats(h.client(), *p1)->congestion_controller, "bbr");
  // One path only.
  ASSERT_TRUE(h.client().set_congestion_controller(h.now(), "reno", *p1));
  EXPECT_EQ(mp::path_stats(h.client(), 0)->congestion_controller, "bbr");
  EXPECT_EQ(mp::path_stats(h.client(), *p1)->congestion_controller, "reno");
  // Data still flows after a switch mid-transfer.
  auto r = run_transfer(h, true, {pattern_bytes(2'000'000, 1)});
  EXPECT_TRUE(r.ok) << r.failure;
}

TEST(ConnectionCcSwitch, UnknownNamesAndPathsAreErrorsListingTheKnownOnes) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  auto bad = h.client().set_congestion_controller(h.now(), "vegas");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().reason.find("cubic"), std::string::npos);
  EXPECT_FALSE(h.client().set_congestion_controller(h.now(), "cubic", 7));
  EXPECT_EQ(mp::path_stats(h.client(), 0)->congestion_controller, "cubic");
}

}  // namespace
}  // namespace braid::test

// Congestion-controller registry: built-ins, unknown names and user registrations.
#include <gtest/gtest.h>

#include <algorithm>

#include "braid/congestion_controller.h"
#include "core/cc/new_reno.h"

namespace braid {
namespace {

TEST(CcRegistry, BuiltIns) {
  auto names = congestion_controller_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "reno"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "cubic"), names.end());
  CcContext cfg;
  cfg.max_datagram_size = 1000;
  cfg.initial_window_packets = 4;
  auto reno = make_congestion_controller("reno", cfg);
  ASSERT_TRUE(reno);
  EXPECT_EQ(reno->name(), "reno");
  EXPECT_EQ(reno->window(), 4000u);
  auto cubic = make_congestion_controller("cubic", cfg);
  ASSERT_TRUE(cubic);
  EXPECT_EQ(cubic->name(), "cubic");
  EXPECT_EQ(cubic->window(), 4000u);
}

TEST(CcRegistry, UnknownIsNull) { EXPECT_EQ(make_congestion_controller("nope", CcContext{}), nullptr); }

TEST(CcRegistry, RegisterCustom) {
  register_congestion_controller("test-fixed", [](const CcContext& c) -> std::unique_ptr<CongestionController> {
    auto r = std::make_unique<cc::NewReno>(c);
    return r;
  });
  auto names = congestion_controller_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "test-fixed"), names.end());
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_NE(make_congestion_controller("test-fixed", CcContext{}), nullptr);
}

}  // namespace
}  // namespace braid

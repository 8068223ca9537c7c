// Mahimahi trace parsing: valid forms and clear errors for bad input.
#include "sim/trace.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace braid::sim {
namespace {

TEST(Trace, ParsesLinesAndPeriod) {
  auto t = Trace::parse("0\n1\n1\r\n  5\n\n10\n");
  ASSERT_TRUE(t.has_value()) << t.error();
  EXPECT_EQ(t->opportunities_ms(), (std::vector<uint32_t>{0, 1, 1, 5, 10}));
  EXPECT_EQ(t->period(), std::chrono::milliseconds{10});
  EXPECT_NEAR(t->mean_rate_bps(), 5 * 1500 * 8 / 0.010, 1e-6);
}

struct BadTrace {
  const char* name;
  const char* text;
  const char* error_fragment;
};

TEST(Trace, RejectsBadInputWithLineNumbers) {
  const BadTrace cases[] = {
      {"not a number", "1\n2\nabc\n", "t:3: expected a non-negative integer"},
      {"negative", "1\n-2\n", "t:2:"},
      {"fraction", "1\n2.5\n", "t:2:"},
      {"decreasing", "5\n3\n", "t:2: timestamp 3 is before the previous one (5)"},
      {"empty", "\n\n", "no delivery opportunities"},
      {"zero period", "0\n0\n", "no period"},
  };
  for (const auto& c : cases) {
    auto t = Trace::parse(c.text, "t");
    ASSERT_FALSE(t.has_value()) << c.name;
    EXPECT_NE(t.error().find(c.error_fragment), std::string::npos) << c.name << ": " << t.error();
  }
}

TEST(Trace, LoadReportsMissingFile) {
  auto t = Trace::load("/nonexistent/trace.down");
  ASSERT_FALSE(t.has_value());
  EXPECT_NE(t.error().find("/nonexistent/trace.down"), std::string::npos);
}

TEST(Trace, LoadsSharedCellularTraceWhenPresent) {
  auto dir = std::filesystem::path(__FILE__).parent_path() / "../../../../shared/traces";
  auto file = dir / "TMobile-LTE-short.up";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "no shared traces at " << dir;
  auto t = Trace::load(file.string());
  ASSERT_TRUE(t.has_value()) << t.error();
  EXPECT_GT(t->size(), 1000u);
  EXPECT_GT(t->mean_rate_bps(), 100e3);
}

}  // namespace
}  // namespace braid::sim

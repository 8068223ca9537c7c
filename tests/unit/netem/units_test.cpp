// Quantity parsers of the command line (tools/braid/units.cpp). The tools have no test
// binary of their own, so the parser's source is compiled into this one.
#include "../../../tools/braid/units.cpp"  // NOLINT(bugprone-suspicious-include)

#include <gtest/gtest.h>

namespace braid::tool {
namespace {

using namespace std::chrono_literals;

TEST(Units, Sizes) {
  struct Case {
    const char* text;
    uint64_t bytes;
  } cases[] = {{"1500", 1500},  {"256K", 256 * 1024}, {"256k", 256 * 1024}, {"1KiB", 1024}, {"1KB", 1000},
               {"10M", 10 << 20}, {"1G", 1 << 30},     {"1.5M", 1572864},    {"64B", 64},    {" 2 MB ", 2'000'000}};
  for (const auto& c : cases) {
    auto r = parse_size(c.text);
    ASSERT_TRUE(r.has_value()) << c.text << ": " << r.error();
    EXPECT_EQ(*r, c.bytes) << c.text;
  }
  for (const char* bad : {"", "K", "-5K", "10X", "1.2.3", "nan"}) {
    auto r = parse_size(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_FALSE(r.error().empty());
  }
}

TEST(Units, Rates) {
  struct Case {
    const char* text;
    uint64_t bps;
  } cases[] = {{"40M", 40'000'000},   {"40Mbit", 40'000'000}, {"40mbps", 40'000'000}, {"2.5G", 2'500'000'000},
               {"500K", 500'000},     {"1000", 1000},         {"1Gb/s", 1'000'000'000}, {"0", 0}};
  for (const auto& c : cases) {
    auto r = parse_rate(c.text);
    ASSERT_TRUE(r.has_value()) << c.text << ": " << r.error();
    EXPECT_EQ(*r, c.bps) << c.text;
  }
  for (const char* bad : {"fast", "10MB", "10Q", "-1M"}) EXPECT_FALSE(parse_rate(bad).has_value()) << bad;
}

TEST(Units, Durations) {
  struct Case {
    const char* text;
    Duration d;
  } cases[] = {{"500ms", 500ms}, {"2s", 2s}, {"1.5s", 1500ms}, {"250us", 250us}, {"10ns", 10ns}, {"1m", 60s}, {"1h", 3600s}};
  for (const auto& c : cases) {
    auto r = parse_duration(c.text);
    ASSERT_TRUE(r.has_value()) << c.text << ": " << r.error();
    EXPECT_EQ(*r, c.d) << c.text;
  }
  auto unitless = parse_duration("10");
  ASSERT_FALSE(unitless.has_value());
  EXPECT_NE(unitless.error().find("needs a unit"), std::string::npos);
  EXPECT_FALSE(parse_duration("5 parsecs").has_value());
}

TEST(Units, Fractions) {
  EXPECT_DOUBLE_EQ(*parse_fraction("0.01"), 0.01);
  EXPECT_DOUBLE_EQ(*parse_fraction("1%"), 0.01);
  EXPECT_DOUBLE_EQ(*parse_fraction("0"), 0.0);
  EXPECT_FALSE(parse_fraction("1.5").has_value());
  EXPECT_FALSE(parse_fraction("5x").has_value());
}

}  // namespace
}  // namespace braid::tool

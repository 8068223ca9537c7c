// JSON scalar encoding: escaping, UTF-8 repair, hex strings and nesting; every output must
// parse with nlohmann::json.
#include "core/qlog/json_out.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace braid::qlog {
namespace {

struct StringCase {
  const char* name;
  std::string input;
  std::string expected_decoded;
};

TEST(JsonOut, StringsRoundTripThroughAParser) {
  const StringCase cases[] = {
      {"plain", "hello", "hello"},
      {"quote_and_backslash", "a\"b\\c", "a\"b\\c"},
      {"control_chars", std::string("x\n\t\x01y", 5), std::string("x\n\t\x01y", 5)},
      {"valid_utf8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
      {"lone_continuation", "a\x80z", "a\xef\xbf\xbdz"},
      {"truncated_sequence", "a\xe2\x82", "a\xef\xbf\xbd\xef\xbf\xbd"},
      {"overlong", "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},
      {"surrogate", "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
      {"empty", "", ""},
  };
  for (const auto& c : cases) {
    std::string out;
    append_json_string(out, c.input);
    nlohmann::json parsed = nlohmann::json::parse(out);
    EXPECT_EQ(parsed.get<std::string>(), c.expected_decoded) << c.name;
  }
}

TEST(JsonOut, Utf8Validity) {
  const uint8_t good[] = {0x61, 0xc3, 0xa9};
  const uint8_t bad[] = {0x61, 0xff};
  EXPECT_TRUE(is_valid_utf8(good));
  EXPECT_FALSE(is_valid_utf8(bad));
  EXPECT_TRUE(is_valid_utf8({}));
}

TEST(JsonOut, NestedObjectsCloseInScopeOrder) {
  std::string out;
  {
    JsonObject o(out);
    o.num("a", 1).str("b", "x").boolean("c", true).real("d", 1.5);
    const uint8_t bytes[] = {0x00, 0xab, 0xff};
    o.hex("e", bytes);
    JsonObject inner(o.child("f"));
    inner.num("g", UINT64_MAX);
  }
  EXPECT_EQ(out, R"({"a":1,"b":"x","c":true,"d":1.5,"e":"00abff","f":{"g":18446744073709551615}})");
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["f"]["g"].get<uint64_t>(), UINT64_MAX);
}

TEST(JsonOut, SmallDoublesStayValidJson) {
  for (double v : {0.0, 0.001, 1e-7, 123456.789, 5.0}) {
    std::string out;
    append_number(out, v);
    EXPECT_DOUBLE_EQ(nlohmann::json::parse(out).get<double>(), v) << out;
  }
}

}  // namespace
}  // namespace braid::qlog

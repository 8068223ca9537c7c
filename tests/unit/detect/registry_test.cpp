// The failure detector registry: built-in names, creation from spec text with parameters,
// errors that list what is known, detectors added at run time; liveness names.
#include <gtest/gtest.h>

#include <algorithm>

#include "braid/failure_detector.h"

namespace braid {
namespace {

using namespace std::chrono_literals;

std::expected<std::unique_ptr<FailureDetector>, std::string> make(std::string_view text) {
  auto spec = parse_plugin_spec(text);
  if (!spec) return std::unexpected("parse: " + spec.error());
  return make_failure_detector(*spec);
}

bool has(const std::vector<std::string>& v, std::string_view name) {
  return std::find(v.begin(), v.end(), name) != v.end();
}

// srtt 200 ms: the fast detector's T_s is its max_suspect cap.
DetectorInput jittery_path_silent_for(Duration s) {
  DetectorInput in;
  in.has_rtt_sample = true;
  in.smoothed_rtt = in.min_rtt = 40ms;   // with an inflated rttvar: R = 185 ms, above both caps
  in.rtt_variance = 30ms;
  in.max_ack_delay = 25ms;
  in.oldest_owed_sent = TimePoint{} + 1s;
  in.owed_packets = 5;
  for (auto& t : in.owed_sent) t = TimePoint{} + 1s;
  in.now = in.oldest_owed_sent + s;
  return in;
}

TEST(DetectorRegistry, BuiltinsAreListedAndMadeByName) {
  auto names = failure_detector_names();
  ASSERT_GE(names.size(), 3u);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (std::string_view n : {"fast", "pf", "phi"}) {
    EXPECT_TRUE(has(names, n)) << n;
    auto d = make(n);
    ASSERT_TRUE(d) << d.error();
    EXPECT_EQ((*d)->name(), n);
  }
}

TEST(DetectorRegistry, UnknownNameListsTheKnownOnes) {
  auto d = make("nope");
  ASSERT_FALSE(d);
  // Detectors registered by other tests sort after these.
  EXPECT_EQ(d.error().rfind("unknown failure detector 'nope' (known: fast, pf, phi", 0), 0u) << d.error();
  EXPECT_EQ(d.error().back(), ')');
}

TEST(DetectorRegistry, UnknownKeysAndBadValuesAreRejected) {
  auto d = make("fast:max_suspekt=80ms");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), "fast: unknown parameter max_suspekt (known: down_after, k_min, max_suspect, min_suspect)");
  d = make("pf:srtt_factor=zero");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().find("srtt_factor=zero is not a number"), std::string::npos) << d.error();
  d = make("phi:suspect=9,down=8");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().find("down must exceed suspect"), std::string::npos) << d.error();
}

TEST(DetectorRegistry, ParametersReachTheDetector) {
  auto dflt = make("fast");
  auto capped = make("fast:max_suspect=80ms");
  ASSERT_TRUE(dflt && capped);
  EXPECT_EQ((*capped)->assess(jittery_path_silent_for(80ms)).liveness, Liveness::kLive);
  EXPECT_EQ((*capped)->assess(jittery_path_silent_for(80ms + 1ns)).liveness, Liveness::kSuspect);
  EXPECT_EQ((*capped)->assess(jittery_path_silent_for(10ms)).next_check, TimePoint{} + 1s + 80ms + 1ns);
  EXPECT_EQ((*dflt)->assess(jittery_path_silent_for(120ms)).liveness, Liveness::kLive);
  EXPECT_EQ((*dflt)->assess(jittery_path_silent_for(120ms + 1ns)).liveness, Liveness::kSuspect);

  auto pf = make("pf:min=1s");
  ASSERT_TRUE(pf);
  EXPECT_EQ((*pf)->assess(jittery_path_silent_for(1s)).liveness, Liveness::kLive);
  EXPECT_EQ((*pf)->assess(jittery_path_silent_for(1s + 1ns)).liveness, Liveness::kSuspect);
  auto phi = make("phi:suspect=3,down=6");
  ASSERT_TRUE(phi);
  EXPECT_EQ((*phi)->assess(jittery_path_silent_for(0ms)).liveness, Liveness::kLive);
}

TEST(DetectorRegistry, ApplicationsRegisterTheirOwn) {
  struct Never final : FailureDetector {
    std::string_view name() const override { return "zz_never"; }
    void on_progress(TimePoint, Duration) override {}
    DetectorVerdict assess(const DetectorInput&) const override { return {}; }
  };
  register_failure_detector("zz_never", [](const PluginParams& params)
                                            -> std::expected<std::unique_ptr<FailureDetector>, std::string> {
    ParamReader r("zz_never", params);
    if (auto ok = r.finish(); !ok) return std::unexpected(ok.error());
    return std::make_unique<Never>();
  });
  EXPECT_TRUE(has(failure_detector_names(), "zz_never"));
  auto d = make("zz_never");
  ASSERT_TRUE(d) << d.error();
  EXPECT_EQ((*d)->assess(jittery_path_silent_for(1h)).liveness, Liveness::kLive);
  EXPECT_FALSE(make("zz_never:x=1"));
  auto unknown = make("nope");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error(), "unknown failure detector 'nope' (known: fast, pf, phi, zz_never)");

  // A factory that makes nothing is an error, not a null detector.
  register_failure_detector("zz_never", [](const PluginParams&)
                                            -> std::expected<std::unique_ptr<FailureDetector>, std::string> {
    return std::unique_ptr<FailureDetector>();
  });
  d = make("zz_never");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), "failure detector 'zz_never' could not be created");
}

TEST(DetectorRegistry, LivenessNames) {
  EXPECT_EQ(liveness_name(Liveness::kLive), "live");
  EXPECT_EQ(liveness_name(Liveness::kSuspect), "suspect");
  EXPECT_EQ(liveness_name(Liveness::kDown), "down");
}

}  // namespace
}  // namespace braid

// Reinjection policy (values in, target out): age and count limits, queue limit, back-off,
// preferred targets, the user hook; and the text forms of both redundancy policies.
#include "core/conn/reinjection.h"

#include <gtest/gtest.h>

namespace braid::conn {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = time_from_us(10'000'000);

std::vector<ReinjectionTarget> targets() {
  return {ReinjectionTarget{0, 20ms, true, 0, {}, false}, ReinjectionTarget{1, 50ms, true, 0, {}, false},
          ReinjectionTarget{2, 30ms, true, 0, {}, false}};
}

TEST(Reinjection, AgeAndCountLimits) {
  ReinjectionConfig c;
  c.delay = 10ms;
  c.max_per_frame = 2;
  EXPECT_FALSE(may_reinject(c, t0 - 5ms, 0, t0));   // too young
  EXPECT_TRUE(may_reinject(c, t0 - 10ms, 0, t0));
  EXPECT_TRUE(may_reinject(c, t0 - 10ms, 1, t0));
  EXPECT_FALSE(may_reinject(c, t0 - 10ms, 2, t0));  // reinjected twice already
  c.enabled = false;
  EXPECT_FALSE(may_reinject(c, t0 - 1s, 0, t0));
}

TEST(Reinjection, LowestRttTargetOtherThanTheSource) {
  ReinjectionConfig c;
  ReinjectionContext ctx;
  ctx.from = 0;
  auto t = targets();
  EXPECT_EQ(pick_reinjection_target(c, ctx, t, t0), 2u);   // 0 is the source
  t[2].eligible = false;
  EXPECT_EQ(pick_reinjection_target(c, ctx, t, t0), 1u);
  t[1].eligible = false;
  EXPECT_FALSE(pick_reinjection_target(c, ctx, t, t0));
}

TEST(Reinjection, QueueLimitAndBackOff) {
  ReinjectionConfig c;
  c.queue_limit = 10;
  c.min_interval = 100ms;
  ReinjectionContext ctx;
  ctx.from = 0;
  auto t = targets();
  t[2].queued = 10;                       // full
  EXPECT_EQ(pick_reinjection_target(c, ctx, t, t0), 1u);
  t[1].has_batch = true;
  t[1].last_batch = t0 - 50ms;            // took a batch 50 ms ago: backing off
  EXPECT_FALSE(pick_reinjection_target(c, ctx, t, t0));
  EXPECT_EQ(pick_reinjection_target(c, ctx, t, t0 + 50ms), 1u);
}

TEST(Reinjection, PreferredTargetsThenHook) {
  ReinjectionConfig c;
  c.preferred = {1};
  ReinjectionContext ctx;
  ctx.from = 0;
  auto t = targets();
  EXPECT_EQ(pick_reinjection_target(c, ctx, t, t0), 1u);
  int calls = 0;
  c.select_target = [&](const ReinjectionContext& x) -> std::optional<PathId> {
    calls++;
    EXPECT_EQ(x.from, 0u);
    return x.offset == 0 ? std::optional<PathId>(2) : std::nullopt;
  };
  EXPECT_EQ(pick_reinjection_target(c, ctx, t, t0), 2u);
  ctx.offset = 5;
  EXPECT_FALSE(pick_reinjection_target(c, ctx, t, t0));   // the hook said none
  c.select_target = [](const ReinjectionContext&) -> std::optional<PathId> { return 0; };   // the source
  EXPECT_FALSE(pick_reinjection_target(c, ctx, t, t0));
  EXPECT_EQ(calls, 2);
}

TEST(RedundancyPolicies, TextForms) {
  auto d = parse_duplication_policy("datagrams,first=4096,copies=2");
  ASSERT_TRUE(d) << d.error();
  EXPECT_TRUE(d->datagrams);
  EXPECT_FALSE(d->always);
  EXPECT_EQ(d->first_bytes, 4096u);
  EXPECT_EQ(d->copies, 2u);
  EXPECT_TRUE(parse_duplication_policy("always")->always);
  EXPECT_TRUE(parse_duplication_policy("suspect")->while_potentially_failed);
  EXPECT_FALSE(parse_duplication_policy("off")->any());
  auto bad = parse_duplication_policy("sometimes");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("unknown parameter sometimes"), std::string::npos) << bad.error();
  EXPECT_FALSE(parse_duplication_policy("copies=0"));

  auto r = parse_reinjection_policy("delay=5ms,max=3,queue=100,interval=20ms,prefer=2+1");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->delay, 5ms);
  EXPECT_EQ(r->max_per_frame, 3u);
  EXPECT_EQ(r->queue_limit, 100u);
  EXPECT_EQ(r->min_interval, 20ms);
  EXPECT_EQ(r->preferred, (std::vector<PathId>{2, 1}));
  EXPECT_FALSE(parse_reinjection_policy("off")->enabled);
  EXPECT_TRUE(parse_reinjection_policy("on")->enabled);
  EXPECT_FALSE(parse_reinjection_policy("prefer=x"));
  EXPECT_FALSE(parse_reinjection_policy("max=0"));
}

}  // namespace
}  // namespace braid::conn

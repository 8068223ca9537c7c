// Whole connections in virtual time: handshake, transfer, and the basics every later test
// builds on.
#include <gtest/gtest.h>

#include "tests/support/pair_harness.h"

namespace braid {
namespace {

using test::PairHarness;

TEST(ConnectionHandshake, CompletesAndConfirms) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  EXPECT_EQ(h.client().alpn(), "hq-interop");
  EXPECT_EQ(h.server_conn()->alpn(), "hq-interop");
  EXPECT_FALSE(h.client().is_draining());
}

TEST(ConnectionHandshake, StreamEcho) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  auto sid = h.client().open_stream(true);
  ASSERT_TRUE(sid.has_value());
  std::string msg = "hello braid";
  auto w = h.client().stream_write(*sid, {reinterpret_cast<const uint8_t*>(msg.data()), msg.size()}, true);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(*w, msg.size());
  std::string got;
  bool fin = false;
  ASSERT_TRUE(h.run_until([&] {
    auto* s = h.server_conn();
    uint8_t buf[100];
    auto r = s->stream_read(*sid, buf, fin);
    if (r && *r) got.append(reinterpret_cast<char*>(buf), *r);
    return fin;
  }));
  EXPECT_EQ(got, msg);
}

}  // namespace
}  // namespace braid

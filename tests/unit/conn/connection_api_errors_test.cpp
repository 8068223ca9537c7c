// The application API's refusals (ApiError codes, not TransportErrors) and open_path
// requests queued until the handshake, the peer's path ID limit and its connection IDs
// allow them.
#include <gtest/gtest.h>

#include "tests/support/multipath_pair.h"

namespace braid {
namespace {

using namespace std::chrono_literals;
using test::PairHarness;
using namespace test::mp;

// kPathEvents of the paths the tests open (not of the handshake's path 0).
std::vector<ConnectionEvent> path_events(Connection& c) {
  std::vector<ConnectionEvent> out;
  while (auto ev = c.poll_event()) {
    if (ev->type == ConnectionEventType::kPathEvent && ev->path_id != 0) out.push_back(*ev);
  }
  return out;
}

TEST(ApiErrors, StreamCallsSayWhatIsWrong) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  auto& c = h.client();
  bool fin = false;
  std::vector<uint8_t> buf(16);
  // Never opened: not found. Our own unidirectional stream has no receive side: invalid.
  EXPECT_EQ(c.stream_write(4000, buf, false).error().code, ApiErrorCode::kNotFound);
  auto uni = c.open_stream(false);
  ASSERT_TRUE(uni.has_value());
  EXPECT_EQ(c.stream_read(*uni, buf, fin).error().code, ApiErrorCode::kInvalid);
  EXPECT_EQ(c.stream_stop_sending(*uni, 1).error().code, ApiErrorCode::kInvalid);
  ASSERT_TRUE(c.stream_write(*uni, buf, true).has_value());
  EXPECT_EQ(c.stream_write(*uni, buf, false).error().code, ApiErrorCode::kClosed);   // after FIN
  EXPECT_EQ(c.set_stream_path(*uni, PathId{7}).error().code, ApiErrorCode::kNotFound);
  EXPECT_EQ(c.set_congestion_controller(h.now(), "warp").error().code, ApiErrorCode::kInvalid);
  EXPECT_NE(c.set_congestion_controller(h.now(), "warp").error().reason.find("cubic"), std::string::npos)
      << "an unknown name lists the known ones";
  EXPECT_EQ(c.send_datagram(std::vector<uint8_t>(70000)).error().code, ApiErrorCode::kInvalid);
  EXPECT_EQ(c.close_path(h.now(), 9).error().code, ApiErrorCode::kNotFound);
  EXPECT_EQ(h.server_conn()->open_path(h.now(), kServer, kLocal1).error().code, ApiErrorCode::kUnsupported);
  c.close(h.now(), 0, "done");
  EXPECT_EQ(c.open_stream(true).error().code, ApiErrorCode::kClosed);
  EXPECT_EQ(c.open_path(h.now(), kLocal1, kServer).error().code, ApiErrorCode::kClosed);
}

TEST(ApiErrors, DatagramsTheServerDoesNotTakeAreUnsupported) {
  auto o = PairHarness::default_options();
  o.server.max_datagram_frame_size = 0;
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  std::vector<uint8_t> d(10);
  EXPECT_EQ(h.client().send_datagram(d).error().code, ApiErrorCode::kUnsupported);
}

// Called before the handshake: the request gets its path ID at once and the path starts by
// itself once the handshake is confirmed and the server's connection IDs for it arrived.
TEST(OpenPathQueue, RequestBeforeTheHandshakeStartsByItself) {
  PairHarness h(PairHarness::default_options());
  auto id = h.client().open_path(h.now(), kLocal1, kServer);
  ASSERT_TRUE(id.has_value()) << id.error().reason;
  EXPECT_EQ(*id, 1u);
  EXPECT_FALSE(path_stats(h.client(), *id).has_value()) << "nothing on the wire before it can start";
  auto second = h.client().open_path(h.now(), kLocal2, kServer);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(*second, 2u) << "queued requests hold their path IDs";
  EXPECT_EQ(h.client().open_path(h.now(), kLocal1, kServer).error().code, ApiErrorCode::kInvalid)
      << "the same tuple twice";
  ASSERT_TRUE(h.handshake());
  ASSERT_TRUE(h.run_until([&] {
    auto a = path_stats(*h.server_conn(), 1), b = path_stats(*h.server_conn(), 2);
    return a && b && a->state == PathState::kActive && b->state == PathState::kActive;
  }, 5s));
  EXPECT_EQ(h.client().stats().paths.size(), 3u);
}

// A backup mark and a close on a request that has not started yet apply to the request.
TEST(OpenPathQueue, StatusAndCloseApplyToQueuedRequests) {
  PairHarness h(PairHarness::default_options());
  auto backup = h.client().open_path(h.now(), kLocal1, kServer);
  auto dropped = h.client().open_path(h.now(), kLocal2, kServer);
  ASSERT_TRUE(backup && dropped);
  ASSERT_TRUE(h.client().set_path_status(h.now(), *backup, true).has_value());
  ASSERT_TRUE(h.client().close_path(h.now(), *dropped).has_value());
  ASSERT_TRUE(h.handshake());
  ASSERT_TRUE(h.run_until([&] {
    auto s = path_stats(*h.server_conn(), *backup);
    return s && s->state == PathState::kStandby;
  }, 5s)) << "client " << (path_stats(h.client(), *backup) ? path_state_name(path_stats(h.client(), *backup)->state) : "-")
          << ", server " << (path_stats(*h.server_conn(), *backup) ? path_state_name(path_stats(*h.server_conn(), *backup)->state) : "-");
  h.run_for(500ms);
  EXPECT_FALSE(path_stats(h.client(), *dropped).has_value());
  EXPECT_FALSE(path_stats(*h.server_conn(), *dropped).has_value());
}

// A server without multipath: the queued request is dropped with one event that says why.
TEST(OpenPathQueue, DroppedWithAnEventWhenThePeerHasNoMultipath) {
  auto o = PairHarness::default_options();
  o.server.initial_max_path_id = 0;
  PairHarness h(o);
  auto id = h.client().open_path(h.now(), kLocal1, kServer);
  ASSERT_TRUE(id.has_value());
  std::vector<ConnectionEvent> events;
  ASSERT_TRUE(h.run_until([&] {
    for (auto& e : path_events(h.client())) events.push_back(e);
    return h.client().is_handshake_complete() && !events.empty();
  }, 5s));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].path_id, *id);
  EXPECT_EQ(events[0].path_change, PathChange::kNotOpened);
  EXPECT_EQ(events[0].path_state, PathState::kClosed);
  EXPECT_NE(events[0].detail.find("multipath"), std::string::npos) << events[0].detail;
  // Known now: refused at once.
  EXPECT_EQ(h.client().open_path(h.now(), kLocal2, kServer).error().code, ApiErrorCode::kUnsupported);
}

// The server allows two paths (IDs 0 and 1): the request for ID 2 waits for MAX_PATH_ID,
// which the server sends when path 1 is abandoned, and then starts.
TEST(OpenPathQueue, WaitsForThePeersPathIdLimit) {
  auto o = PairHarness::default_options();
  o.server.initial_max_path_id = 1;
  PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  auto first = open_and_wait(h, kLocal1);
  ASSERT_TRUE(first.has_value());
  auto waiting = h.client().open_path(h.now(), kLocal2, kServer);
  ASSERT_TRUE(waiting.has_value());
  h.run_for(1s);
  EXPECT_FALSE(path_stats(h.client(), *waiting).has_value()) << "beyond the server's limit";
  ASSERT_TRUE(h.client().close_path(h.now(), *first).has_value());
  ASSERT_TRUE(h.run_until([&] {
    auto s = path_stats(*h.server_conn(), *waiting);
    return s && s->state == PathState::kActive;
  }, 5s));
}

// Events carry enums: the states a new path goes through, in order.
TEST(OpenPathQueue, PathEventsCarryTheState) {
  PairHarness h(PairHarness::default_options());
  ASSERT_TRUE(h.handshake());
  (void)path_events(h.client());
  auto id = h.client().open_path(h.now(), kLocal1, kServer);
  ASSERT_TRUE(id.has_value());
  std::vector<PathState> seen;
  ASSERT_TRUE(h.run_until([&] {
    for (auto& e : path_events(h.client())) {
      if (e.path_id == *id && e.path_change == PathChange::kState) seen.push_back(e.path_state);
    }
    return !seen.empty() && seen.back() == PathState::kActive;
  }, 5s));
  EXPECT_EQ(seen, (std::vector<PathState>{PathState::kCreated, PathState::kValidating, PathState::kValidated,
                                          PathState::kActive}));
}

}  // namespace
}  // namespace braid

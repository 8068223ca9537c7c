// Multipath helpers over PairHarness shared by the connection tests: the addresses of the
// two-path setup, a path's stats by ID, opening a path and waiting until both sides use it,
// and the usual two 20 Mbit/s paths (10 and 20 ms one way) with a server stream.
#pragma once
#include <optional>

#include "tests/support/pair_harness.h"

namespace braid::test::mp {

inline const SocketAddress kServer = *SocketAddress::parse("10.0.0.2:443");
inline const SocketAddress kLocal0 = *SocketAddress::parse("10.0.0.1:5000");
inline const SocketAddress kLocal1 = *SocketAddress::parse("10.0.1.1:5001");
inline const SocketAddress kLocal2 = *SocketAddress::parse("10.0.2.1:5002");

inline std::optional<PathStats> path_stats(Connection& c, PathId id) {
  for (auto& p : c.stats().paths) {
    if (p.path_id == id) return p;
  }
  return std::nullopt;
}

// Opens a path from `local` and waits until both sides call it active (or standby).
inline std::optional<PathId> open_and_wait(PairHarness& h, const SocketAddress& local) {
  auto id = h.client().open_path(h.now(), local, kServer);
  EXPECT_TRUE(id.has_value()) << (id ? "" : id.error().reason);
  if (!id) return std::nullopt;
  bool ok = h.run_until([&] {
    auto c = path_stats(h.client(), *id);
    auto s = path_stats(*h.server_conn(), *id);
    auto in_use = [](const PathStats& p) { return p.state == PathState::kActive || p.state == PathState::kStandby; };
    return c && s && in_use(*c) && in_use(*s);
  }, std::chrono::seconds(5));
  EXPECT_TRUE(ok);
  if (!ok) return std::nullopt;
  return *id;
}

// Two 20 Mbit/s paths (10 and 20 ms one way), path 1 open and active, and a server stream.
inline void two_paths_and_a_stream(PairHarness& h, StreamId& sid) {
  h.set_path_link(kLocal0, LinkParams{std::chrono::milliseconds(10), 0, 0, {}, 20'000'000, false, 0, 64});
  h.set_path_link(kLocal1, LinkParams{std::chrono::milliseconds(20), 0, 0, {}, 20'000'000, false, 0, 64});
  ASSERT_TRUE(h.handshake());
  ASSERT_TRUE(open_and_wait(h, kLocal1).has_value());
  auto id = h.server_conn()->open_stream(false);
  ASSERT_TRUE(id.has_value());
  sid = *id;
}

}  // namespace braid::test::mp

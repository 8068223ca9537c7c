// Redundancy end to end in the simulator: a PTO on a blackholed path reinjects its data onto
// the healthy path (and turning reinjection off falls back to ordinary loss recovery), the
// redundant scheduler sends copies, and duplicated DATAGRAMs arrive once each.
#include <gtest/gtest.h>

#include "sim/scenario_loader.h"
#include "sim/simulation.h"

namespace braid::sim {
namespace {

Scenario load(const char* name) {
  auto s = load_scenario(std::string(BRAID_SCENARIOS_DIR) + "/" + name, {BRAID_TRACES_DIR});
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  return *s;
}

TEST(Redundancy, BlackholedPathIsReinjectedOntoTheHealthyOne) {
  Scenario s = load("blackhole_midtransfer.toml");
  SimulationResult on = Simulation(s).run();
  ASSERT_EQ(on.clients.size(), 1u);
  EXPECT_TRUE(on.clients[0].completed);
  EXPECT_GT(on.clients[0].server_totals.reinjected_bytes_sent, 10'000u);
  // Explicit targets: copies queued on the named path, read from the stored bytes.
  s.transport.reinject = "prefer=1";
  SimulationResult copies = Simulation(s).run();
  EXPECT_TRUE(copies.clients[0].completed);
  EXPECT_GT(copies.clients[0].server_totals.reinjected_bytes_sent, 10'000u);
  s.transport.reinject = "off";
  SimulationResult off = Simulation(s).run();
  EXPECT_TRUE(off.clients[0].completed);
  EXPECT_EQ(off.clients[0].server_totals.reinjected_bytes_sent, 0u);
}

TEST(Redundancy, RedundantSchedulerSendsCopiesAndTheReceiverKeepsOne) {
  Scenario s = load("blackhole_redundant.toml");
  SimulationResult r = Simulation(s).run();
  ASSERT_TRUE(r.clients[0].completed);
  EXPECT_GT(r.clients[0].server_totals.duplicate_bytes_sent, 100'000u);
  EXPECT_GT(r.clients[0].client_totals.duplicate_bytes_received, 0u);
  EXPECT_LT(r.clients[0].longest_stall_s, 0.160);
}

TEST(Redundancy, DuplicatedDatagramsArriveOnceEach) {
  Scenario s = load("datagram_duplicated.toml");
  SimulationResult r = Simulation(s).run();
  const auto& c = r.clients[0];
  EXPECT_GE(c.messages_delivered, c.messages_sent * 985 / 1000);
  EXPECT_LE(c.messages_delivered, c.messages_sent);
  EXPECT_EQ(c.messages_corrupt, 0u);
  uint64_t dropped = 0;   // DATAGRAM copies seen and dropped, per path
  for (const auto& p : c.paths) dropped += p.client.duplicate_bytes_received;
  EXPECT_GT(dropped, 100'000u);
  s.transport.duplicate = "off";
  SimulationResult plain = Simulation(s).run();
  EXPECT_LT(plain.clients[0].messages_delivered, c.messages_delivered - 50);
}

}  // namespace
}  // namespace braid::sim

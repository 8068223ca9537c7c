// The live display's path lines: what they say about a path, whichever side sends, and
// that they never wrap (a wrapped line shifted the display and garbled the bar).
#include <gtest/gtest.h>

#include "tools/braid/progress.h"

namespace braid::tool {
namespace {

PathStats sample_path() {
  PathStats p;
  p.path_id = 1;
  p.tuple.local = *SocketAddress::parse("127.0.0.3:40000");
  p.tuple.remote = *SocketAddress::parse("127.0.0.1:4433");
  p.state = PathState::kActive;
  p.smoothed_rtt = std::chrono::microseconds(41'250);
  p.min_rtt = std::chrono::microseconds(40'100);
  p.packets_received = 990;
  p.packets_missing = 10;
  p.packets_sent = 200;
  p.packets_lost = 0;
  p.congestion_window = 16'500;
  return p;
}

TEST(PathSummary, ShowsRatesRttAndLossBothWays) {
  auto s = path_summary(sample_path(), 38.2e6, 0.1e6, true);
  EXPECT_NE(s.find("path 1 127.0.0.3:40000 -> 127.0.0.1:4433 active"), std::string::npos) << s;
  EXPECT_NE(s.find("rx   38.2 Mbit/s"), std::string::npos) << s;
  EXPECT_NE(s.find("tx    0.1 Mbit/s"), std::string::npos) << s;
  EXPECT_NE(s.find("rtt 41.2 ms"), std::string::npos) << s;
  EXPECT_NE(s.find("loss rx 1.0% tx 0.0%"), std::string::npos) << s;
  // The client's own congestion window says nothing about a download: not shown.
  EXPECT_EQ(s.find("cwnd"), std::string::npos) << s;
}

TEST(PathSummary, NoRttSampleYetIsADash) {
  auto p = sample_path();
  p.smoothed_rtt = std::chrono::milliseconds(333);   // the initial estimate, not a sample
  p.min_rtt = Duration::zero();
  p.packets_sent = 0;
  auto s = path_summary(p, 0, 0, false);
  EXPECT_NE(s.find("rtt -"), std::string::npos) << s;
  EXPECT_NE(s.find("tx -"), std::string::npos) << s;
  EXPECT_EQ(s.find("Mbit/s ms"), std::string::npos) << s;
}

TEST(PathSummary, BackupIsMarked) {
  auto p = sample_path();
  p.backup = true;
  EXPECT_NE(path_summary(p, 0, 0, false).find("(backup)"), std::string::npos);
}

TEST(FitToWidth, CutsBelowTheTerminalEdge) {
  EXPECT_EQ(fit_to_width(std::string(200, 'x'), 80).size(), 79u);
  EXPECT_EQ(fit_to_width("short", 80), "short");
}

}  // namespace
}  // namespace braid::tool

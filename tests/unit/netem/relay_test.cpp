// The relay on real loopback sockets (ephemeral ports only): delay, rate, runtime control
// and the NAT-like per-client upstream sockets.
#include "netem/relay.h"

#include <poll.h>
#include <sys/socket.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include "netem/udp_socket.h"

namespace braid::netem {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const SocketAddress kLoopback = SocketAddress::v4(127, 0, 0, 1, 0);

Fd udp() {
  auto fd = open_bound_udp(kLoopback);
  EXPECT_TRUE(fd.has_value());
  return std::move(*fd);
}

void send_to(int fd, const SocketAddress& to, std::string_view data) {
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(to, ss);
  ASSERT_GE(::sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&ss), len), 0) << std::strerror(errno);
}

// One datagram or nullopt after `timeout`.
std::optional<std::string> receive(int fd, std::chrono::milliseconds timeout, SocketAddress* from = nullptr) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
  char buf[65536];
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&ss), &len);
  if (n < 0) return std::nullopt;
  if (from) *from = from_sockaddr(ss);
  return std::string(buf, static_cast<size_t>(n));
}

// Echoes every datagram back and remembers where they came from.
class EchoTarget {
 public:
  EchoTarget() : fd_(udp()), address_(local_address(fd_.get())), thread_([this] { loop(); }) {}
  ~EchoTarget() {
    stop_ = true;
    thread_.join();
  }
  SocketAddress address() const { return address_; }
  std::set<SocketAddress> sources() {
    std::lock_guard lock(mu_);
    return sources_;
  }

 private:
  void loop() {
    while (!stop_) {
      SocketAddress from;
      auto d = receive(fd_.get(), 20ms, &from);
      if (!d) continue;
      {
        std::lock_guard lock(mu_);
        sources_.insert(from);
      }
      send_to(fd_.get(), from, *d);
    }
  }
  Fd fd_;
  SocketAddress address_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::set<SocketAddress> sources_;
  std::thread thread_;
};

// Counts arrival times and sizes of everything it receives.
class SinkTarget {
 public:
  SinkTarget() : fd_(udp()), address_(local_address(fd_.get())), thread_([this] { loop(); }) {}
  ~SinkTarget() {
    stop_ = true;
    thread_.join();
  }
  SocketAddress address() const { return address_; }
  std::vector<std::pair<Clock::time_point, size_t>> arrivals() {
    std::lock_guard lock(mu_);
    return arrivals_;
  }

 private:
  void loop() {
    while (!stop_) {
      auto d = receive(fd_.get(), 20ms);
      if (!d) continue;
      std::lock_guard lock(mu_);
      arrivals_.emplace_back(Clock::now(), d->size());
    }
  }
  Fd fd_;
  SocketAddress address_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::pair<Clock::time_point, size_t>> arrivals_;
  std::thread thread_;
};

// Runs a relay on its own thread for the life of the object (bounded by a 20 s duration).
class RunningRelay {
 public:
  explicit RunningRelay(RelayConfig cfg) {
    cfg.duration = 20s;
    cfg.output = [this](std::string_view text) {
      std::lock_guard lock(mu_);
      output_ += text;
    };
    auto r = Relay::create(std::move(cfg));
    if (!r) {
      ADD_FAILURE() << r.error();
      return;
    }
    relay_ = std::move(*r);
    thread_ = std::thread([this] { EXPECT_TRUE(relay_->run().has_value()); });
  }
  ~RunningRelay() {
    if (!relay_) return;
    relay_->stop();
    thread_.join();
  }
  Relay& operator*() { return *relay_; }
  Relay* operator->() { return relay_.get(); }

 private:
  std::mutex mu_;
  std::string output_;
  std::unique_ptr<Relay> relay_;
  std::thread thread_;
};

PathConfig path_to(const SocketAddress& target) {
  PathConfig p;
  p.listen = kLoopback;
  p.target = target;
  return p;
}

TEST(Relay, CreateRejectsBadConfig) {
  EXPECT_FALSE(Relay::create({}).has_value());
  RelayConfig cfg;
  cfg.paths.push_back(path_to(SocketAddress{}));
  auto r = Relay::create(cfg);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("path 0"), std::string::npos);
  cfg.paths[0] = path_to(SocketAddress::v4(127, 0, 0, 1, 9));
  cfg.control = "not-an-address";
  EXPECT_FALSE(Relay::create(cfg).has_value());
}

TEST(Relay, DelayGivesRoundTripOfTwiceTheOneWayDelay) {
  EchoTarget echo;
  RelayConfig cfg;
  cfg.paths.push_back(path_to(echo.address()));
  cfg.paths[0].uplink.delay = cfg.paths[0].downlink.delay = 20ms;
  RunningRelay relay(cfg);
  Fd client = udp();
  std::vector<double> rtts_ms;
  for (int i = 0; i < 15; ++i) {
    auto start = Clock::now();
    send_to(client.get(), relay->listen_address(0), fmt::format("ping {}", i));
    auto reply = receive(client.get(), 500ms);
    ASSERT_TRUE(reply.has_value()) << i;
    EXPECT_EQ(*reply, fmt::format("ping {}", i));
    rtts_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(rtts_ms.begin(), rtts_ms.end());
  fmt::print("RTT through 2 x 20 ms: min {:.2f} median {:.2f} max {:.2f} ms\n", rtts_ms.front(),
             rtts_ms[rtts_ms.size() / 2], rtts_ms.back());
  // Never shorter than the configured delay; the best case shows the relay adds nothing of its
  // own. The median only has to stay in range: on a busy machine (sanitizer builds running in
  // parallel) the scheduler adds milliseconds to a typical round trip that are not the relay's.
  EXPECT_GE(rtts_ms.front(), 40.0);
  EXPECT_LT(rtts_ms.front(), 43.0);
  EXPECT_LT(rtts_ms[rtts_ms.size() / 2], 55.0);
}

TEST(Relay, RateLimitsThroughput) {
  SinkTarget sink;
  RelayConfig cfg;
  cfg.paths.push_back(path_to(sink.address()));
  cfg.paths[0].uplink.rate_bps = 20'000'000;
  cfg.paths[0].uplink.queue_bytes = 150'000;
  RunningRelay relay(cfg);
  Fd client = udp();
  std::string payload(1200, 'x');
  // Offer ~28.8 Mbit/s (3 datagrams per millisecond) for 2.5 s.
  auto start = Clock::now();
  for (int ms = 0; ms < 2500; ++ms) {
    std::this_thread::sleep_until(start + std::chrono::milliseconds{ms});
    for (int k = 0; k < 3; ++k) send_to(client.get(), relay->listen_address(0), payload);
  }
  std::this_thread::sleep_for(150ms + 60ms);  // the queue drains (150 KB at 20 Mbit/s = 60 ms)
  auto arrivals = sink.arrivals();
  ASSERT_GT(arrivals.size(), 1000u);
  uint64_t bytes = 0;
  for (size_t i = 1; i < arrivals.size(); ++i) bytes += arrivals[i].second;
  double seconds = std::chrono::duration<double>(arrivals.back().first - arrivals.front().first).count();
  double rate = bytes * 8 / seconds;
  fmt::print("20 Mbit/s link delivered {:.3f} Mbit/s over {:.2f} s\n", rate / 1e6, seconds);
  EXPECT_NEAR(rate, 20e6, 20e6 * 0.05) << "measured " << rate / 1e6 << " Mbit/s";
  EXPECT_GT(relay->counters(0).uplink.dropped_queue, 0u);
}

std::expected<ControlCommand, std::string> test_parser(std::string_view line) {
  ControlCommand c;
  if (line == "down 0") c.kind = ControlCommand::Kind::kDown;
  else if (line == "up 0") c.kind = ControlCommand::Kind::kUp;
  else if (line == "stats") return c;
  else return std::unexpected("unknown");
  c.path = 0;
  return c;
}

std::string control(int fd, const SocketAddress& to, std::string_view line) {
  send_to(fd, to, line);
  return receive(fd, 1000ms).value_or("(no reply)");
}

TEST(Relay, ControlSocketTakesPathDownAndUp) {
  EchoTarget echo;
  RelayConfig cfg;
  cfg.paths.push_back(path_to(echo.address()));
  cfg.control = "127.0.0.1:0";
  cfg.parser = test_parser;
  RunningRelay relay(cfg);
  auto ctl_addr = relay->control_address();
  ASSERT_TRUE(ctl_addr.has_value());
  Fd ctl = udp(), client = udp();
  auto ping = [&](std::string_view text) {
    send_to(client.get(), relay->listen_address(0), text);
    return receive(client.get(), 200ms);
  };
  EXPECT_EQ(ping("a"), "a");
  EXPECT_EQ(control(ctl.get(), *ctl_addr, "down 0"), "ok\n");
  EXPECT_EQ(ping("b"), std::nullopt);
  EXPECT_EQ(control(ctl.get(), *ctl_addr, "up 0"), "ok\n");
  EXPECT_EQ(ping("c"), "c");
  EXPECT_EQ(control(ctl.get(), *ctl_addr, "bogus"), "error: unknown\n");
  auto stats = control(ctl.get(), *ctl_addr, "stats");
  EXPECT_NE(stats.find("path=0"), std::string::npos) << stats;
  EXPECT_GE(relay->counters(0).uplink.dropped_down, 1u);
}

TEST(Relay, PostedCommandsAndScheduledOutage) {
  EchoTarget echo;
  RelayConfig cfg;
  cfg.paths.push_back(path_to(echo.address()));
  cfg.paths[0].uplink.events = {sim::LinkEvent::outage(0ms, 300ms)};
  RunningRelay relay(cfg);
  Fd client = udp();
  send_to(client.get(), relay->listen_address(0), "early");
  EXPECT_EQ(receive(client.get(), 100ms), std::nullopt);  // inside the outage
  std::this_thread::sleep_for(250ms);
  send_to(client.get(), relay->listen_address(0), "late");
  EXPECT_EQ(receive(client.get(), 500ms), "late");
  ControlCommand delay{.kind = ControlCommand::Kind::kDelay, .path = 0, .delay = 50ms};
  relay->post(delay);
  std::this_thread::sleep_for(20ms);
  auto start = Clock::now();
  send_to(client.get(), relay->listen_address(0), "slow");
  EXPECT_EQ(receive(client.get(), 500ms), "slow");
  EXPECT_GE(Clock::now() - start, 100ms);
}

TEST(Relay, EachClientGetsItsOwnUpstreamSocket) {
  EchoTarget echo;
  RelayConfig cfg;
  cfg.paths.push_back(path_to(echo.address()));
  RunningRelay relay(cfg);
  Fd a = udp(), b = udp();
  send_to(a.get(), relay->listen_address(0), "from a");
  send_to(b.get(), relay->listen_address(0), "from b");
  SocketAddress from;
  EXPECT_EQ(receive(a.get(), 500ms, &from), "from a");
  EXPECT_EQ(from, relay->listen_address(0));  // replies come from the address the client used
  EXPECT_EQ(receive(b.get(), 500ms), "from b");
  send_to(a.get(), relay->listen_address(0), "again");
  EXPECT_EQ(receive(a.get(), 500ms), "again");
  auto sources = echo.sources();
  ASSERT_EQ(sources.size(), 2u);
  std::set<uint16_t> ports;
  for (const auto& s : sources) ports.insert(s.port);
  EXPECT_EQ(ports.size(), 2u);
  EXPECT_FALSE(ports.contains(local_address(a.get()).port));
  EXPECT_EQ(relay->counters(0).flows, 2u);
}

// `rebind`: the server sees the same client from a new source port afterwards, and the
// client still gets the replies (like a NAT that lost its mapping).
TEST(Relay, RebindGivesTheFlowANewSourcePort) {
  EchoTarget echo;
  RelayConfig cfg;
  cfg.paths.push_back(path_to(echo.address()));
  RunningRelay relay(cfg);
  Fd a = udp();
  send_to(a.get(), relay->listen_address(0), "before");
  ASSERT_EQ(receive(a.get(), 500ms), "before");
  ASSERT_EQ(echo.sources().size(), 1u);
  relay->post(ControlCommand{ControlCommand::Kind::kRebind, 0});
  std::this_thread::sleep_for(50ms);
  send_to(a.get(), relay->listen_address(0), "after");
  EXPECT_EQ(receive(a.get(), 500ms), "after");
  EXPECT_EQ(echo.sources().size(), 2u) << "the target should see a second source port";
  EXPECT_EQ(relay->counters(0).flows, 1u);
}

}  // namespace
}  // namespace braid::netem

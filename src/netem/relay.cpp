// The relay's event loop: epoll over listen, upstream, control and wake-up descriptors, with
// the wait bounded by the links' next delivery time (epoll_pwait2, nanosecond timeout).
#include "netem/relay.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fmt/format.h>
#include <map>

#include "netem/stats_format.h"
#include "netem/udp_socket.h"

namespace braid::netem {

TimePoint monotonic_now() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return TimePoint{std::chrono::seconds{ts.tv_sec} + std::chrono::nanoseconds{ts.tv_nsec}};
}

namespace {

enum class Tag : uint64_t { kListen = 1, kUpstream, kControl, kStdin, kWake };
uint64_t tag(Tag t, size_t index) { return (static_cast<uint64_t>(t) << 56) | index; }

constexpr size_t kBatch = 32;
constexpr size_t kMaxDatagram = 65536;

uint64_t mix_seed(uint64_t seed, uint64_t stream) {  // splitmix64: distinct seeds per link
  uint64_t z = seed + 0x9e3779b97f4a7c15ull * (stream + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

struct Relay::State {
  struct Flow {
    size_t path;
    SocketAddress client;
    Fd upstream;
  };
  struct Path {
    PathConfig config;
    Fd listen;
    SocketAddress bound;
    std::optional<sim::Link> up, down;
    std::map<SocketAddress, size_t> flows;
    PathCounters extra;
    uint64_t last_up_bytes = 0, last_down_bytes = 0;
  };
  struct Slot {
    size_t flow;
    bool upstream;  // true: crossing the uplink
    std::vector<uint8_t> data;
  };

  RelayConfig config;
  Fd epoll;
  Fd wake;
  Fd control;
  std::string control_unix_path;
  std::vector<Path> paths;
  std::vector<std::unique_ptr<Flow>> flows;
  std::vector<Slot> slots;
  std::vector<size_t> free_slots;
  size_t slots_in_use = 0;
  DatagramBatch batch{kBatch, kMaxDatagram};
  std::vector<sim::Delivery> deliveries;
  std::string stdin_buffer;
  bool stdin_open = false;
  TimePoint started{};
  TimePoint last_stats{};

  std::atomic<bool> stop_requested{false};
  std::mutex posted_mu;
  std::vector<ControlCommand> posted;

  void print(std::string_view text) {
    if (config.output) {
      config.output(text);
    } else {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    }
  }

  std::expected<void, std::string> watch(int fd, uint64_t data) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = data;
    if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      return std::unexpected(fmt::format("epoll_ctl: {}", std::strerror(errno)));
    }
    return {};
  }

  std::optional<size_t> store(size_t flow, bool upstream, std::span<const uint8_t> bytes) {
    size_t i;
    if (!free_slots.empty()) {
      i = free_slots.back();
      free_slots.pop_back();
    } else if (slots.size() < config.max_stored_packets) {
      i = slots.size();
      slots.emplace_back();
    } else {
      return std::nullopt;
    }
    slots[i].flow = flow;
    slots[i].upstream = upstream;
    slots[i].data.assign(bytes.begin(), bytes.end());
    ++slots_in_use;
    return i;
  }
  void release(size_t i) {
    free_slots.push_back(i);
    --slots_in_use;
  }

  void offer(TimePoint now, size_t flow_index, bool upstream, std::span<const uint8_t> bytes) {
    Path& p = paths[flows[flow_index]->path];
    auto slot = store(flow_index, upstream, bytes);
    if (!slot) {
      p.extra.store_full_drops++;
      return;
    }
    sim::Link& link = upstream ? *p.up : *p.down;
    if (link.enqueue(now, bytes.size(), *slot) != sim::EnqueueResult::kQueued) release(*slot);
  }

  std::optional<size_t> flow_for(size_t path_index, const SocketAddress& client) {
    Path& p = paths[path_index];
    if (auto it = p.flows.find(client); it != p.flows.end()) return it->second;
    if (p.flows.size() >= config.max_flows_per_path) {
      p.extra.flow_limit_drops++;
      return std::nullopt;
    }
    auto fd = open_connected_udp(p.config.target);
    if (!fd) {
      p.extra.send_errors++;
      return std::nullopt;
    }
    size_t index = flows.size();
    if (!watch(fd->get(), tag(Tag::kUpstream, index))) return std::nullopt;
    flows.push_back(std::make_unique<Flow>(Flow{path_index, client, std::move(*fd)}));
    p.flows.emplace(client, index);
    return index;
  }

  void on_listen_readable(size_t path_index) {
    size_t n = batch.receive(paths[path_index].listen.get());
    TimePoint now = monotonic_now();
    for (size_t i = 0; i < n; ++i) {
      if (batch.truncated(i)) continue;
      auto flow = flow_for(path_index, batch.source(i));
      if (flow) offer(now, *flow, true, batch.payload(i));
    }
  }

  void on_upstream_readable(size_t flow_index) {
    size_t n = batch.receive(flows[flow_index]->upstream.get());
    TimePoint now = monotonic_now();
    for (size_t i = 0; i < n; ++i) {
      if (!batch.truncated(i)) offer(now, flow_index, false, batch.payload(i));
    }
  }

  void send(const Slot& s) {
    const Flow& f = *flows[s.flow];
    Path& p = paths[f.path];
    ssize_t rc;
    if (s.upstream) {
      rc = ::send(f.upstream.get(), s.data.data(), s.data.size(), MSG_DONTWAIT);
    } else {
      sockaddr_storage ss;
      socklen_t len = to_sockaddr(f.client, ss);
      rc = ::sendto(p.listen.get(), s.data.data(), s.data.size(), MSG_DONTWAIT,
                    reinterpret_cast<sockaddr*>(&ss), len);
    }
    if (rc < 0) p.extra.send_errors++;
  }

  void deliver_due(TimePoint now) {
    for (auto& p : paths) {
      for (sim::Link* link : {&*p.up, &*p.down}) {
        if (link->next_delivery_time() > now) continue;
        deliveries.clear();
        link->pop_delivered(now, deliveries);
        for (const auto& d : deliveries) {
          send(slots[d.packet_id]);
          if (d.last_copy) release(d.packet_id);
        }
        for (uint64_t id : link->take_discarded()) release(id);
      }
    }
  }

  TimePoint next_wakeup() const {
    TimePoint t = kNever;
    for (const auto& p : paths) t = std::min({t, p.up->next_delivery_time(), p.down->next_delivery_time()});
    return t;
  }

  std::vector<std::string> apply_lines(std::string& buffer) {
    std::vector<std::string> replies;
    size_t pos;
    while ((pos = buffer.find('\n')) != std::string::npos) {
      std::string line = buffer.substr(0, pos);
      buffer.erase(0, pos + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      replies.push_back(execute_line(line));
    }
    return replies;
  }

  std::string execute_line(std::string_view line);
  std::string execute(const ControlCommand& c);
  std::string stats_text(TimePoint now, bool periodic = false);
  void on_control_readable();
  void on_stdin_readable();
  std::expected<void, std::string> open_control();
};

std::string Relay::State::execute_line(std::string_view line) {
  if (!config.parser) return "error: this relay has no command parser";
  auto cmd = config.parser(line);
  if (!cmd) return "error: " + cmd.error();
  return execute(*cmd);
}

std::string Relay::State::execute(const ControlCommand& c) {
  if (c.kind == ControlCommand::Kind::kStats) return stats_text(monotonic_now());
  if (c.path && *c.path >= paths.size()) {
    return fmt::format("error: no path {} (paths 0..{})", *c.path, paths.size() - 1);
  }
  TimePoint now = monotonic_now();
  if (c.kind == ControlCommand::Kind::kRebind) {
    size_t moved = 0;
    for (size_t f = 0; f < flows.size(); ++f) {
      if (c.path && flows[f]->path != *c.path) continue;
      auto fd = open_connected_udp(paths[flows[f]->path].config.target);
      if (!fd) return fmt::format("error: cannot open a new upstream socket: {}", fd.error());
      if (auto w = watch(fd->get(), tag(Tag::kUpstream, f)); !w) return "error: " + w.error();
      flows[f]->upstream = std::move(*fd);   // closing the old socket drops its mapping
      moved++;
    }
    return fmt::format("ok ({} flow{} rebound)", moved, moved == 1 ? "" : "s");
  }
  for (size_t i = 0; i < paths.size(); ++i) {
    if (c.path && *c.path != i) continue;
    for (int dir = 0; dir < 2; ++dir) {
      bool is_up = dir == 0;
      if ((c.direction == Direction::kUp && !is_up) || (c.direction == Direction::kDown && is_up)) continue;
      sim::Link& link = is_up ? *paths[i].up : *paths[i].down;
      switch (c.kind) {
        case ControlCommand::Kind::kDown: link.set_up(now, false); break;
        case ControlCommand::Kind::kUp: link.set_up(now, true); break;
        case ControlCommand::Kind::kRate: link.set_rate(now, c.rate_bps); break;
        case ControlCommand::Kind::kDelay: link.set_delay(now, c.delay); break;
        case ControlCommand::Kind::kLoss: link.set_loss(now, c.loss); break;
        case ControlCommand::Kind::kStats:
        case ControlCommand::Kind::kRebind: break;
      }
    }
  }
  return "ok";
}

// Periodic reports move the baseline their rates are measured from; on-demand ones do not.
std::string Relay::State::stats_text(TimePoint now, bool periodic) {
  double elapsed = std::chrono::duration<double>(now - started).count();
  double interval = std::chrono::duration<double>(now - last_stats).count();
  std::string out;
  for (size_t i = 0; i < paths.size(); ++i) {
    Path& p = paths[i];
    p.up->advance_to(now);
    p.down->advance_to(now);
    PathCounters c = p.extra;
    c.uplink = p.up->counters();
    c.downlink = p.down->counters();
    c.flows = p.flows.size();
    out += format_path_stats(i, elapsed, interval, c, p.last_up_bytes, p.last_down_bytes,
                             p.up->is_up() && p.down->is_up());
    if (periodic) {
      p.last_up_bytes = c.uplink.delivered_bytes;
      p.last_down_bytes = c.downlink.delivered_bytes;
    }
  }
  if (periodic) last_stats = now;
  return out;
}

void Relay::State::on_control_readable() {
  char buf[4096];
  sockaddr_storage from{};
  socklen_t from_len = sizeof from;
  ssize_t n = ::recvfrom(control.get(), buf, sizeof buf - 1, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &from_len);
  if (n <= 0) return;
  std::string text(buf, static_cast<size_t>(n));
  if (text.back() != '\n') text += '\n';
  std::string reply;
  for (auto& r : apply_lines(text)) reply += r.ends_with('\n') ? r : r + "\n";
  if (from_len > 0 && !reply.empty()) {
    ::sendto(control.get(), reply.data(), reply.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), from_len);
  }
}

void Relay::State::on_stdin_readable() {
  char buf[4096];
  ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
  if (n <= 0) {
    ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, STDIN_FILENO, nullptr);
    stdin_open = false;
    return;
  }
  stdin_buffer.append(buf, static_cast<size_t>(n));
  for (auto& r : apply_lines(stdin_buffer)) print(r.ends_with('\n') ? r : r + "\n");
}

std::expected<void, std::string> Relay::State::open_control() {
  if (config.control.empty()) return {};
  if (config.control.starts_with("unix:")) {
    control_unix_path = config.control.substr(5);
    sockaddr_un sa{};
    if (control_unix_path.empty() || control_unix_path.size() >= sizeof sa.sun_path) {
      return std::unexpected(fmt::format("bad UNIX control path '{}'", control_unix_path));
    }
    Fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, control_unix_path.data(), control_unix_path.size());
    ::unlink(control_unix_path.c_str());
    if (!fd.valid() || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      return std::unexpected(fmt::format("control socket {}: {}", config.control, std::strerror(errno)));
    }
    control = std::move(fd);
  } else {
    auto addr = SocketAddress::parse(config.control);
    if (!addr) return std::unexpected(fmt::format("bad control address '{}' (want IP:PORT or unix:PATH)", config.control));
    auto fd = open_bound_udp(*addr);
    if (!fd) return std::unexpected("control socket: " + fd.error());
    control = std::move(*fd);
  }
  return watch(control.get(), tag(Tag::kControl, 0));
}

std::expected<std::unique_ptr<Relay>, std::string> Relay::create(RelayConfig config) {
  if (config.paths.empty()) return std::unexpected("no paths configured");
  auto s = std::make_unique<State>();
  s->config = std::move(config);
  s->epoll = Fd(::epoll_create1(EPOLL_CLOEXEC));
  s->wake = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!s->epoll.valid() || !s->wake.valid()) return std::unexpected(fmt::format("epoll/eventfd: {}", std::strerror(errno)));
  if (auto ok = s->watch(s->wake.get(), tag(Tag::kWake, 0)); !ok) return std::unexpected(ok.error());
  for (size_t i = 0; i < s->config.paths.size(); ++i) {
    const PathConfig& pc = s->config.paths[i];
    if (!pc.listen.valid() || !pc.target.valid() || pc.target.port == 0) {
      return std::unexpected(fmt::format("path {}: listen and target need IP addresses (target with a port)", i));
    }
    for (const auto* lc : {&pc.uplink, &pc.downlink}) {
      if (lc->trace && lc->mtu == 0) return std::unexpected(fmt::format("path {}: trace needs an MTU", i));
    }
    State::Path p;
    p.config = pc;
    auto fd = open_bound_udp(pc.listen);
    if (!fd) return std::unexpected(fmt::format("path {}: {}", i, fd.error()));
    p.listen = std::move(*fd);
    p.bound = local_address(p.listen.get());
    if (auto ok = s->watch(p.listen.get(), tag(Tag::kListen, i)); !ok) return std::unexpected(ok.error());
    s->paths.push_back(std::move(p));
  }
  if (auto ok = s->open_control(); !ok) return std::unexpected(ok.error());
  if (s->config.control_stdin) s->stdin_open = static_cast<bool>(s->watch(STDIN_FILENO, tag(Tag::kStdin, 0)));
  // Scheduled events (down-at=5s) and traces count from the moment the relay is created.
  return std::unique_ptr<Relay>(new Relay(std::move(s)));
}

Relay::Relay(std::unique_ptr<State> state) : state_(std::move(state)) {
  TimePoint now = monotonic_now();
  state_->started = state_->last_stats = now;
  for (size_t i = 0; i < state_->paths.size(); ++i) {
    auto& p = state_->paths[i];
    p.up.emplace(p.config.uplink, mix_seed(state_->config.seed, 2 * i), now);
    p.down.emplace(p.config.downlink, mix_seed(state_->config.seed, 2 * i + 1), now);
  }
}

Relay::~Relay() {
  if (!state_->control_unix_path.empty()) ::unlink(state_->control_unix_path.c_str());
}

SocketAddress Relay::listen_address(size_t path) const { return state_->paths.at(path).bound; }
size_t Relay::path_count() const { return state_->paths.size(); }

std::optional<SocketAddress> Relay::control_address() const {
  if (!state_->control.valid() || !state_->control_unix_path.empty()) return std::nullopt;
  return local_address(state_->control.get());
}

void Relay::stop() {
  state_->stop_requested.store(true);
  uint64_t one = 1;
  [[maybe_unused]] auto rc = ::write(state_->wake.get(), &one, sizeof one);
}

void Relay::post(ControlCommand command) {
  {
    std::lock_guard lock(state_->posted_mu);
    state_->posted.push_back(command);
  }
  uint64_t one = 1;
  [[maybe_unused]] auto rc = ::write(state_->wake.get(), &one, sizeof one);
}

std::string Relay::execute(const ControlCommand& command) { return state_->execute(command); }
std::string Relay::stats_text() { return state_->stats_text(monotonic_now()); }

PathCounters Relay::counters(size_t path) const {
  const auto& p = state_->paths.at(path);
  PathCounters c = p.extra;
  c.uplink = p.up->counters();
  c.downlink = p.down->counters();
  c.flows = p.flows.size();
  c.uplink_queued_bytes = p.up->queued_bytes();
  c.downlink_queued_bytes = p.down->queued_bytes();
  c.uplink_up = p.up->is_up();
  c.downlink_up = p.down->is_up();
  return c;
}

void Relay::snapshot(TimePoint now) {
  if (!state_->config.on_snapshot) return;
  std::vector<PathCounters> all;
  for (size_t i = 0; i < state_->paths.size(); ++i) {
    state_->paths[i].up->advance_to(now);  // queue and link state as of now, as stats_text does
    state_->paths[i].down->advance_to(now);
    all.push_back(counters(i));
  }
  state_->config.on_snapshot(all);
}

std::expected<void, std::string> Relay::run() {
  State& s = *state_;
  ::prctl(PR_SET_TIMERSLACK, 1UL);  // wake-ups within a microsecond, not the default 50 us
  TimePoint deadline = s.config.duration > Duration{} ? s.started + s.config.duration : kNever;
  Duration interval = s.config.stats_interval;
  TimePoint next_stats = interval > Duration{} ? s.started + interval : kNever;
  Duration snapshot_interval = s.config.on_snapshot ? s.config.snapshot_interval : Duration{};
  TimePoint next_snapshot = snapshot_interval > Duration{} ? s.started : kNever;
  epoll_event events[64];
  while (!s.stop_requested.load()) {
    TimePoint now = monotonic_now();
    if (now >= deadline) break;
    s.deliver_due(now);
    if (now >= next_stats) {
      s.print(s.stats_text(now, /*periodic=*/true));
      while (next_stats <= now) next_stats += interval;
    }
    if (now >= next_snapshot) {
      snapshot(now);
      while (next_snapshot <= now) next_snapshot += snapshot_interval;
    }
    TimePoint wake = std::min({s.next_wakeup(), next_stats, next_snapshot, deadline});
    timespec timeout{};
    timespec* timeout_ptr = nullptr;
    if (wake != kNever) {
      auto ns = std::max<int64_t>(0, (wake - monotonic_now()).count());
      timeout.tv_sec = ns / 1'000'000'000;
      timeout.tv_nsec = ns % 1'000'000'000;
      timeout_ptr = &timeout;
    }
    int n = ::epoll_pwait2(s.epoll.get(), events, 64, timeout_ptr, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(fmt::format("epoll_pwait2: {}", std::strerror(errno)));
    }
    for (int i = 0; i < n; ++i) {
      auto kind = static_cast<Tag>(events[i].data.u64 >> 56);
      size_t index = events[i].data.u64 & ((uint64_t{1} << 56) - 1);
      switch (kind) {
        case Tag::kListen: s.on_listen_readable(index); break;
        case Tag::kUpstream: s.on_upstream_readable(index); break;
        case Tag::kControl: s.on_control_readable(); break;
        case Tag::kStdin: s.on_stdin_readable(); break;
        case Tag::kWake: {
          uint64_t v;
          [[maybe_unused]] auto rc = ::read(s.wake.get(), &v, sizeof v);
          std::vector<ControlCommand> commands;
          {
            std::lock_guard lock(s.posted_mu);
            commands.swap(s.posted);
          }
          for (const auto& c : commands) {
            auto reply = s.execute(c);
            s.print(reply.ends_with('\n') ? reply : reply + "\n");
          }
          break;
        }
      }
    }
  }
  snapshot(monotonic_now());  // the final counters, for exporters that keep serving
  return {};
}

}  // namespace braid::netem

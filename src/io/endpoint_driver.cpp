// EndpointDriver: the glue between the sans-IO endpoint/connections and one UdpSocket on
// an EventLoop. A "round" is: read a few receive batches (or fire the timer), deliver
// events, let the application top up, drain poll_transmit into GSO buffers, sendmmsg,
// reap closed connections, re-arm the single timer.
#include "io/endpoint_driver.h"

#include <fmt/format.h>
#include <malloc.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "io/monotonic_clock.h"
#include "io/sockaddr_conv.h"

namespace braid::io {

std::optional<SocketAddress> EndpointDriver::source_address_for(const SocketAddress& remote) {
  sockaddr_storage ss{};
  socklen_t len = to_sockaddr(remote, ss);
  if (len == 0) return std::nullopt;
  int fd = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  std::optional<SocketAddress> out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) {
    sockaddr_storage local{};
    socklen_t llen = sizeof(local);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen) == 0) {
      out = from_sockaddr(local, llen);
      if (out) out->port = 0;
    }
  }
  ::close(fd);
  return out;
}

const char* socket_mode_name(SocketMode m) {
  return m == SocketMode::kSharedPktinfo ? "pktinfo" : "per-address";
}

std::optional<SocketMode> parse_socket_mode(std::string_view text) {
  if (text == "per-address") return SocketMode::kPerAddress;
  if (text == "pktinfo") return SocketMode::kSharedPktinfo;
  return std::nullopt;
}

namespace {

// The wildcard of `a`'s family with `a`'s port: what kSharedPktinfo binds.
SocketAddress wildcard_of(const SocketAddress& a) {
  SocketAddress w;
  w.family = a.family;
  w.port = a.port;
  return w;
}

void add_counters(UdpSocketCounters& t, const UdpSocketCounters& c) {
  t.send_syscalls += c.send_syscalls;
  t.datagrams_sent += c.datagrams_sent;
  t.gso_batches_sent += c.gso_batches_sent;
  t.send_errors += c.send_errors;
  t.gso_fallbacks += c.gso_fallbacks;
  t.recv_syscalls += c.recv_syscalls;
  t.datagrams_received += c.datagrams_received;
  t.gro_batches_received += c.gro_batches_received;
  t.gro_coalesced_datagrams += c.gro_coalesced_datagrams;
  t.receive_truncated += c.receive_truncated;
}

}  // namespace

std::expected<std::unique_ptr<EndpointDriver>, std::string> EndpointDriver::create(EventLoop& loop, Random& rng,
                                                                                   EndpointDriverOptions options,
                                                                                   DriverCallbacks callbacks) {
  bool shared = options.socket_mode == SocketMode::kSharedPktinfo;
  SocketAddress bind = shared ? wildcard_of(options.bind) : options.bind;
  auto sock = UdpSocket::open(bind, options.socket);
  if (!sock) return std::unexpected(fmt::format("cannot bind UDP {}: {}", bind.to_string(), sock.error().message()));
  // Shared mode: the first path's tuple names the concrete address asked for (what PKTINFO
  // reports on receive), with the wildcard socket's port.
  SocketAddress primary = sock->local_address();
  if (shared && !is_wildcard(options.bind)) {
    primary = options.bind;
    primary.port = sock->local_address().port;
  }
  std::unique_ptr<EndpointDriver> d(
      new EndpointDriver(loop, rng, std::move(options), std::move(callbacks), std::move(*sock)));
  d->primary_ = primary;
  if (auto w = d->watch(0); !w) return std::unexpected(w.error());
  return d;
}

std::expected<void, std::string> EndpointDriver::watch(size_t index) {
  auto added = loop_.add_fd(sockets_[index]->fd(), EventLoop::FdHandlers{[this, index] { on_readable(index); },
                                                                          [this, index] { on_writable(index); }});
  if (!added) return std::unexpected(fmt::format("cannot watch the UDP socket: {}", added.error().message()));
  return {};
}

std::expected<SocketAddress, std::string> EndpointDriver::add_socket(const SocketAddress& bind) {
  if (opts_.socket_mode == SocketMode::kSharedPktinfo) {
    size_t slot = sockets_.size();
    for (size_t i = 0; i < sockets_.size(); ++i) {
      if (sockets_[i] && sockets_[i]->bound_to_wildcard() && sockets_[i]->local_address().family == bind.family) slot = i;
    }
    if (slot == sockets_.size()) {  // the first address of this family: its wildcard socket
      auto sock = UdpSocket::open(wildcard_of(bind), opts_.socket);
      if (!sock) {
        return std::unexpected(fmt::format("cannot bind UDP {}: {}", wildcard_of(bind).to_string(), sock.error().message()));
      }
      sockets_.push_back(std::make_unique<UdpSocket>(std::move(*sock)));
      if (auto w = watch(slot); !w) {
        sockets_.pop_back();
        return std::unexpected(w.error());
      }
    }
    uint16_t port = sockets_[slot]->local_address().port;
    if (bind.port != 0 && bind.port != port) {
      return std::unexpected(fmt::format("{}: with --socket-mode pktinfo every address shares port {}", bind.to_string(), port));
    }
    SocketAddress a = bind;
    a.port = port;
    if (is_wildcard(a) || a == primary_) return a;
    if (std::find(shared_addresses_.begin(), shared_addresses_.end(), a) == shared_addresses_.end()) {
      shared_addresses_.push_back(a);
    }
    return a;
  }
  for (const auto& s : sockets_) {
    if (!s) continue;
    const SocketAddress& a = s->local_address();
    if (a.same_ip(bind) && (bind.port == 0 || bind.port == a.port)) return a;
  }
  auto sock = UdpSocket::open(bind, opts_.socket);
  if (!sock) return std::unexpected(fmt::format("cannot bind UDP {}: {}", bind.to_string(), sock.error().message()));
  sockets_.push_back(std::make_unique<UdpSocket>(std::move(*sock)));
  if (auto w = watch(sockets_.size() - 1); !w) {
    sockets_.pop_back();
    return std::unexpected(w.error());
  }
  return sockets_.back()->local_address();
}

std::expected<std::vector<SocketAddress>, std::string> EndpointDriver::bind_advertised_addresses(
    const std::vector<SocketAddress>& addresses) {
  std::vector<SocketAddress> bound;
  for (const auto& a : addresses) {
    if (is_wildcard(a)) return std::unexpected(fmt::format("{}: needs a concrete address, clients are told to send there", a.to_string()));
    auto b = add_socket(a);
    if (!b) return std::unexpected(fmt::format("{}: {}", a.to_string(), b.error()));
    bound.push_back(*b);
  }
  auto cfg = endpoint_->connection_config();
  cfg.advertise_addresses = bound;
  if (auto ok = check_connection_config(cfg); !ok) return std::unexpected(ok.error());
  endpoint_->set_connection_config(cfg);
  return bound;
}

std::expected<void, std::string> EndpointDriver::remove_socket(const SocketAddress& local) {
  auto matches = [&](const SocketAddress& a) { return a.same_ip(local) && (local.port == 0 || local.port == a.port); };
  if (matches(primary_)) return std::unexpected(fmt::format("{} is the endpoint's first address; it stays", local.to_string()));
  if (opts_.socket_mode == SocketMode::kSharedPktinfo) {
    auto it = std::find_if(shared_addresses_.begin(), shared_addresses_.end(), matches);
    if (it == shared_addresses_.end()) return std::unexpected(fmt::format("{} is not in use", local.to_string()));
    shared_addresses_.erase(it);
    return {};
  }
  for (size_t i = 1; i < sockets_.size(); ++i) {
    if (!sockets_[i] || !matches(sockets_[i]->local_address())) continue;
    loop_.remove_fd(sockets_[i]->fd());
    // What waits for this socket cannot leave from it any more. The entries stay in place
    // (their send buffers are addressed by position) and are skipped by flush_socket.
    for (size_t q = queued_head_; q < queued_socket_.size(); ++q) {
      if (queued_socket_[q] == i) queued_socket_[q] = kDroppedSocket;
    }
    if (write_blocked_ && blocked_socket_ == i) {
      write_blocked_ = false;
      for (Connection* c : blocked_conns_) mark(c);
      blocked_conns_.clear();
    }
    add_counters(removed_counters_, sockets_[i]->counters());
    sockets_[i].reset();
    return {};
  }
  return std::unexpected(fmt::format("no socket bound to {}", local.to_string()));
}

std::vector<SocketAddress> EndpointDriver::local_addresses() const {
  std::vector<SocketAddress> out{primary_};
  if (opts_.socket_mode == SocketMode::kSharedPktinfo) {
    out.insert(out.end(), shared_addresses_.begin(), shared_addresses_.end());
    return out;
  }
  for (size_t i = 1; i < sockets_.size(); ++i) {
    if (sockets_[i]) out.push_back(sockets_[i]->local_address());
  }
  return out;
}

UdpSocketCounters EndpointDriver::socket_counters() const {
  UdpSocketCounters t = removed_counters_;
  for (const auto& s : sockets_) {
    if (s) add_counters(t, s->counters());
  }
  return t;
}

size_t EndpointDriver::socket_for(const SocketAddress& local) const {
  // Exact address and port first, then a wildcard socket on that port (it sends with
  // PKTINFO), then the first socket: a path never goes silent for want of a socket.
  for (size_t i = 0; i < sockets_.size(); ++i) {
    if (sockets_[i] && sockets_[i]->local_address() == local) return i;
  }
  for (size_t i = 0; i < sockets_.size(); ++i) {
    if (!sockets_[i]) continue;
    const auto& s = *sockets_[i];
    if (s.bound_to_wildcard() && s.local_address().port == local.port && s.local_address().family == local.family) return i;
  }
  return 0;
}

EndpointDriver::EndpointDriver(EventLoop& loop, Random& rng, EndpointDriverOptions options, DriverCallbacks callbacks,
                               UdpSocket socket)
    : loop_(loop),
      rng_(rng),
      opts_(std::move(options)),
      cb_(std::move(callbacks)),

      batch_(opts_.receive_messages),
      send_storage_(kSendBuffers * kSendBufferBytes) {
  opts_.max_segments = std::clamp<size_t>(opts_.max_segments, 1, UdpSocket::kMaxGsoSegments);
  opts_.receive_batches_per_round = std::max<size_t>(1, opts_.receive_batches_per_round);
  sockets_.push_back(std::make_unique<UdpSocket>(std::move(socket)));
  queued_.reserve(kSendBuffers);
  queued_socket_.reserve(kSendBuffers);
  EndpointConfig ec = opts_.endpoint;
  auto user_hook = ec.on_new_connection;
  ec.on_new_connection = [this, user_hook](Connection& c, TimePoint now) {
    open_qlog(c, now);
    if (user_hook) user_hook(c, now);
  };
  endpoint_ = std::make_unique<Endpoint>(ec, rng_);
}

EndpointDriver::~EndpointDriver() {
  for (const auto& s : sockets_) {
    if (s) loop_.remove_fd(s->fd());
  }
  if (timer_ != EventLoop::kNoTimer) loop_.cancel_timer(timer_);
  if (trim_timer_ != EventLoop::kNoTimer) loop_.cancel_timer(trim_timer_);
  for (auto& [c, f] : qlog_files_) std::fclose(f);
}

bool EndpointDriver::alive(const Connection* c) const { return ids_.contains(c); }

uint64_t EndpointDriver::id_of(const Connection* c) const {
  auto it = ids_.find(c);
  return it == ids_.end() ? 0 : it->second;
}

Connection* EndpointDriver::find(uint64_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

void EndpointDriver::open_qlog(Connection& c, TimePoint now) {
  if (opts_.qlog_dir.empty() || qlog_files_.contains(&c)) return;
  std::string path = opts_.qlog_dir + "/" + c.qlog_file_name();
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    fmt::print(stderr, "braid: cannot write qlog {}\n", path);
    return;
  }
  qlog_files_[&c] = f;
  c.set_qlog_sink([f](std::string_view rec) { std::fwrite(rec.data(), 1, rec.size(), f); }, now);
}

void EndpointDriver::add_connection(Connection* c) {
  if (ids_.contains(c)) return;
  uint64_t id = next_id_++;
  ids_[c] = id;
  by_id_[id] = c;
  if (cb_.on_connection) cb_.on_connection(*c);
  mark(c);
}

void EndpointDriver::mark(Connection* c) {
  if (marked_set_.insert(c).second) marked_.push_back(c);
}

void EndpointDriver::schedule(Connection& c) {
  auto id = ids_.find(&c);
  if (id == ids_.end()) return;
  TimePoint t = c.poll_timeout();
  auto [it, fresh] = deadlines_.try_emplace(id->second, t);
  if (!fresh && it->second == t) return;
  it->second = t;
  if (t == kNever) return;
  timers_.push(TimerEntry{t, id->second});
  // Superseded entries stay in the heap until they surface; rebuild when they dominate.
  if (timers_.size() > 4 * deadlines_.size() + 1024) {
    std::vector<TimerEntry> live;
    for (auto& [cid, at] : deadlines_) {
      if (at != kNever) live.push_back(TimerEntry{at, cid});
    }
    timers_ = decltype(timers_)(std::greater<>(), std::move(live));
  }
}

Result<Connection*> EndpointDriver::connect(const ConnectionConfig& cfg, const SocketAddress& remote) {
  TimePoint now = monotonic_now();
  auto r = endpoint_->connect(now, cfg, PathTuple{local_address(), remote});
  if (!r) return r;
  Connection* c = *r;
  open_qlog(*c, now);
  add_connection(c);
  service(*c);
  return c;
}

void EndpointDriver::service(Connection& c) {
  mark(&c);
  if (in_round_) return;
  in_round_ = true;
  process_marked(monotonic_now());
  in_round_ = false;
}

void EndpointDriver::close_all(uint64_t app_error, const std::string& reason) {
  TimePoint now = monotonic_now();
  for (Connection* c : endpoint_->connections()) {
    if (!c->is_draining()) c->close(now, app_error, reason);
    mark(c);
  }
  if (in_round_) return;
  in_round_ = true;
  process_marked(now);
  in_round_ = false;
}

void EndpointDriver::on_readable(size_t index) {
  in_round_ = true;
  counters_.rounds++;
  for (size_t i = 0; i < opts_.receive_batches_per_round; ++i) {
    // Looked up each time: a callback below (on_connection) may have removed the socket.
    if (index >= sockets_.size() || !sockets_[index]) break;
    auto r = sockets_[index]->receive(batch_);
    if (!r || *r == 0) break;  // errors (e.g. a queued ICMP error) are not fatal for UDP
    TimePoint now = monotonic_now();
    for (const auto& d : batch_.datagrams()) {
      // The batch owns these bytes until the next receive; the core decrypts in place.
      std::span<uint8_t> data(const_cast<uint8_t*>(d.data.data()), d.data.size());
      Connection* c = endpoint_->handle_datagram(now, PathTuple{d.local, d.remote}, data, d.ecn);
      if (c) mark(c);
    }
    while (Connection* c = endpoint_->accept()) add_connection(c);
  }
  process_marked(monotonic_now());
  in_round_ = false;
}

void EndpointDriver::on_writable(size_t index) {
  if (index >= sockets_.size() || !sockets_[index]) return;
  if (!write_blocked_ || index != blocked_socket_) {
    loop_.set_want_write(sockets_[index]->fd(), false);
    return;
  }
  if (!flush_socket()) return;
  in_round_ = true;
  for (Connection* c : blocked_conns_) mark(c);
  blocked_conns_.clear();
  process_marked(monotonic_now());
  in_round_ = false;
}

void EndpointDriver::on_timer() {
  timer_ = EventLoop::kNoTimer;
  timer_deadline_ = kNever;
  counters_.timer_fires++;
  counters_.rounds++;
  in_round_ = true;
  TimePoint now = monotonic_now();
  // Only the connections whose deadline passed: O(due log n), not a walk over all of them.
  while (!timers_.empty() && timers_.top().at <= now) {
    TimerEntry e = timers_.top();
    timers_.pop();
    auto d = deadlines_.find(e.id);
    if (d == deadlines_.end() || d->second != e.at) continue;   // superseded
    d->second = kNever;
    if (Connection* c = find(e.id)) {
      c->handle_timeout(now);
      mark(c);
    }
  }
  process_marked(now);
  in_round_ = false;
}

void EndpointDriver::process_marked(TimePoint now) {
  // Callbacks may mark further connections; the index loop picks them up.
  for (size_t i = 0; i < marked_.size(); ++i) {
    Connection* c = marked_[i];
    if (!alive(c)) continue;
    deliver_events(*c);
    if (cb_.on_service) cb_.on_service(*c);
    drain_output(*c, now);
    deliver_events(*c);
    endpoint_->refresh_routes(c);
    schedule(*c);
    if (c->is_closed()) closed_.push_back(c);
  }
  marked_.clear();
  marked_set_.clear();
  drain_stateless();
  if (!write_blocked_) flush_socket();
  reap_closed();
  rearm_timer();
}

void EndpointDriver::deliver_events(Connection& c) {
  while (auto ev = c.poll_event()) {
    if (cb_.on_event) cb_.on_event(c, *ev);
  }
}

uint8_t* EndpointDriver::next_buffer() {
  if (write_blocked_) return nullptr;
  if (queued_.size() == kSendBuffers && !flush_socket()) return nullptr;
  return send_storage_.data() + queued_.size() * kSendBufferBytes;
}

void EndpointDriver::queue(OutgoingDatagram d, size_t socket_index) {
  queued_.push_back(d);
  queued_socket_.push_back(socket_index);
}

void EndpointDriver::drain_output(Connection& c, TimePoint now) {
  for (;;) {
    uint8_t* buf = next_buffer();
    if (!buf) {
      if (std::find(blocked_conns_.begin(), blocked_conns_.end(), &c) == blocked_conns_.end()) {
        blocked_conns_.push_back(&c);
      }
      return;
    }
    auto t = c.poll_transmit(now, std::span<uint8_t>(buf, kSendBufferBytes), opts_.max_segments);
    if (!t) return;
    size_t si = socket_for(t->tuple.local);
    OutgoingDatagram d;
    d.remote = t->tuple.remote;
    if (sockets_[si]->bound_to_wildcard()) d.local = t->tuple.local;
    d.ecn = t->ecn;
    d.data = buf;
    d.len = t->length;
    d.segment_size = t->segment_size;
    queue(d, si);
    counters_.transmits++;
    if (t->segment_size > 0) counters_.gso_transmits++;
  }
}

void EndpointDriver::drain_stateless() {
  for (;;) {
    uint8_t* buf = next_buffer();
    if (!buf) return;  // stateless packets wait in the endpoint (bounded there)
    auto s = endpoint_->poll_stateless(std::span<uint8_t>(buf, kSendBufferBytes));
    if (!s) return;
    size_t si = socket_for(s->tuple.local);
    OutgoingDatagram d;
    d.remote = s->tuple.remote;
    if (sockets_[si]->bound_to_wildcard()) d.local = s->tuple.local;
    d.data = buf;
    d.len = s->length;
    queue(d, si);
  }
}

bool EndpointDriver::flush_socket() {
  // Consecutive entries for the same socket go out in one send() call; a full socket stops
  // the whole queue so datagrams keep their order.
  while (queued_head_ < queued_.size()) {
    size_t si = queued_socket_[queued_head_];
    size_t run_end = queued_head_;
    while (run_end < queued_.size() && queued_socket_[run_end] == si) ++run_end;
    if (si == kDroppedSocket) {  // its socket was removed
      queued_head_ = run_end;
      continue;
    }
    size_t want = run_end - queued_head_;
    size_t n = sockets_[si]->send(std::span<const OutgoingDatagram>(queued_).subspan(queued_head_, want));
    queued_head_ += n;
    if (n < want) {
      if (!write_blocked_ || blocked_socket_ != si) {
        if (write_blocked_) loop_.set_want_write(sockets_[blocked_socket_]->fd(), false);
        else counters_.write_blocked++;
        write_blocked_ = true;
        blocked_socket_ = si;
        loop_.set_want_write(sockets_[si]->fd(), true);
      }
      return false;
    }
  }
  if (write_blocked_) loop_.set_want_write(sockets_[blocked_socket_]->fd(), false);
  queued_.clear();
  queued_socket_.clear();
  queued_head_ = 0;
  write_blocked_ = false;
  return true;
}

void EndpointDriver::reap_closed() {
  // A connection only closes while it is handled, so the round's closed list is complete.
  for (Connection* c : closed_) {
    if (!alive(c)) continue;
    if (cb_.on_closed) cb_.on_closed(*c);
    if (auto it = qlog_files_.find(c); it != qlog_files_.end()) {
      std::fclose(it->second);
      qlog_files_.erase(it);
    }
    if (auto it = ids_.find(c); it != ids_.end()) {
      deadlines_.erase(it->second);
      by_id_.erase(it->second);
      ids_.erase(it);
    }
    std::erase(blocked_conns_, c);
    std::erase(marked_, c);
    marked_set_.erase(c);
    endpoint_->remove(c);
  }
  if (!closed_.empty()) schedule_memory_trim();
  closed_.clear();
}

void EndpointDriver::schedule_memory_trim() {
  if (opts_.return_memory_interval <= Duration::zero() || trim_timer_ != EventLoop::kNoTimer) return;
  TimePoint at = std::max(io::monotonic_now(), last_trim_ + opts_.return_memory_interval);
  trim_timer_ = loop_.add_timer(at, [this] {
    trim_timer_ = EventLoop::kNoTimer;
    TimePoint t0 = io::monotonic_now();
    ::malloc_trim(0);
    last_trim_ = io::monotonic_now();
    counters_.memory_trims++;
    counters_.memory_trim_us += static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(last_trim_ - t0).count());
  });
}

void EndpointDriver::rearm_timer() {
  // The earliest live deadline sits on top of the heap once superseded entries are popped.
  while (!timers_.empty()) {
    auto d = deadlines_.find(timers_.top().id);
    if (d != deadlines_.end() && d->second == timers_.top().at) break;
    timers_.pop();
  }
  TimePoint next = timers_.empty() ? kNever : timers_.top().at;
  if (next == timer_deadline_ && timer_ != EventLoop::kNoTimer) return;
  if (timer_ != EventLoop::kNoTimer) loop_.cancel_timer(timer_);
  timer_ = EventLoop::kNoTimer;
  timer_deadline_ = next;
  if (next == kNever) return;
  timer_ = loop_.add_timer(next, [this] { on_timer(); });
}

}  // namespace braid::io

// The rtnetlink socket and the table of links and addresses behind InterfaceMonitor. The
// table is kept from records (not from getifaddrs) so that a change reported between two
// reads is never missed; after the kernel drops messages (ENOBUFS) it is rebuilt from a
// fresh dump and only the differences are reported.
#include "io/interface_monitor.h"

#include <fmt/format.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/monotonic_clock.h"

namespace braid::io {

const char* interface_event_name(InterfaceEventType t) {
  switch (t) {
    case InterfaceEventType::kAddressAdded: return "address_added";
    case InterfaceEventType::kAddressRemoved: return "address_removed";
    case InterfaceEventType::kLinkUp: return "link_up";
    case InterfaceEventType::kLinkDown: return "link_down";
  }
  return "unknown";
}

// ---- InterfaceTable -----------------------------------------------------------------------

bool InterfaceTable::link_up(uint32_t index) const {
  auto it = links_.find(index);
  // An address can be reported before its link (or with the link dump lost): trust it.
  if (it == links_.end() || !it->second.known) return true;
  return (it->second.flags & IFF_UP) && (it->second.flags & IFF_RUNNING);
}

bool InterfaceTable::address_ok(const SocketAddress& a, uint32_t flags) const {
  if (!opts_.include_link_local && is_link_local(a)) return false;
  if (!opts_.include_tentative && (flags & (IFA_F_TENTATIVE | IFA_F_DEPRECATED | IFA_F_DADFAILED))) return false;
  return true;
}

InterfaceEvent InterfaceTable::address_event(InterfaceEventType t, const Key& k, const Address& a) const {
  InterfaceEvent e;
  e.type = t;
  e.index = k.first;
  e.address = k.second;
  e.flags = a.flags;
  auto l = links_.find(k.first);
  if (l != links_.end()) e.name = l->second.name;
  e.loopback = is_loopback_address(k.second) || (l != links_.end() && (l->second.flags & IFF_LOOPBACK));
  return e;
}

void InterfaceTable::set_usable(const Key& k, Address& a, bool usable, std::vector<InterfaceEvent>& out) {
  if (a.usable == usable) return;
  a.usable = usable;
  out.push_back(address_event(usable ? InterfaceEventType::kAddressAdded : InterfaceEventType::kAddressRemoved, k, a));
}

void InterfaceTable::apply(const NetlinkRecord& r, std::vector<InterfaceEvent>& out) {
  if (const auto* a = std::get_if<NetlinkAddress>(&r)) {
    Key k{a->index, a->address};
    if (a->removed) {
      auto it = addresses_.find(k);
      if (it == addresses_.end()) return;
      set_usable(k, it->second, false, out);
      addresses_.erase(it);
      return;
    }
    Address& e = addresses_[k];
    e.flags = a->flags;
    e.scope = a->scope;
    if (!a->label.empty()) {
      Link& l = links_[a->index];
      if (l.name.empty()) l.name = a->label;  // IPv4 labels may carry an alias suffix; the link name wins
    }
    set_usable(k, e, link_up(a->index) && address_ok(a->address, a->flags), out);
    return;
  }
  const auto& l = std::get<NetlinkLink>(r);
  bool was_up = link_up(l.index);
  bool had = links_.contains(l.index) && links_[l.index].known;
  if (l.removed) {
    links_.erase(l.index);
    for (auto it = addresses_.begin(); it != addresses_.end();) {
      if (it->first.first != l.index) {
        ++it;
        continue;
      }
      set_usable(it->first, it->second, false, out);
      it = addresses_.erase(it);
    }
    if (had && was_up) out.push_back(InterfaceEvent{InterfaceEventType::kLinkDown, l.index, l.name, {}, l.flags, false});
    return;
  }
  Link& link = links_[l.index];
  if (!l.name.empty()) link.name = l.name;
  link.flags = l.flags;
  link.known = true;
  bool up = link_up(l.index);
  // A link seen for the first time is news only when it is up; addresses reported before
  // it were assumed up and are judged again either way.
  bool report = had ? up != was_up : up;
  InterfaceEvent ev{up ? InterfaceEventType::kLinkUp : InterfaceEventType::kLinkDown, l.index, link.name, {},
                    l.flags, (l.flags & IFF_LOOPBACK) != 0};
  if (report && !up) out.push_back(ev);  // link down first, then its addresses go
  for (auto& [k, a] : addresses_) {
    if (k.first == l.index) set_usable(k, a, up && address_ok(k.second, a.flags), out);
  }
  if (report && up) out.push_back(ev);
}

void InterfaceTable::replace_all(std::span<const NetlinkRecord> records, std::vector<InterfaceEvent>& out) {
  InterfaceTable fresh(opts_);
  std::vector<InterfaceEvent> ignored;
  for (const auto& r : records) fresh.apply(r, ignored);
  for (auto& [k, a] : addresses_) {
    auto f = fresh.addresses_.find(k);
    bool now = f != fresh.addresses_.end() && f->second.usable;
    if (a.usable && !now) out.push_back(address_event(InterfaceEventType::kAddressRemoved, k, a));
  }
  for (auto& [k, a] : fresh.addresses_) {
    auto o = addresses_.find(k);
    bool before = o != addresses_.end() && o->second.usable;
    if (a.usable && !before) out.push_back(fresh.address_event(InterfaceEventType::kAddressAdded, k, a));
  }
  links_ = std::move(fresh.links_);
  addresses_ = std::move(fresh.addresses_);
}

std::vector<InterfaceEvent> InterfaceTable::usable() const {
  std::vector<InterfaceEvent> out;
  for (const auto& [k, a] : addresses_) {
    if (a.usable) out.push_back(address_event(InterfaceEventType::kAddressAdded, k, a));
  }
  return out;
}

// ---- InterfaceMonitor ---------------------------------------------------------------------

namespace {
constexpr size_t kReceiveBytes = 64 * 1024;  // the kernel sends at most a page-ish per message
constexpr auto kDumpTimeout = std::chrono::seconds(2);
}  // namespace

std::expected<std::unique_ptr<InterfaceMonitor>, std::string> InterfaceMonitor::create(EventLoop& loop, Callback on_event,
                                                                                       InterfaceMonitorOptions options) {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return std::unexpected(fmt::format("cannot open a NETLINK_ROUTE socket: {}", std::strerror(errno)));
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    int e = errno;
    ::close(fd);
    return std::unexpected(fmt::format("cannot join the rtnetlink groups: {}", std::strerror(e)));
  }
  std::unique_ptr<InterfaceMonitor> m(new InterfaceMonitor(loop, fd, std::move(on_event), options));
  auto records = m->dump();
  if (!records) return std::unexpected(records.error());
  std::vector<InterfaceEvent> initial;  // the starting state is read with usable()
  m->table_.replace_all(*records, initial);
  auto added = loop.add_fd(fd, EventLoop::FdHandlers{[p = m.get()] { p->on_readable(); }, nullptr});
  if (!added) return std::unexpected(fmt::format("cannot watch the netlink socket: {}", added.error().message()));
  return m;
}

InterfaceMonitor::InterfaceMonitor(EventLoop& loop, int fd, Callback cb, InterfaceMonitorOptions options)
    : loop_(loop), fd_(fd), cb_(std::move(cb)), table_(options), buffer_(kReceiveBytes) {}

InterfaceMonitor::~InterfaceMonitor() {
  loop_.remove_fd(fd_);
  ::close(fd_);
}

std::expected<void, std::string> InterfaceMonitor::request_dump(uint16_t type) {
  struct {
    nlmsghdr h;
    rtgenmsg g;
  } req{};
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof(rtgenmsg));
  req.h.nlmsg_type = type;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = ++seq_;
  req.g.rtgen_family = AF_UNSPEC;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_, &req, req.h.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) < 0) {
    return std::unexpected(fmt::format("rtnetlink dump request failed: {}", std::strerror(errno)));
  }
  return {};
}

std::expected<std::vector<NetlinkRecord>, std::string> InterfaceMonitor::dump() {
  // Links first (names and up/down), then addresses; one dump at a time per socket. Change
  // notifications that arrive in between are kept in order with the dump's records.
  for (int attempt = 0; attempt < 4; ++attempt) {
    std::vector<NetlinkRecord> records;
    bool interrupted = false;
    for (uint16_t type : {uint16_t{RTM_GETLINK}, uint16_t{RTM_GETADDR}}) {
      if (auto r = request_dump(type); !r) return std::unexpected(r.error());
      TimePoint deadline = monotonic_now() + kDumpTimeout;
      for (bool done = false; !done;) {
        ssize_t n = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          TimePoint now = monotonic_now();
          if (now >= deadline) return std::unexpected("rtnetlink dump timed out");
          pollfd p{fd_, POLLIN, 0};
          ::poll(&p, 1, static_cast<int>(to_us(deadline - now) / 1000) + 1);
          continue;
        }
        if (n < 0 && errno == ENOBUFS) {  // notifications overflowed meanwhile: start over
          interrupted = true;
          break;
        }
        if (n < 0) return std::unexpected(fmt::format("rtnetlink receive failed: {}", std::strerror(errno)));
        auto b = parse_netlink(std::span<const uint8_t>(buffer_.data(), static_cast<size_t>(n)));
        malformed_ += b.malformed;
        if (b.error) return std::unexpected(fmt::format("rtnetlink dump refused: {}", std::strerror(*b.error)));
        interrupted = interrupted || b.interrupted;
        for (auto& r : b.records) records.push_back(std::move(r));
        done = b.done;
      }
      if (interrupted) break;
    }
    if (!interrupted) return records;
  }
  return std::unexpected("rtnetlink dump kept being interrupted by changes");
}

void InterfaceMonitor::on_readable() {
  for (int reads = 0; reads < 64; ++reads) {  // bounded: the loop has other work too
    ssize_t n = ::recv(fd_, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ENOBUFS) {
      resync();
      continue;
    }
    if (n <= 0) return;
    auto b = parse_netlink(std::span<const uint8_t>(buffer_.data(), static_cast<size_t>(n)));
    malformed_ += b.malformed;
    std::vector<InterfaceEvent> events;
    for (const auto& r : b.records) table_.apply(r, events);
    for (const auto& e : events) {
      if (cb_) cb_(e);
    }
  }
}

void InterfaceMonitor::resync() {
  ++resyncs_;
  auto records = dump();
  if (!records) return;  // keep the old table; the next change or overflow tries again
  std::vector<InterfaceEvent> events;
  table_.replace_all(*records, events);
  for (const auto& e : events) {
    if (cb_) cb_(e);
  }
}

}  // namespace braid::io

// rtnetlink decoding. Every length the kernel sends is checked against what is left of the
// buffer before it is used; headers are copied out with memcpy because a recv() buffer
// gives no alignment guarantee to the structs inside it.
#include "io/netlink_parser.h"

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cstring>

namespace braid::io {
namespace {

template <typename T>
bool read_struct(std::span<const uint8_t> bytes, size_t offset, T& out) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) return false;
  std::memcpy(&out, bytes.data() + offset, sizeof(T));
  return true;
}

// Calls fn(type, payload) for every attribute in `attrs`; false when one is malformed.
template <typename Fn>
bool for_each_attribute(std::span<const uint8_t> attrs, Fn&& fn) {
  size_t pos = 0;
  while (attrs.size() - pos >= sizeof(rtattr)) {
    rtattr a;
    std::memcpy(&a, attrs.data() + pos, sizeof(a));
    if (a.rta_len < sizeof(rtattr) || a.rta_len > attrs.size() - pos) return false;
    fn(static_cast<uint16_t>(a.rta_type & NLA_TYPE_MASK), attrs.subspan(pos + RTA_LENGTH(0), a.rta_len - RTA_LENGTH(0)));
    size_t step = RTA_ALIGN(a.rta_len);
    if (step > attrs.size() - pos) break;  // the last attribute may omit its padding
    pos += step;
  }
  return true;
}

std::string attribute_string(std::span<const uint8_t> v) {
  size_t n = 0;
  while (n < v.size() && v[n] != 0) ++n;
  return std::string(reinterpret_cast<const char*>(v.data()), n);
}

std::optional<SocketAddress> attribute_address(uint8_t family, std::span<const uint8_t> v) {
  SocketAddress a;
  if (family == AF_INET && v.size() == 4) {
    a.family = SocketAddress::Family::kV4;
  } else if (family == AF_INET6 && v.size() == 16) {
    a.family = SocketAddress::Family::kV6;
  } else {
    return std::nullopt;
  }
  std::memcpy(a.ip.data(), v.data(), v.size());
  return a;
}

bool parse_address(std::span<const uint8_t> payload, bool removed, NetlinkAddress& out) {
  ifaddrmsg m;
  if (!read_struct(payload, 0, m)) return false;
  if (m.ifa_family != AF_INET && m.ifa_family != AF_INET6) return false;
  out.removed = removed;
  out.index = m.ifa_index;
  out.prefix_length = m.ifa_prefixlen;
  out.scope = m.ifa_scope;
  out.flags = m.ifa_flags;
  std::optional<SocketAddress> local, address;
  bool ok = for_each_attribute(payload.subspan(NLMSG_ALIGN(sizeof(ifaddrmsg)) <= payload.size()
                                                   ? NLMSG_ALIGN(sizeof(ifaddrmsg))
                                                   : payload.size()),
                               [&](uint16_t type, std::span<const uint8_t> v) {
                                 if (type == IFA_LOCAL) local = attribute_address(m.ifa_family, v);
                                 else if (type == IFA_ADDRESS) address = attribute_address(m.ifa_family, v);
                                 else if (type == IFA_LABEL) out.label = attribute_string(v);
                                 else if (type == IFA_FLAGS && v.size() >= 4) std::memcpy(&out.flags, v.data(), 4);
                               });
  if (!ok) return false;
  // IPv4 point-to-point links put the peer in IFA_ADDRESS and our own in IFA_LOCAL.
  if (local) out.address = *local;
  else if (address) out.address = *address;
  else return false;
  return true;
}

bool parse_link(std::span<const uint8_t> payload, bool removed, NetlinkLink& out) {
  ifinfomsg m;
  if (!read_struct(payload, 0, m)) return false;
  if (m.ifi_index <= 0) return false;
  out.removed = removed;
  out.index = static_cast<uint32_t>(m.ifi_index);
  out.flags = m.ifi_flags;
  size_t start = NLMSG_ALIGN(sizeof(ifinfomsg));
  if (start > payload.size()) start = payload.size();
  return for_each_attribute(payload.subspan(start), [&](uint16_t type, std::span<const uint8_t> v) {
    if (type == IFLA_IFNAME) out.name = attribute_string(v);
  });
}

}  // namespace

NetlinkBatch parse_netlink(std::span<const uint8_t> bytes) {
  NetlinkBatch b;
  size_t pos = 0;
  while (bytes.size() - pos >= sizeof(nlmsghdr)) {
    nlmsghdr h;
    std::memcpy(&h, bytes.data() + pos, sizeof(h));
    if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > bytes.size() - pos) {
      ++b.malformed;  // a length that lies: nothing after it can be trusted
      break;
    }
    if (h.nlmsg_len < NLMSG_HDRLEN) {
      ++b.malformed;
      break;
    }
    if (h.nlmsg_flags & NLM_F_DUMP_INTR) b.interrupted = true;
    auto payload = bytes.subspan(pos + NLMSG_HDRLEN, h.nlmsg_len - NLMSG_HDRLEN);
    switch (h.nlmsg_type) {
      case NLMSG_DONE:
        b.done = true;
        break;
      case NLMSG_ERROR: {
        nlmsgerr e;
        if (!read_struct(payload, 0, e)) ++b.malformed;
        else if (e.error != 0) b.error = -e.error;  // 0 is an ACK
        break;
      }
      case RTM_NEWADDR:
      case RTM_DELADDR: {
        NetlinkAddress a;
        if (parse_address(payload, h.nlmsg_type == RTM_DELADDR, a)) {
          b.records.emplace_back(std::move(a));
        } else {
          ++b.malformed;
        }
        break;
      }
      case RTM_NEWLINK:
      case RTM_DELLINK: {
        NetlinkLink l;
        if (parse_link(payload, h.nlmsg_type == RTM_DELLINK, l)) {
          b.records.emplace_back(std::move(l));
        } else {
          ++b.malformed;
        }
        break;
      }
      default:
        break;
    }
    size_t step = NLMSG_ALIGN(h.nlmsg_len);
    if (step > bytes.size() - pos) break;
    pos += step;
  }
  return b;
}

bool is_link_local(const SocketAddress& a) {
  if (a.family == SocketAddress::Family::kV4) return a.ip[0] == 169 && a.ip[1] == 254;
  if (a.family == SocketAddress::Family::kV6) return a.ip[0] == 0xfe && (a.ip[1] & 0xc0) == 0x80;
  return false;
}

bool is_loopback_address(const SocketAddress& a) {
  if (a.family == SocketAddress::Family::kV4) return a.ip[0] == 127;
  if (a.family == SocketAddress::Family::kV6) {
    static const std::array<uint8_t, 16> v6_loopback{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return a.ip == v6_loopback;
  }
  return false;
}

}  // namespace braid::io

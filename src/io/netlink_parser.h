// Decoding of rtnetlink messages (RTM_NEWADDR/DELADDR, RTM_NEWLINK/DELLINK, NLMSG_DONE and
// NLMSG_ERROR) into plain records. Pure functions over bytes so the kernel's input can be
// tested with hand-built messages: anything truncated or malformed is counted and skipped,
// never read past its end.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "braid/address.h"

namespace braid::io {

// One address as RTM_NEWADDR / RTM_DELADDR describe it.
struct NetlinkAddress {
  bool removed = false;      // RTM_DELADDR
  uint32_t index = 0;        // interface index
  SocketAddress address;     // IFA_LOCAL (IPv4) or IFA_ADDRESS, port 0
  uint8_t prefix_length = 0;
  uint8_t scope = 0;         // RT_SCOPE_*
  uint32_t flags = 0;        // IFA_F_* (IFA_FLAGS when present, else ifa_flags)
  std::string label;         // IFA_LABEL (IPv4 only; often the interface name)
};

// One link as RTM_NEWLINK / RTM_DELLINK describe it.
struct NetlinkLink {
  bool removed = false;      // RTM_DELLINK
  uint32_t index = 0;
  uint32_t flags = 0;        // IFF_* (IFF_UP, IFF_RUNNING, IFF_LOOPBACK, ...)
  std::string name;          // IFLA_IFNAME
};

using NetlinkRecord = std::variant<NetlinkAddress, NetlinkLink>;

struct NetlinkBatch {
  std::vector<NetlinkRecord> records;     // in arrival order (a link before its addresses)
  bool done = false;                      // NLMSG_DONE seen (a dump finished)
  bool interrupted = false;               // NLM_F_DUMP_INTR: the dump raced a change; redo it
  std::optional<int> error;               // NLMSG_ERROR with a non-zero errno (positive)
  uint32_t malformed = 0;                 // messages skipped as truncated or inconsistent
};

// Parses every netlink message in `bytes` (one recv() worth). Messages of other types are
// ignored; a message whose header or payload does not fit ends the walk (counted).
NetlinkBatch parse_netlink(std::span<const uint8_t> bytes);

// IPv6 fe80::/10 and IPv4 169.254.0.0/16.
bool is_link_local(const SocketAddress& a);
// 127.0.0.0/8 and ::1.
bool is_loopback_address(const SocketAddress& a);

}  // namespace braid::io

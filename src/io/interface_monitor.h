// Follows the host's interfaces through rtnetlink (NETLINK_ROUTE, groups IPv4/IPv6 address
// and link): an initial dump of links and addresses, then every change as it happens, with
// the netlink fd on the EventLoop. Reports which local addresses are usable: present, on a
// link that is up and running, and not tentative, deprecated or DAD-failed (IPv6), nor
// link-local unless asked. A link going down reports its addresses removed; coming back up,
// added again, so a consumer only has to follow addresses.
//
// Call order: create() (dumps synchronously, so usable() is complete when it returns), then
// events arrive through the callback from inside the loop. Single-threaded like the loop.
#pragma once
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "braid/address.h"
#include "io/event_loop.h"
#include "io/netlink_parser.h"

namespace braid::io {

enum class InterfaceEventType : uint8_t { kAddressAdded, kAddressRemoved, kLinkUp, kLinkDown };
const char* interface_event_name(InterfaceEventType t);

struct InterfaceEvent {
  InterfaceEventType type = InterfaceEventType::kAddressAdded;
  uint32_t index = 0;
  std::string name;          // interface name (empty when the link was never seen)
  SocketAddress address;     // address events only; port 0
  uint32_t flags = 0;        // IFA_F_* for address events, IFF_* for link events
  bool loopback = false;     // on a loopback link, or a loopback address
};

struct InterfaceMonitorOptions {
  bool include_link_local = false;  // fe80::/10, 169.254/16 (they need a scope to be used)
  bool include_tentative = false;   // IPv6 addresses still in DAD, deprecated, or DAD-failed
};

// What the monitor decides from netlink records; separate from the socket so the rules can
// be tested with hand-built records.
class InterfaceTable {
 public:
  explicit InterfaceTable(InterfaceMonitorOptions options = {}) : opts_(options) {}
  // Applies one record; appends the usable-address and link transitions it causes.
  void apply(const NetlinkRecord& r, std::vector<InterfaceEvent>& out);
  // Resynchronisation after lost messages (ENOBUFS): everything not in `records` goes away.
  void replace_all(std::span<const NetlinkRecord> records, std::vector<InterfaceEvent>& out);
  std::vector<InterfaceEvent> usable() const;  // kAddressAdded for every usable address

 private:
  struct Link {
    std::string name;
    uint32_t flags = 0;
    bool known = false;   // an RTM_NEWLINK was seen (otherwise assumed up)
  };
  struct Address {
    uint32_t flags = 0;
    uint8_t scope = 0;
    bool usable = false;  // reported as added
  };
  using Key = std::pair<uint32_t, SocketAddress>;
  bool link_up(uint32_t index) const;
  bool address_ok(const SocketAddress& a, uint32_t flags) const;
  InterfaceEvent address_event(InterfaceEventType t, const Key& k, const Address& a) const;
  void set_usable(const Key& k, Address& a, bool usable, std::vector<InterfaceEvent>& out);

  InterfaceMonitorOptions opts_;
  std::map<uint32_t, Link> links_;
  std::map<Key, Address> addresses_;
};

class InterfaceMonitor {
 public:
  using Callback = std::function<void(const InterfaceEvent&)>;
  static std::expected<std::unique_ptr<InterfaceMonitor>, std::string> create(EventLoop& loop, Callback on_event,
                                                                              InterfaceMonitorOptions options = {});
  ~InterfaceMonitor();
  InterfaceMonitor(const InterfaceMonitor&) = delete;
  InterfaceMonitor& operator=(const InterfaceMonitor&) = delete;

  // Every usable address now, as kAddressAdded events (the initial state after create()).
  std::vector<InterfaceEvent> usable() const { return table_.usable(); }
  uint64_t resyncs() const { return resyncs_; }        // dumps redone after ENOBUFS
  uint64_t malformed() const { return malformed_; }    // messages skipped by the parser

 private:
  InterfaceMonitor(EventLoop& loop, int fd, Callback cb, InterfaceMonitorOptions options);
  std::expected<std::vector<NetlinkRecord>, std::string> dump();
  std::expected<void, std::string> request_dump(uint16_t type);
  void on_readable();
  void resync();

  EventLoop& loop_;
  int fd_;
  Callback cb_;
  InterfaceTable table_;
  uint32_t seq_ = 0;
  uint64_t resyncs_ = 0;
  uint64_t malformed_ = 0;
  std::vector<uint8_t> buffer_;
};

}  // namespace braid::io

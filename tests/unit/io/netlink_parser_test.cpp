// rtnetlink decoding against hand-built messages: addresses and links come out as records,
// truncated or lying lengths are counted and skipped without reading past the buffer, and
// the interface table turns records into usable-address and link events.
#include "io/netlink_parser.h"

#include <gtest/gtest.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <cstring>
#include <random>

#include "io/interface_monitor.h"

namespace braid::io {
namespace {

// Builds netlink messages byte by byte, as the kernel lays them out.
class MessageBuilder {
 public:
  MessageBuilder& begin(uint16_t type, uint16_t flags = 0) {
    start_ = bytes_.size();
    nlmsghdr h{};
    h.nlmsg_type = type;
    h.nlmsg_flags = flags;
    append(&h, sizeof(h));
    return *this;
  }
  MessageBuilder& address_header(uint8_t family, uint8_t prefix, uint8_t flags, uint8_t scope, uint32_t index) {
    ifaddrmsg m{};
    m.ifa_family = family;
    m.ifa_prefixlen = prefix;
    m.ifa_flags = flags;
    m.ifa_scope = scope;
    m.ifa_index = index;
    append(&m, sizeof(m));
    return *this;
  }
  MessageBuilder& link_header(int index, uint32_t flags) {
    ifinfomsg m{};
    m.ifi_family = AF_UNSPEC;
    m.ifi_index = index;
    m.ifi_flags = flags;
    append(&m, sizeof(m));
    return *this;
  }
  MessageBuilder& attribute(uint16_t type, const void* data, size_t len) {
    rtattr a{};
    a.rta_type = type;
    a.rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
    append(&a, sizeof(a));
    append(data, len);
    pad();
    return *this;
  }
  MessageBuilder& text(uint16_t type, const std::string& s) { return attribute(type, s.c_str(), s.size() + 1); }
  MessageBuilder& end() {
    uint32_t len = static_cast<uint32_t>(bytes_.size() - start_);
    std::memcpy(bytes_.data() + start_, &len, sizeof(len));
    pad();
    return *this;
  }
  MessageBuilder& error(int err) {
    begin(NLMSG_ERROR);
    nlmsgerr e{};
    e.error = -err;
    append(&e, sizeof(e));
    return end();
  }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  void append(const void* p, size_t n) {
    auto* b = static_cast<const uint8_t*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
  }
  void pad() {
    while (bytes_.size() % 4) bytes_.push_back(0);
  }
  std::vector<uint8_t> bytes_;
  size_t start_ = 0;
};

const uint8_t kV4a[4] = {10, 77, 1, 2};
const uint8_t kV4peer[4] = {10, 77, 1, 1};
uint8_t kV6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
uint8_t kV6LinkLocal[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};

void add_v4(MessageBuilder& b, uint16_t type, uint32_t index, const uint8_t* addr, const char* label = "veth0") {
  b.begin(type).address_header(AF_INET, 24, IFA_F_PERMANENT, RT_SCOPE_UNIVERSE, index)
      .attribute(IFA_ADDRESS, addr, 4).attribute(IFA_LOCAL, addr, 4).text(IFA_LABEL, label).end();
}

void add_v6(MessageBuilder& b, uint16_t type, uint32_t index, const uint8_t* addr, uint32_t flags) {
  b.begin(type).address_header(AF_INET6, 64, static_cast<uint8_t>(flags & 0xff), RT_SCOPE_UNIVERSE, index)
      .attribute(IFA_ADDRESS, addr, 16).attribute(IFA_FLAGS, &flags, 4).end();
}

void add_link(MessageBuilder& b, uint16_t type, int index, uint32_t flags, const std::string& name) {
  b.begin(type).link_header(index, flags).text(IFLA_IFNAME, name).end();
}

TEST(NetlinkParser, AddressAndLinkMessages) {
  MessageBuilder b;
  add_link(b, RTM_NEWLINK, 3, IFF_UP | IFF_RUNNING, "veth0");
  add_v4(b, RTM_NEWADDR, 3, kV4a);
  add_v6(b, RTM_DELADDR, 3, kV6, IFA_F_TENTATIVE | 0x100 /* above the u8 field */);
  b.begin(NLMSG_DONE).end();
  auto r = parse_netlink(b.bytes());
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.malformed, 0u);
  EXPECT_FALSE(r.error);
  const auto& link = std::get<NetlinkLink>(r.records[0]);
  EXPECT_EQ(link.index, 3u);
  EXPECT_EQ(link.name, "veth0");
  EXPECT_EQ(link.flags, unsigned(IFF_UP | IFF_RUNNING));
  const auto& v4 = std::get<NetlinkAddress>(r.records[1]);
  EXPECT_FALSE(v4.removed);
  EXPECT_EQ(v4.address.to_string(), "10.77.1.2:0");
  EXPECT_EQ(v4.prefix_length, 24);
  EXPECT_EQ(v4.label, "veth0");
  const auto& v6 = std::get<NetlinkAddress>(r.records[2]);
  EXPECT_TRUE(v6.removed);
  EXPECT_EQ(v6.address.family, SocketAddress::Family::kV6);
  EXPECT_EQ(v6.flags, uint32_t(IFA_F_TENTATIVE | 0x100));  // IFA_FLAGS wins over ifa_flags
}

TEST(NetlinkParser, PointToPointTakesIfaLocal) {
  MessageBuilder b;
  b.begin(RTM_NEWADDR).address_header(AF_INET, 32, 0, RT_SCOPE_UNIVERSE, 4)
      .attribute(IFA_ADDRESS, kV4peer, 4).attribute(IFA_LOCAL, kV4a, 4).end();
  auto r = parse_netlink(b.bytes());
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(std::get<NetlinkAddress>(r.records[0]).address.to_string(), "10.77.1.2:0");
}

TEST(NetlinkParser, ErrorsAndAcks) {
  MessageBuilder b;
  b.error(0);  // an ACK
  auto ack = parse_netlink(b.bytes());
  EXPECT_FALSE(ack.error);
  MessageBuilder e;
  e.error(EPERM);
  auto r = parse_netlink(e.bytes());
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, EPERM);
}

TEST(NetlinkParser, DumpInterruptedFlag) {
  MessageBuilder b;
  b.begin(NLMSG_DONE, NLM_F_DUMP_INTR).end();
  EXPECT_TRUE(parse_netlink(b.bytes()).interrupted);
}

TEST(NetlinkParser, MalformedMessagesAreSkipped) {
  // Address with a wrong-sized IFA_ADDRESS and no IFA_LOCAL: no address, counted.
  MessageBuilder b;
  b.begin(RTM_NEWADDR).address_header(AF_INET, 24, 0, 0, 2).attribute(IFA_ADDRESS, kV4a, 3).end();
  // Unknown family.
  b.begin(RTM_NEWADDR).address_header(AF_UNIX, 0, 0, 0, 2).attribute(IFA_ADDRESS, kV4a, 4).end();
  // Link with index 0.
  add_link(b, RTM_NEWLINK, 0, IFF_UP, "bad");
  // Payload shorter than ifaddrmsg.
  b.begin(RTM_NEWADDR).end();
  // A good one after the bad ones still comes through.
  add_v4(b, RTM_NEWADDR, 2, kV4a);
  auto r = parse_netlink(b.bytes());
  EXPECT_EQ(r.malformed, 4u);
  ASSERT_EQ(r.records.size(), 1u);
}

TEST(NetlinkParser, AttributeLengthBeyondMessage) {
  MessageBuilder b;
  b.begin(RTM_NEWADDR).address_header(AF_INET, 24, 0, 0, 2).attribute(IFA_LOCAL, kV4a, 4).end();
  // Make the attribute claim more bytes than the message holds.
  size_t attr = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifaddrmsg));
  unsigned short big = 200;
  std::memcpy(b.bytes().data() + attr, &big, sizeof(big));
  auto r = parse_netlink(b.bytes());
  EXPECT_EQ(r.records.size(), 0u);
  EXPECT_EQ(r.malformed, 1u);
}

TEST(NetlinkParser, MessageLengthBeyondBufferStopsTheWalk) {
  MessageBuilder b;
  add_v4(b, RTM_NEWADDR, 2, kV4a);
  uint32_t lie = static_cast<uint32_t>(b.bytes().size() + 100);
  std::memcpy(b.bytes().data(), &lie, sizeof(lie));
  auto r = parse_netlink(b.bytes());
  EXPECT_EQ(r.records.size(), 0u);
  EXPECT_EQ(r.malformed, 1u);
  uint32_t tiny = 4;  // shorter than the header itself
  std::memcpy(b.bytes().data(), &tiny, sizeof(tiny));
  EXPECT_EQ(parse_netlink(b.bytes()).malformed, 1u);
}

TEST(NetlinkParser, EveryTruncationAndRandomBytesAreSafe) {
  MessageBuilder b;
  add_link(b, RTM_NEWLINK, 3, IFF_UP | IFF_RUNNING, "veth0");
  add_v4(b, RTM_NEWADDR, 3, kV4a);
  add_v6(b, RTM_NEWADDR, 3, kV6, 0);
  const auto full = b.bytes();
  size_t whole = parse_netlink(full).records.size();
  for (size_t n = 0; n <= full.size(); ++n) {
    auto r = parse_netlink(std::span<const uint8_t>(full.data(), n));
    EXPECT_LE(r.records.size(), whole);  // under ASan, any over-read fails here
  }
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    auto copy = full;
    for (int k = 0; k < 4; ++k) copy[rng() % copy.size()] = static_cast<uint8_t>(rng());
    (void)parse_netlink(copy);
  }
}

TEST(NetlinkParser, AddressClasses) {
  EXPECT_TRUE(is_link_local(*SocketAddress::parse("fe80::1")));
  EXPECT_TRUE(is_link_local(*SocketAddress::parse("169.254.3.4")));
  EXPECT_FALSE(is_link_local(*SocketAddress::parse("10.77.1.2")));
  EXPECT_TRUE(is_loopback_address(*SocketAddress::parse("127.0.0.2")));
  EXPECT_TRUE(is_loopback_address(*SocketAddress::parse("::1")));
  EXPECT_FALSE(is_loopback_address(*SocketAddress::parse("2001:db8::1")));
}

// ---- InterfaceTable -----------------------------------------------------------------------

std::vector<InterfaceEvent> apply_all(InterfaceTable& t, MessageBuilder& b) {
  std::vector<InterfaceEvent> out;
  for (const auto& r : parse_netlink(b.bytes()).records) t.apply(r, out);
  return out;
}

TEST(InterfaceTable, AddressAddedAndRemoved) {
  InterfaceTable t;
  MessageBuilder b;
  add_link(b, RTM_NEWLINK, 3, IFF_UP | IFF_RUNNING, "veth0");
  add_v4(b, RTM_NEWADDR, 3, kV4a);
  auto ev = apply_all(t, b);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].type, InterfaceEventType::kLinkUp);
  EXPECT_EQ(ev[1].type, InterfaceEventType::kAddressAdded);
  EXPECT_EQ(ev[1].name, "veth0");
  EXPECT_EQ(ev[1].index, 3u);
  EXPECT_FALSE(ev[1].loopback);
  EXPECT_EQ(t.usable().size(), 1u);
  // The kernel repeats RTM_NEWADDR on changes (lifetimes): no second "added".
  MessageBuilder again;
  add_v4(again, RTM_NEWADDR, 3, kV4a);
  EXPECT_TRUE(apply_all(t, again).empty());
  MessageBuilder del;
  add_v4(del, RTM_DELADDR, 3, kV4a);
  ev = apply_all(t, del);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, InterfaceEventType::kAddressRemoved);
  EXPECT_TRUE(t.usable().empty());
  // Removing what is not there says nothing.
  EXPECT_TRUE(apply_all(t, del).empty());
}

TEST(InterfaceTable, LinkDownRemovesItsAddressesAndUpRestoresThem) {
  InterfaceTable t;
  MessageBuilder b;
  add_link(b, RTM_NEWLINK, 3, IFF_UP | IFF_RUNNING, "veth0");
  add_v4(b, RTM_NEWADDR, 3, kV4a);
  apply_all(t, b);
  MessageBuilder down;
  add_link(down, RTM_NEWLINK, 3, IFF_UP, "veth0");  // carrier lost: not RUNNING
  auto ev = apply_all(t, down);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].type, InterfaceEventType::kLinkDown);
  EXPECT_EQ(ev[1].type, InterfaceEventType::kAddressRemoved);
  MessageBuilder up;
  add_link(up, RTM_NEWLINK, 3, IFF_UP | IFF_RUNNING, "veth0");
  ev = apply_all(t, up);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].type, InterfaceEventType::kAddressAdded);
  EXPECT_EQ(ev[1].type, InterfaceEventType::kLinkUp);
  MessageBuilder gone;
  add_link(gone, RTM_DELLINK, 3, IFF_UP | IFF_RUNNING, "veth0");
  ev = apply_all(t, gone);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].type, InterfaceEventType::kAddressRemoved);
  EXPECT_EQ(ev[1].type, InterfaceEventType::kLinkDown);
  EXPECT_TRUE(t.usable().empty());
}

TEST(InterfaceTable, TentativeDeprecatedAndLinkLocalSkipped) {
  InterfaceTable t;
  MessageBuilder b;
  add_link(b, RTM_NEWLINK, 3, IFF_UP | IFF_RUNNING, "veth0");
  add_v6(b, RTM_NEWADDR, 3, kV6, IFA_F_TENTATIVE);
  add_v6(b, RTM_NEWADDR, 3, kV6LinkLocal, IFA_F_PERMANENT);
  auto ev = apply_all(t, b);
  ASSERT_EQ(ev.size(), 1u);  // the link only
  // DAD finished: the same address without TENTATIVE becomes usable.
  MessageBuilder dad;
  add_v6(dad, RTM_NEWADDR, 3, kV6, IFA_F_PERMANENT);
  ev = apply_all(t, dad);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, InterfaceEventType::kAddressAdded);
  // Deprecated: no longer for new paths.
  MessageBuilder dep;
  add_v6(dep, RTM_NEWADDR, 3, kV6, IFA_F_DEPRECATED);
  ev = apply_all(t, dep);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, InterfaceEventType::kAddressRemoved);

  InterfaceTable all(InterfaceMonitorOptions{.include_link_local = true, .include_tentative = true});
  MessageBuilder b2;
  add_v6(b2, RTM_NEWADDR, 3, kV6, IFA_F_TENTATIVE);
  add_v6(b2, RTM_NEWADDR, 3, kV6LinkLocal, IFA_F_PERMANENT);
  EXPECT_EQ(apply_all(all, b2).size(), 2u);
}

TEST(InterfaceTable, LoopbackMarked) {
  InterfaceTable t;
  MessageBuilder b;
  add_link(b, RTM_NEWLINK, 1, IFF_UP | IFF_RUNNING | IFF_LOOPBACK, "lo");
  const uint8_t lo2[4] = {127, 0, 0, 2};
  add_v4(b, RTM_NEWADDR, 1, lo2, "lo");
  auto ev = apply_all(t, b);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_TRUE(ev[1].loopback);
  EXPECT_EQ(ev[1].name, "lo");
}

TEST(InterfaceTable, ResyncReportsOnlyDifferences) {
  InterfaceTable t;
  MessageBuilder b;
  add_link(b, RTM_NEWLINK, 3, IFF_UP | IFF_RUNNING, "veth0");
  add_v4(b, RTM_NEWADDR, 3, kV4a);
  apply_all(t, b);
  // Fresh dump: the link, a different address; the old one went while messages were lost.
  MessageBuilder d;
  add_link(d, RTM_NEWLINK, 3, IFF_UP | IFF_RUNNING, "veth0");
  add_v4(d, RTM_NEWADDR, 3, kV4peer);
  auto records = parse_netlink(d.bytes()).records;
  std::vector<InterfaceEvent> ev;
  t.replace_all(records, ev);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].type, InterfaceEventType::kAddressRemoved);
  EXPECT_EQ(ev[0].address.to_string(), "10.77.1.2:0");
  EXPECT_EQ(ev[1].type, InterfaceEventType::kAddressAdded);
  EXPECT_EQ(ev[1].address.to_string(), "10.77.1.1:0");
}

// The real socket: the initial dump finds loopback's 127.0.0.1 on every Linux host.
TEST(InterfaceMonitor, InitialDumpHasLoopback) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop);
  auto m = InterfaceMonitor::create(**loop, [](const InterfaceEvent&) {});
  if (!m) GTEST_SKIP() << "no rtnetlink here: " << m.error();
  bool found = false;
  for (const auto& e : (*m)->usable()) {
    if (e.address.to_string() == "127.0.0.1:0") {
      found = true;
      EXPECT_TRUE(e.loopback);
      EXPECT_EQ(e.name, "lo");
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ((*m)->malformed(), 0u);
}

}  // namespace
}  // namespace braid::io

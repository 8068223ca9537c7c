// RttPriorStore: tier order, EWMA arithmetic, min_samples, the LRU bound and the text form.
#include <gtest/gtest.h>

#include <thread>

#include "braid/rtt_prior.h"

namespace braid {
namespace {

using namespace std::chrono_literals;

SocketAddress addr(std::string_view text) {
  auto a = SocketAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(SocketAddress{});
}

const SocketAddress kPeerA = addr("192.0.2.1:443");
const SocketAddress kPeerB = addr("192.0.2.2:443");
const SocketAddress kPeerC = addr("192.0.2.3:443");
const SocketAddress kLocal1 = addr("198.51.100.7:50000");
const SocketAddress kLocal2 = addr("203.0.113.9:50001");

void record_n(RttPriorStore& s, const SocketAddress& peer, const SocketAddress& local, int n, Duration srtt,
              Duration rttvar) {
  for (int i = 0; i < n; ++i) ASSERT_TRUE(s.record(peer, local, srtt, rttvar));
}

void expect_prior(const RttPrior& p, Duration srtt, Duration rttvar, uint32_t samples, RttPriorTier tier) {
  EXPECT_EQ(p.smoothed_rtt, srtt);
  EXPECT_EQ(p.rtt_variance, rttvar);
  EXPECT_EQ(p.samples, samples);
  EXPECT_EQ(p.tier, tier) << rtt_prior_tier_name(p.tier);
}

TEST(RttPriorStore, TierNames) {
  EXPECT_EQ(rtt_prior_tier_name(RttPriorTier::kPeerAndLocal), "peer+local");
  EXPECT_EQ(rtt_prior_tier_name(RttPriorTier::kPeer), "peer");
  EXPECT_EQ(rtt_prior_tier_name(RttPriorTier::kLocal), "local");
  EXPECT_EQ(rtt_prior_tier_name(RttPriorTier::kGlobal), "global");
  EXPECT_EQ(rtt_prior_tier_name(RttPriorTier::kDefault), "default");
}

TEST(RttPriorStore, EmptyStoreGivesDefault) {
  RttPriorStore s;
  expect_prior(s.lookup(kPeerA, kLocal1), 333ms, 166500us, 0, RttPriorTier::kDefault);
  EXPECT_EQ(s.size(), 0u);
  RttPriorStore::Options o;
  o.default_rtt = 100ms;
  RttPriorStore custom(o);
  expect_prior(custom.lookup(kPeerA, kLocal1), 100ms, 50ms, 0, RttPriorTier::kDefault);
}

TEST(RttPriorStore, TierOrder) {
  RttPriorStore s;
  // Peer A seen via local 2 three times: tiers peer(A), local(2) and global get 3 samples.
  record_n(s, kPeerA, kLocal2, 3, 80ms, 8ms);
  // Peer A via local 1 twice: peer+local(A,1) has only 2 samples, so (A,1) falls to the peer tier.
  record_n(s, kPeerA, kLocal1, 2, 20ms, 2ms);
  RttPrior p = s.lookup(kPeerA, kLocal1);
  EXPECT_EQ(p.tier, RttPriorTier::kPeer);
  EXPECT_EQ(p.samples, 5u);
  // The third (A,1) sample makes peer+local win, with only the (A,1) samples in it.
  record_n(s, kPeerA, kLocal1, 1, 20ms, 2ms);
  expect_prior(s.lookup(kPeerA, kLocal1), 20ms, 2ms, 3, RttPriorTier::kPeerAndLocal);
  // Same peer, a local address never used with it: peer tier. Ports are ignored.
  p = s.lookup(addr("192.0.2.1:8443"), addr("203.0.113.200:1"));
  EXPECT_EQ(p.tier, RttPriorTier::kPeer);
  EXPECT_EQ(p.samples, 6u);
  // Unknown peer on a known local interface (local 2 has 3 samples): local tier, exact values.
  expect_prior(s.lookup(kPeerC, addr("203.0.113.9:1234")), 80ms, 8ms, 3, RttPriorTier::kLocal);
  // Unknown peer, local 1 has only 3 samples too -> local; an unknown local -> global.
  EXPECT_EQ(s.lookup(kPeerC, kLocal1).tier, RttPriorTier::kLocal);
  p = s.lookup(kPeerC, addr("203.0.113.200:1"));
  EXPECT_EQ(p.tier, RttPriorTier::kGlobal);
  EXPECT_EQ(p.samples, 6u);
  // Unspecified / missing addresses key nothing.
  EXPECT_EQ(s.lookup(SocketAddress{}, addr("0.0.0.0")).tier, RttPriorTier::kGlobal);
  EXPECT_EQ(s.size(), 5u);  // peer+local (A,2) and (A,1), peer A, local 2 and local 1
}

TEST(RttPriorStore, EwmaHandComputed) {
  RttPriorStore s;  // weight 0.25
  ASSERT_TRUE(s.record(kPeerA, kLocal1, 100ms, 10ms));  // first sample is taken as is
  ASSERT_TRUE(s.record(kPeerA, kLocal1, 200ms, 30ms));  // 0.75*100 + 0.25*200 = 125; 0.75*10 + 0.25*30 = 15
  ASSERT_TRUE(s.record(kPeerA, kLocal1, 60ms, 5ms));    // 0.75*125 + 0.25*60 = 108.75; 0.75*15 + 0.25*5 = 12.5
  expect_prior(s.lookup(kPeerA, kLocal1), 108750us, 12500us, 3, RttPriorTier::kPeerAndLocal);

  RttPriorStore::Options o;
  o.weight = 0.5;
  o.min_samples = 2;
  RttPriorStore half(o);
  ASSERT_TRUE(half.record(kPeerA, kLocal1, 10ms, 0ms));
  ASSERT_TRUE(half.record(kPeerA, kLocal1, 13ms, 1ms));  // (10 + 13) / 2 = 11.5; (0 + 1) / 2 = 0.5
  expect_prior(half.lookup(kPeerA, kLocal1), 11500us, 500us, 2, RttPriorTier::kPeerAndLocal);
}

TEST(RttPriorStore, MinSamplesOption) {
  RttPriorStore::Options o;
  o.min_samples = 1;
  RttPriorStore one(o);
  ASSERT_TRUE(one.record(kPeerA, kLocal1, 42ms, 4ms));
  expect_prior(one.lookup(kPeerA, kLocal1), 42ms, 4ms, 1, RttPriorTier::kPeerAndLocal);

  o.min_samples = 5;
  RttPriorStore five(o);
  record_n(five, kPeerA, kLocal1, 4, 42ms, 4ms);
  EXPECT_EQ(five.lookup(kPeerA, kLocal1).tier, RttPriorTier::kDefault);  // even global has only 4
  record_n(five, kPeerA, kLocal1, 1, 42ms, 4ms);
  expect_prior(five.lookup(kPeerA, kLocal1), 42ms, 4ms, 5, RttPriorTier::kPeerAndLocal);

  o.min_samples = 0;  // acts as 1: an entry always has a sample, an empty store still gives default
  RttPriorStore zero(o);
  EXPECT_EQ(zero.options().min_samples, 1u);
  EXPECT_EQ(zero.lookup(kPeerA, kLocal1).tier, RttPriorTier::kDefault);
}

TEST(RttPriorStore, AbsurdSamplesIgnored) {
  RttPriorStore::Options o;
  o.min_samples = 1;
  RttPriorStore s(o);
  EXPECT_FALSE(s.record(kPeerA, kLocal1, 0ms, 1ms));
  EXPECT_FALSE(s.record(kPeerA, kLocal1, -5ms, 1ms));
  EXPECT_FALSE(s.record(kPeerA, kLocal1, 61s, 1ms));
  EXPECT_FALSE(s.record(kPeerA, kLocal1, 10ms, -1ms));
  EXPECT_FALSE(s.record(kPeerA, kLocal1, 10ms, 60s + 1ns));
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.lookup(kPeerA, kLocal1).tier, RttPriorTier::kDefault);
  EXPECT_TRUE(s.record(kPeerA, kLocal1, 60s, 60s));  // the limit itself is accepted
  EXPECT_TRUE(s.record(kPeerA, kLocal1, 10ms, 0ms));
  expect_prior(s.lookup(kPeerA, kLocal1), 45002500us, 45s, 2, RttPriorTier::kPeerAndLocal);
}

TEST(RttPriorStore, LruBoundPeerOnly) {
  RttPriorStore::Options o;
  o.max_entries = 4;
  o.min_samples = 1;
  RttPriorStore s(o);
  const SocketAddress none{};  // no local address: only the peer tier (and global) are keyed
  const SocketAddress peers[5] = {addr("10.0.0.1"), addr("10.0.0.2"), addr("10.0.0.3"), addr("10.0.0.4"),
                                  addr("10.0.0.5")};
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(s.record(peers[i], none, Duration{(i + 1) * 1ms}, 1ms));
  EXPECT_EQ(s.size(), 4u);
  EXPECT_EQ(s.lookup(peers[0], none).tier, RttPriorTier::kPeer);  // a lookup is a use: peer 1 is now newest
  ASSERT_TRUE(s.record(peers[4], none, 5ms, 1ms));                  // fifth key evicts peer 2, the oldest
  EXPECT_EQ(s.size(), 4u);
  EXPECT_EQ(s.lookup(peers[1], none).tier, RttPriorTier::kGlobal);
  expect_prior(s.lookup(peers[0], none), 1ms, 1ms, 1, RttPriorTier::kPeer);
  expect_prior(s.lookup(peers[2], none), 3ms, 1ms, 1, RttPriorTier::kPeer);
  expect_prior(s.lookup(peers[3], none), 4ms, 1ms, 1, RttPriorTier::kPeer);
  expect_prior(s.lookup(peers[4], none), 5ms, 1ms, 1, RttPriorTier::kPeer);
  // Order is now 1, 3, 4, 5 (oldest first); recording for an existing key is a use, too.
  ASSERT_TRUE(s.record(peers[0], none, 1ms, 1ms));
  ASSERT_TRUE(s.record(peers[1], none, 2ms, 1ms));  // evicts peer 3
  EXPECT_EQ(s.lookup(peers[2], none).tier, RttPriorTier::kGlobal);
  EXPECT_EQ(s.lookup(peers[0], none).tier, RttPriorTier::kPeer);
  EXPECT_EQ(s.size(), 4u);
}

TEST(RttPriorStore, LruBoundFullTuples) {
  RttPriorStore::Options o;
  o.max_entries = 4;
  o.min_samples = 1;
  RttPriorStore s(o);
  ASSERT_TRUE(s.record(kPeerA, kLocal1, 10ms, 1ms));  // keys: (A,1), A, 1
  EXPECT_EQ(s.size(), 3u);
  ASSERT_TRUE(s.record(kPeerB, kLocal1, 20ms, 2ms));  // adds (B,1) and B: evicts (A,1), the oldest
  EXPECT_EQ(s.size(), 4u);
  expect_prior(s.lookup(kPeerA, kLocal1), 10ms, 1ms, 1, RttPriorTier::kPeer);
  expect_prior(s.lookup(kPeerB, kLocal1), 20ms, 2ms, 1, RttPriorTier::kPeerAndLocal);
  EXPECT_EQ(s.lookup(kPeerC, kLocal1).tier, RttPriorTier::kLocal);
}

TEST(RttPriorStore, ZeroMaxEntriesKeepsOnlyGlobal) {
  RttPriorStore::Options o;
  o.max_entries = 0;
  o.min_samples = 1;
  RttPriorStore s(o);
  ASSERT_TRUE(s.record(kPeerA, kLocal1, 10ms, 1ms));
  EXPECT_EQ(s.size(), 0u);
  expect_prior(s.lookup(kPeerA, kLocal1), 10ms, 1ms, 1, RttPriorTier::kGlobal);
}

TEST(RttPriorStore, TextRoundTripV4AndV6) {
  RttPriorStore::Options o;
  o.min_samples = 1;
  RttPriorStore s(o);
  const SocketAddress peer6 = addr("[2001:db8::1]:443");
  const SocketAddress local6 = addr("[fe80::1:2]:5555");
  ASSERT_TRUE(s.record(kPeerA, kLocal1, 10ms, 1ms));
  ASSERT_TRUE(s.record(peer6, local6, 30ms, 3ms));
  ASSERT_TRUE(s.record(peer6, local6, 2400us, 200us));  // 0.75*30 + 0.25*2.4 = 23.1; 0.75*3 + 0.25*0.2 = 2.3
  const std::string text = s.to_text();
  EXPECT_EQ(text,
            "braid-rtt-cache 1\n"
            "global 11850 1175 3\n"  // srtt 10 -> 15 -> 11.85 ms, rttvar 1 -> 1.5 -> 1.175 ms
            "peer+local 192.0.2.1 198.51.100.7 10000 1000 1\n"
            "peer 192.0.2.1 10000 1000 1\n"
            "local 198.51.100.7 10000 1000 1\n"
            "peer+local 2001:db8::1 fe80::1:2 23100 2300 2\n"
            "peer 2001:db8::1 23100 2300 2\n"
            "local fe80::1:2 23100 2300 2\n");
  auto loaded = RttPriorStore::from_text(text, o);
  ASSERT_TRUE(loaded.has_value()) << loaded.error();
  EXPECT_EQ(loaded->size(), 6u);
  EXPECT_EQ(loaded->to_text(), text);
  expect_prior(loaded->lookup(peer6, local6), 23100us, 2300us, 2, RttPriorTier::kPeerAndLocal);
  expect_prior(loaded->lookup(kPeerA, kLocal1), 10ms, 1ms, 1, RttPriorTier::kPeerAndLocal);
  expect_prior(loaded->lookup(peer6, addr("::2")), 23100us, 2300us, 2, RttPriorTier::kPeer);
  expect_prior(loaded->lookup(addr("2001:db8::99"), local6), 23100us, 2300us, 2, RttPriorTier::kLocal);
}

TEST(RttPriorStore, LoadTextKeepsOptionsAndRestoresLruOrder) {
  RttPriorStore::Options o;
  o.max_entries = 2;
  o.min_samples = 1;
  RttPriorStore s(o);
  // Three peer entries, oldest first: loading into a bound of 2 keeps the two newest.
  auto r = s.load_text("braid-rtt-cache 1\n"
                       "peer 10.0.0.1 1000 100 1\n"
                       "peer 10.0.0.2 2000 200 1\n"
                       "\n"
                       "peer 10.0.0.3 3000 300 1\n");
  ASSERT_TRUE(r.has_value()) << r.error();
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(s.options().max_entries, 2u);
  EXPECT_EQ(s.lookup(addr("10.0.0.1"), SocketAddress{}).tier, RttPriorTier::kDefault);  // no global line
  expect_prior(s.lookup(addr("10.0.0.2"), SocketAddress{}), 2ms, 200us, 1, RttPriorTier::kPeer);
  expect_prior(s.lookup(addr("10.0.0.3"), SocketAddress{}), 3ms, 300us, 1, RttPriorTier::kPeer);
  // A failed load leaves the store as it was.
  EXPECT_FALSE(s.load_text("garbage").has_value());
  EXPECT_EQ(s.size(), 2u);
}

TEST(RttPriorStore, TextRoundsToMicroseconds) {
  RttPriorStore::Options o;
  o.min_samples = 1;
  RttPriorStore s(o);
  ASSERT_TRUE(s.record(addr("10.0.0.1"), SocketAddress{}, 400ns, 400ns));     // srtt written as at least 1 us
  ASSERT_TRUE(s.record(addr("10.0.0.2"), SocketAddress{}, 1500600ns, 499ns));  // nearest microsecond
  EXPECT_EQ(s.to_text(),
            "braid-rtt-cache 1\n"
            "global 375 0 2\n"  // 0.75*400 + 0.25*1500600 = 375450 ns; 0.75*400 + 0.25*499 = 425 ns
            "peer 10.0.0.1 1 0 1\n"
            "peer 10.0.0.2 1501 0 1\n");
  auto loaded = RttPriorStore::from_text(s.to_text(), o);
  ASSERT_TRUE(loaded.has_value()) << loaded.error();
  expect_prior(loaded->lookup(addr("10.0.0.2"), SocketAddress{}), 1501us, 0us, 1, RttPriorTier::kPeer);
}

TEST(RttPriorStore, CorruptTextRejectedWithLineNumber) {
  const RttPriorStore::Options o;
  auto err = [&](std::string_view text) {
    auto r = RttPriorStore::from_text(text, o);
    return r.has_value() ? std::string("accepted") : r.error();
  };
  EXPECT_EQ(err(""), "line 1: missing 'braid-rtt-cache' header");
  EXPECT_EQ(err("peer 10.0.0.1 1000 100 1\n"), "line 1: missing 'braid-rtt-cache' header");
  EXPECT_EQ(err("braid-rtt-cache 2\n"), "line 1: unsupported version '2'");
  const std::string h = "braid-rtt-cache 1\nglobal 1000 100 4\n";
  EXPECT_EQ(err(h + "peer 10.0.0.1 1000 100\n"), "line 3: 'peer' needs 4 fields, got 3");
  EXPECT_EQ(err(h + "peer 10.0.0.1 1000 100 1 7\n"), "line 3: 'peer' needs 4 fields, got 5");
  EXPECT_EQ(err(h + "remote 10.0.0.1 1000 100 1\n"), "line 3: unknown entry type 'remote'");
  EXPECT_EQ(err(h + "peer 10.0.0.256 1000 100 1\n"), "line 3: bad IP address '10.0.0.256'");
  EXPECT_EQ(err(h + "peer 10.0.0.1:80 1000 100 1\n"), "line 3: bad IP address '10.0.0.1:80'");
  EXPECT_EQ(err(h + "peer [::1] 1000 100 1\n"), "line 3: bad IP address '[::1]'");
  EXPECT_EQ(err(h + "local 0.0.0.0 1000 100 1\n"), "line 3: bad IP address '0.0.0.0'");
  EXPECT_EQ(err(h + "peer+local ::1 :: 1000 100 1\n"), "line 3: bad IP address '::'");
  EXPECT_EQ(err(h + "peer 10.0.0.1 0 100 1\n"), "line 3: bad srtt_us '0'");
  EXPECT_EQ(err(h + "peer 10.0.0.1 60000001 100 1\n"), "line 3: bad srtt_us '60000001'");
  EXPECT_EQ(err(h + "peer 10.0.0.1 -5 100 1\n"), "line 3: bad srtt_us '-5'");
  EXPECT_EQ(err(h + "peer 10.0.0.1 1000 1x 1\n"), "line 3: bad rttvar_us '1x'");
  EXPECT_EQ(err(h + "peer 10.0.0.1 1000 100 0\n"), "line 3: bad sample count '0'");
  EXPECT_EQ(err(h + "peer 10.0.0.1 1000 100 4294967296\n"), "line 3: bad sample count '4294967296'");
  EXPECT_EQ(err(h + "global 1000 100 1\n"), "line 3: duplicate global entry");
  EXPECT_EQ(err(h + "peer ::1 1000 100 1\npeer ::1 1000 100 1\n"), "line 4: duplicate 'peer' entry");
  EXPECT_EQ(err(h + "\n\npeer ::1 1000 100 1\nlocal ::1 1000\n"), "line 6: 'local' needs 4 fields, got 2");
  // Binary junk must not crash either.
  const char junk[] = "braid-rtt-cache 1\n\0\xff\x01 peer\n\xfe";
  EXPECT_EQ(err(std::string(junk, sizeof junk - 1)).substr(0, 27), "line 2: unknown entry type ");
  // CRLF line ends are tolerated.
  EXPECT_EQ(err("braid-rtt-cache 1\r\npeer ::1 1000 100 1\r\n"), "accepted");
}

TEST(RttPriorStore, CopyAndMove) {
  RttPriorStore::Options o;
  o.min_samples = 1;
  RttPriorStore a(o);
  ASSERT_TRUE(a.record(kPeerA, kLocal1, 10ms, 1ms));
  RttPriorStore b(a);
  EXPECT_EQ(b.to_text(), a.to_text());
  RttPriorStore c(std::move(a));
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(c.options().min_samples, 1u);
  RttPriorStore d;
  d = c;
  EXPECT_EQ(d.options().min_samples, 1u);
  expect_prior(d.lookup(kPeerA, kLocal1), 10ms, 1ms, 1, RttPriorTier::kPeerAndLocal);
}

TEST(RttPriorStore, ConcurrentRecordAndLookup) {
  RttPriorStore::Options o;
  o.max_entries = 8;
  RttPriorStore s(o);
  auto worker = [&s](uint8_t base) {
    for (int i = 0; i < 500; ++i) {
      auto peer = SocketAddress::v4(10, base, 0, static_cast<uint8_t>(i % 16), 443);
      ASSERT_TRUE(s.record(peer, kLocal1, 10ms, 1ms));
      (void)s.lookup(peer, kLocal1);
    }
  };
  std::thread t1(worker, 1), t2(worker, 2);
  t1.join();
  t2.join();
  EXPECT_EQ(s.size(), 8u);
  expect_prior(s.lookup(kPeerC, addr("203.0.113.200")), 10ms, 1ms, 1000, RttPriorTier::kGlobal);
}

}  // namespace
}  // namespace braid

// QUIC-LB (draft-ietf-quic-load-balancers-21): braid's encoder against the draft's worked
// example and test vectors, and a load balancer's decoder written here from the draft's
// "Load Balancer Actions" (independent of src/core/conn/quic_lb.cpp) that must find the
// server ID in the vectors and in every connection ID a braid server issues, on every path.
#include <gnutls/crypto.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "core/conn/quic_lb.h"
#include "tests/support/multipath_pair.h"
#include "tests/support/transfer.h"

namespace braid {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes hex(std::string_view h) {
  Bytes out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string to_hex(std::span<const uint8_t> b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t x : b) {
    s += d[x >> 4];
    s += d[x & 15];
  }
  return s;
}

const std::string kVectorKey = "8f95f09245765f80256934e50c66207f";

LoadBalancerConfig config(uint8_t cr, std::string_view sid, size_t nonce_len, std::optional<std::string> key) {
  LoadBalancerConfig c;
  c.config_id = cr;
  c.server_id = hex(sid);
  c.nonce_length = nonce_len;
  if (key) {
    auto k = hex(*key);
    std::array<uint8_t, 16> a{};
    std::copy(k.begin(), k.end(), a.begin());
    c.key = a;
  }
  return c;
}

// --- The load balancer side, from the draft's §5.5 pseudocode -----------------------------

// AES-128-ECB of one block (GnuTLS: CBC under a zero IV), either way.
Bytes ecb(const Bytes& key, const Bytes& block, bool decrypt = false) {
  gnutls_cipher_hd_t h;
  uint8_t iv[16] = {};
  gnutls_datum_t k{const_cast<uint8_t*>(key.data()), 16}, ivd{iv, 16};
  EXPECT_EQ(gnutls_cipher_init(&h, GNUTLS_CIPHER_AES_128_CBC, &k, &ivd), 0);
  Bytes out(16);
  if (decrypt) {
    gnutls_cipher_decrypt2(h, block.data(), 16, out.data(), 16);
  } else {
    gnutls_cipher_encrypt2(h, block.data(), 16, out.data(), 16);
  }
  gnutls_cipher_deinit(h);
  return out;
}

// The ciphertext as nibbles makes the odd-length split plain: left is the first
// plaintext_len nibbles, right the last plaintext_len nibbles.
struct Nibbles {
  std::vector<uint8_t> n;
  static Nibbles of(std::span<const uint8_t> b) {
    Nibbles x;
    for (uint8_t v : b) {
      x.n.push_back(v >> 4);
      x.n.push_back(v & 15);
    }
    return x;
  }
  // `count` nibbles from `from`, packed into half_len bytes: a left half ends in a zero
  // nibble when count is odd, a right half starts with one.
  Bytes pack(size_t from, size_t count, bool right) const {
    std::vector<uint8_t> v(n.begin() + static_cast<std::ptrdiff_t>(from), n.begin() + static_cast<std::ptrdiff_t>(from + count));
    if (count % 2) {
      if (right) v.insert(v.begin(), 0);
      else v.push_back(0);
    }
    Bytes out;
    for (size_t i = 0; i < v.size(); i += 2) out.push_back(static_cast<uint8_t>(v[i] << 4 | v[i + 1]));
    return out;
  }
};

Bytes lb_round(const Bytes& key, const Bytes& half, size_t plaintext_len, uint8_t pass, Bytes other) {
  Bytes in(16, 0);
  std::copy(half.begin(), half.end(), in.begin());
  in[14] = static_cast<uint8_t>(plaintext_len);
  in[15] = pass;
  Bytes r = ecb(key, in);
  for (size_t i = 0; i < other.size(); ++i) other[i] ^= r[i];
  return other;
}

// Server ID from a CID (first octet included), as a load balancer extracts it.
Bytes lb_server_id(const Bytes& cid, size_t sid_len, size_t nonce_len, const std::optional<Bytes>& key) {
  size_t len = sid_len + nonce_len;
  Bytes body(cid.begin() + 1, cid.begin() + 1 + static_cast<std::ptrdiff_t>(len));
  if (!key) return Bytes(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(sid_len));
  if (len == 16) {
    Bytes p = ecb(*key, body, true);
    return Bytes(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(sid_len));
  }
  bool odd = len % 2;
  auto nib = Nibbles::of(body);
  Bytes left2 = nib.pack(0, len, false), right2 = nib.pack(len, len, true);
  auto clear_last = [&](Bytes b) { if (odd) b.back() &= 0xf0; return b; };
  auto clear_first = [&](Bytes b) { if (odd) b.front() &= 0x0f; return b; };
  Bytes left1 = clear_last(lb_round(*key, right2, len, 4, left2));
  Bytes right1 = clear_first(lb_round(*key, left1, len, 3, right2));
  Bytes left0 = clear_last(lb_round(*key, right1, len, 2, left1));
  // Three passes suffice when the server ID lies within left_0.
  size_t half = (len + 1) / 2;
  if (sid_len < half || (sid_len == half && !odd)) return Bytes(left0.begin(), left0.begin() + static_cast<std::ptrdiff_t>(sid_len));
  Bytes right0 = clear_first(lb_round(*key, left0, len, 1, right1));
  auto all = Nibbles::of(left0);
  all.n.resize(len);   // left_0 holds plaintext_len nibbles of the plaintext's 2*len
  auto rn = Nibbles::of(right0);
  all.n.insert(all.n.end(), rn.n.begin() + (odd ? 1 : 0), rn.n.end());
  Bytes plain = all.pack(0, 2 * len, false);
  return Bytes(plain.begin(), plain.begin() + static_cast<std::ptrdiff_t>(sid_len));
}

// --- The draft's example and vectors --------------------------------------------------------

TEST(QuicLb, TheDraftsFourPassExample) {
  auto c = conn::QuicLbCodec::create(config(0, "31441a", 4, "fdf726a9893ec05c0632d3956680baf0"));
  ASSERT_NE(c, nullptr);
  auto cid = c->encode(hex("9c69c275"));
  EXPECT_EQ(to_hex(cid.span()), "0767947d29be054a");
  EXPECT_EQ(to_hex(*c->server_id(cid)), "31441a");
}

struct Vector {
  uint8_t cr;
  std::string sid, nonce, cid;
  bool first_octet_as_listed;
};

TEST(QuicLb, TheDraftsEncryptedVectorsRoundTrip) {
  const Vector vectors[] = {
      {0, "ed793a", "ee080dbf", "0720b1d07b359d3c", true},
      {1, "ed793a51d49b8f5fab65", "ee080dbf48", "2fcc381bc74cb4fbad2823a3d1f8fed2", true},   // sid > nonce: 4th pass
      {2, "ed793a51d49b8f5f", "ee080dbf48c0d1e5", "504dd2d05a7b0de9b2b9907afb5ecf8cc3", true},  // 16 bytes: one pass
      // The draft lists config rotation 3 for this one, but its first octet 0x12 carries 0:
      // the ciphertext after it is what is checked.
      {3, "ed793a51d49b8f5fab", "ee080dbf48c0d1e55d", "125779c9cc86beb3a3a4a3ca96fce4bfe0cdbc", false},
  };
  for (const auto& v : vectors) {
    SCOPED_TRACE(v.cid);
    auto cfg = config(v.cr, v.sid, v.nonce.size() / 2, kVectorKey);
    auto c = conn::QuicLbCodec::create(cfg);
    ASSERT_NE(c, nullptr);
    auto cid = c->encode(hex(v.nonce));
    ASSERT_EQ(cid.size(), cfg.cid_length());
    EXPECT_EQ(to_hex(cid.span()).substr(2), v.cid.substr(2));
    if (v.first_octet_as_listed) {
      EXPECT_EQ(to_hex(cid.span()).substr(0, 2), v.cid.substr(0, 2));
    }
    EXPECT_EQ(cid.data()[0] & 0x1f, cfg.cid_length() - 1) << "the length is self-encoded";
    // braid's own decoder and the load balancer's both find the server ID.
    EXPECT_EQ(to_hex(*c->server_id(cid)), v.sid);
    EXPECT_EQ(to_hex(lb_server_id(hex(v.cid), v.sid.size() / 2, v.nonce.size() / 2, hex(kVectorKey))), v.sid);
  }
}

TEST(QuicLb, ThePlaintextVector) {
  auto c = conn::QuicLbCodec::create(config(0, "c4605e", 4, std::nullopt));
  ASSERT_NE(c, nullptr);
  auto cid = c->encode(hex("4504cc4f"));
  EXPECT_EQ(to_hex(cid.span()), "07c4605e4504cc4f");
  EXPECT_EQ(to_hex(lb_server_id(hex("07c4605e4504cc4f"), 3, 4, std::nullopt)), "c4605e");
}

// Every shape the draft allows: lengths 5..19, odd and even, server ID shorter and longer
// than the nonce, with and without a key. A random nonce each time; the LB decoder agrees.
TEST(QuicLb, EveryLengthRoundTripsThroughTheLoadBalancersDecoder) {
  SeededRandom rng(7);
  for (size_t sid = 1; sid <= 15; ++sid) {
    for (size_t nonce = 4; sid + nonce <= 19; ++nonce) {
      for (bool keyed : {false, true}) {
        LoadBalancerConfig cfg;
        cfg.config_id = static_cast<uint8_t>(sid % 7);
        cfg.server_id.resize(sid);
        rng.fill(cfg.server_id);
        cfg.nonce_length = nonce;
        if (keyed) {
          std::array<uint8_t, 16> k{};
          rng.fill(k);
          cfg.key = k;
        }
        auto c = conn::QuicLbCodec::create(cfg);
        ASSERT_NE(c, nullptr);
        for (int i = 0; i < 8; ++i) {
          auto cid = c->generate(rng);
          Bytes b(cid.data(), cid.data() + cid.size());
          std::optional<Bytes> key;
          if (keyed) key = Bytes(cfg.key->begin(), cfg.key->end());
          ASSERT_EQ(lb_server_id(b, sid, nonce, key), cfg.server_id) << "sid " << sid << " nonce " << nonce << " " << to_hex(b);
          ASSERT_EQ(*c->server_id(cid), cfg.server_id);
          ASSERT_EQ(cid.data()[0] >> 5, cfg.config_id);
        }
      }
    }
  }
}

TEST(QuicLb, ConfigTextAndLimits) {
  auto ok = parse_load_balancer_config("server-id=31441a,nonce=4,key=fdf726a9893ec05c0632d3956680baf0,config-id=2");
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_EQ(ok->server_id, hex("31441a"));
  EXPECT_EQ(ok->config_id, 2);
  EXPECT_EQ(ok->cid_length(), 8u);
  ASSERT_TRUE(ok->key);
  EXPECT_FALSE(parse_load_balancer_config("nonce=4"));                              // no server ID
  EXPECT_FALSE(parse_load_balancer_config("server-id=31441a,nonce=3"));             // nonce < 4
  EXPECT_FALSE(parse_load_balancer_config("server-id=31441a,config-id=7"));         // reserved
  EXPECT_FALSE(parse_load_balancer_config("server-id=31441a,key=00"));              // short key
  EXPECT_FALSE(parse_load_balancer_config("server-id=0102030405060708090a0b0c0d,nonce=8"));  // 21 bytes
  auto unknown = parse_load_balancer_config("server-id=01,colour=red");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().find("known:"), std::string::npos) << unknown.error();
  ConnectionConfig cc;
  cc.load_balancer = *ok;
  auto bad = check_connection_config(cc);   // connection_id_length 8 == 1 + 3 + 4: fine
  EXPECT_TRUE(bad) << bad.error();
  cc.connection_id_length = 12;
  auto wrong = check_connection_config(cc);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().find("must be 8"), std::string::npos) << wrong.error();
}

// A multipath connection to a server with a QUIC-LB config: every CID the server issues,
// on every path ID, decodes to its server ID, so an LB sends every path to it.
TEST(QuicLb, EveryCidAServerIssuesOnEveryPathDecodesToItsServerId) {
  auto o = test::PairHarness::default_options();
  auto lb = *parse_load_balancer_config("server-id=0a0b0c,nonce=6,key=" + kVectorKey);
  o.server.load_balancer = lb;
  o.server.connection_id_length = lb.cid_length();
  test::PairHarness h(o);
  ASSERT_TRUE(h.handshake());
  auto p1 = test::mp::open_and_wait(h, test::mp::kLocal1);
  auto p2 = test::mp::open_and_wait(h, test::mp::kLocal2);
  ASSERT_TRUE(p1 && p2);
  auto r = test::run_transfer(h, false, {test::pattern_bytes(1 << 20, 71)});
  ASSERT_TRUE(r.ok) << r.failure;
  auto ids = h.server_conn()->local_connection_ids();
  ASSERT_GE(ids.size(), 6u);   // path 0's and the other paths' IDs
  for (const auto& cid : ids) {
    Bytes b(cid.data(), cid.data() + cid.size());
    EXPECT_EQ(lb_server_id(b, 3, 6, hex(kVectorKey)), hex("0a0b0c")) << to_hex(b);
  }
  // ...and the clients' own IDs are not touched by the server's config.
  EXPECT_EQ(h.client().local_connection_ids().front().size(), 8u);
}


// The Retry's source CID is where the client's next Initial goes: under QUIC-LB it must
// carry the server ID too, or the load balancer sends the retried Initial elsewhere. Two
// Retries (the first is corrupted so the client retransmits) reuse the endpoint's codec.
TEST(QuicLb, RetrySourceCidsCarryTheServerId) {
  auto o = test::PairHarness::default_options();
  auto lb = *parse_load_balancer_config("server-id=0a0b0c,nonce=6,key=" + kVectorKey);
  o.server.load_balancer = lb;
  o.server.connection_id_length = lb.cid_length();
  o.require_retry = true;
  test::PairHarness h(o);
  std::vector<Bytes> retry_scids;
  h.server_to_client_filter = [&](std::vector<uint8_t>& d) {
    if ((d[0] & 0xf0) != 0xf0 || d.size() < 7) return true;   // long header, type Retry
    size_t dcid_len = d[5];
    size_t at = 6 + dcid_len;
    if (at >= d.size() || at + 1 + d[at] > d.size()) return true;
    retry_scids.emplace_back(d.begin() + static_cast<long>(at) + 1, d.begin() + static_cast<long>(at) + 1 + d[at]);
    if (retry_scids.size() == 1) d.back() ^= 0x01;   // forged tag: ignored, the Initial is resent
    return true;
  };
  ASSERT_TRUE(h.handshake());
  ASSERT_GE(retry_scids.size(), 2u);
  EXPECT_EQ(h.endpoint().retries_sent(), retry_scids.size());
  for (const auto& scid : retry_scids) {
    ASSERT_EQ(scid.size(), lb.cid_length());
    EXPECT_EQ(lb_server_id(scid, 3, 6, hex(kVectorKey)), hex("0a0b0c")) << to_hex(scid);
  }
  EXPECT_NE(retry_scids[0], retry_scids[1]);
}
}  // namespace
}  // namespace braid

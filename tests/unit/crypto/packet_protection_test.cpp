// RFC 9001 Appendix A.2, A.3 and A.5: whole-packet protection compared byte for byte, and
// the reverse path (header unprotection, then AEAD open) back to the plaintext.
#include "core/crypto/packet_protection.h"

#include <gtest/gtest.h>

#include "core/crypto/initial_secrets.h"
#include "hex.h"

namespace braid::crypto {
namespace {

using test::from_hex;
using test::to_hex;

const ConnectionId kDcid{from_hex("8394c8f03e515708")};

// A.2 client Initial: CRYPTO frame, padded with PADDING to 1162 bytes.
constexpr const char* kClientCrypto =
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
    "04fe3a47f06a2b69484c000004130113 02010000c000000010000e00000b6578"
    "616d706c652e636f6dff01000100000a 00080006001d00170018001000070005"
    "04616c706e0005000501000000000033 00260024001d00209370b2c9caa47fba"
    "baf4559fedba753de171fa71f50f1ce1 5d43e994ec74d748002b000302030400"
    "0d0010000e0403050306030203080408 050806002d00020101001c0002400100"
    "3900320408ffffffffffffffff050480 00ffff07048000ffff08011001048000"
    "75300901100f088394c8f03e51570806 048000ffff";
constexpr const char* kClientHeader = "c300000001088394c8f03e5157080000449e00000002";
constexpr const char* kClientProtected =
    "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
    "d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
    "1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
    "8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
    "30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
    "457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
    "4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
    "4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
    "485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
    "059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
    "7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
    "9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
    "be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
    "68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
    "c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
    "f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
    "291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
    "25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
    "14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
    "ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
    "e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
    "c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
    "203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
    "cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
    "fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
    "a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
    "90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
    "162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
    "40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
    "6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
    "8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
    "be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
    "54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
    "760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
    "f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
    "056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
    "7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
    "e221af44860018ab0856972e194cd934";

// A.3 server Initial: ACK + CRYPTO, no padding.
constexpr const char* kServerPayload =
    "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf739"
    "88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94"
    "0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00"
    "020304";
constexpr const char* kServerHeader = "c1000000010008f067a5502a4262b50040750001";
constexpr const char* kServerProtected =
    "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a"
    "5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3"
    "dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84"
    "022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4"
    "2158407dd074ee";

struct PacketVector {
  const char* name;
  std::vector<uint8_t> header;
  std::vector<uint8_t> payload;
  size_t pn_offset;
  size_t pn_len;
  uint64_t pn;
  std::vector<uint8_t> protected_packet;
};

// Builds header || payload || room for the tag.
std::vector<uint8_t> assemble(const PacketVector& v) {
  std::vector<uint8_t> buf = v.header;
  buf.insert(buf.end(), v.payload.begin(), v.payload.end());
  buf.resize(buf.size() + kAeadTagLen);
  return buf;
}

void check_vector(DirectionalKeys& sender, DirectionalKeys& receiver, const PacketVector& v) {
  auto buf = assemble(v);
  const size_t n = protect_packet(*sender.aead, *sender.hp, 0, v.pn, buf, v.header.size(), v.pn_offset,
                                  v.pn_len, v.payload.size());
  ASSERT_EQ(n, v.protected_packet.size());
  EXPECT_EQ(to_hex(std::span(buf).first(n)), to_hex(v.protected_packet));

  auto rx = v.protected_packet;
  const auto hdr = remove_header_protection(*receiver.hp, rx, v.pn_offset);
  ASSERT_TRUE(hdr.has_value());
  EXPECT_EQ(hdr->pn_len, v.pn_len);
  EXPECT_EQ(hdr->truncated_pn, v.pn & ((uint64_t{1} << (8 * v.pn_len)) - 1));
  EXPECT_EQ(to_hex(std::span(rx).first(v.header.size())), to_hex(v.header));
  const auto plain = open_packet(*receiver.aead, 0, v.pn, rx, v.header.size());
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(to_hex(*plain), to_hex(v.payload));
}

TEST(PacketProtection, ClientInitialA2) {
  auto payload = from_hex(kClientCrypto);
  payload.resize(1162, 0x00);  // PADDING
  const PacketVector v{"client", from_hex(kClientHeader), payload, 18, 4, 2, from_hex(kClientProtected)};
  InitialKeys tx = derive_initial_keys(kDcid), rx = derive_initial_keys(kDcid);
  check_vector(tx.client, rx.client, v);
}

TEST(PacketProtection, ServerInitialA3) {
  const PacketVector v{"server", from_hex(kServerHeader), from_hex(kServerPayload), 18, 2, 1,
                       from_hex(kServerProtected)};
  InitialKeys tx = derive_initial_keys(kDcid), rx = derive_initial_keys(kDcid);
  check_vector(tx.server, rx.server, v);
}

TEST(PacketProtection, ChachaShortHeaderA5) {
  const auto secret = from_hex("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b");
  const auto m = derive_key_material(CipherSuite::kChacha20Poly1305, secret);
  EXPECT_EQ(to_hex(m.key), "c6d98ff3441c3fe1b2182094f69caa2ed4b716b65488960a7a984979fb23e1c8");
  EXPECT_EQ(to_hex(m.iv), "e0459b3474bdd0e44a41c144");
  EXPECT_EQ(to_hex(m.hp), "25a282b9e82f06f21f488917a4fc8f1b73573685608597d0efcb076b0ab7a7a4");

  DirectionalKeys tx = derive_keys(CipherSuite::kChacha20Poly1305, secret);
  DirectionalKeys rx = derive_keys(CipherSuite::kChacha20Poly1305, secret);
  const auto sample = from_hex("5e5cd55c41f69080575d7999c25a5bfb");
  EXPECT_EQ(to_hex(tx.hp->mask(std::span<const uint8_t, 16>(sample.data(), 16))), "aefefe7d03");

  const PacketVector v{"chacha", from_hex("4200bff4"), from_hex("01"), 1, 3, 654360564,
                       from_hex("4cfe4189655e5cd55c41f69080575d7999c25a5bfb")};
  check_vector(tx, rx, v);
}

TEST(PacketProtection, AesMaskMatchesA2Sample) {
  InitialKeys keys = derive_initial_keys(kDcid);
  const auto sample = from_hex("d1b1c98dd7689fb8ec11d242b123dc9b");
  EXPECT_EQ(to_hex(keys.client.hp->mask(std::span<const uint8_t, 16>(sample.data(), 16))), "437b9aec36");
  const auto sample3 = from_hex("2cd0991cd25b0aac406a5816b6394100");
  EXPECT_EQ(to_hex(keys.server.hp->mask(std::span<const uint8_t, 16>(sample3.data(), 16))), "2ec0d8356a");
}

TEST(PacketProtection, RejectsTooShortAndTampered) {
  InitialKeys keys = derive_initial_keys(kDcid);
  // No room for a sample: 1-byte pn, 2-byte payload -> pn_offset+4+16 > total.
  std::vector<uint8_t> small = from_hex("40aa01");
  small.resize(small.size() + 2 + kAeadTagLen);
  EXPECT_EQ(protect_packet(*keys.client.aead, *keys.client.hp, 0, 1, small, 2, 1, 1, 2), 0u);
  // Buffer without room for the tag.
  std::vector<uint8_t> no_tag_room(30);
  no_tag_room[0] = 0x40;
  EXPECT_EQ(protect_packet(*keys.client.aead, *keys.client.hp, 0, 1, no_tag_room, 2, 1, 1, 28), 0u);

  std::vector<uint8_t> tiny(10);
  EXPECT_FALSE(remove_header_protection(*keys.client.hp, tiny, 1).has_value());

  auto pkt = from_hex(kClientProtected);
  pkt[100] ^= 0x04;
  const auto hdr = remove_header_protection(*keys.client.hp, pkt, 18);
  ASSERT_TRUE(hdr.has_value());
  EXPECT_FALSE(open_packet(*keys.client.aead, 0, 2, pkt, 22).has_value());
}

TEST(PacketProtection, MultipathPathIdChangesCiphertext) {
  const auto secret = from_hex("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b");
  DirectionalKeys k = derive_keys(CipherSuite::kAes128Gcm, secret);
  auto a = from_hex("4300000001");  // short header, 4-byte pn
  a.resize(5 + 40 + kAeadTagLen, 0x01);
  auto b = a;
  ASSERT_GT(protect_packet(*k.aead, *k.hp, 0, 1, a, 5, 1, 4, 40), 0u);
  ASSERT_GT(protect_packet(*k.aead, *k.hp, 7, 1, b, 5, 1, 4, 40), 0u);
  EXPECT_NE(a, b);
  auto hdr = remove_header_protection(*k.hp, b, 1);
  ASSERT_TRUE(hdr.has_value());
  auto c = b;
  EXPECT_FALSE(open_packet(*k.aead, 0, 1, c, 5).has_value());
  EXPECT_TRUE(open_packet(*k.aead, 7, 1, b, 5).has_value());
}

}  // namespace
}  // namespace braid::crypto

// AEAD nonce (multipath), key update derivation, AEAD round trips and limits per suite.
#include "core/crypto/packet_keys.h"

#include <gtest/gtest.h>

#include <numeric>

#include "core/crypto/hkdf.h"
#include "hex.h"

namespace braid::crypto {
namespace {

using test::from_hex;
using test::to_hex;

TEST(Nonce, MultipathExampleFromDraft) {
  const auto iv = from_hex("6b26114b9cba2b63a9e8dd4f");
  const auto nonce = make_nonce(std::span<const uint8_t, 12>(iv.data(), 12), 3, 54321);
  EXPECT_EQ(to_hex(nonce), "6b2611489cba2b63a9e8097e");
}

TEST(Nonce, PathZeroIsRfc9001Nonce) {
  // RFC 9001 A.5: iv e0459b3474bdd0e44a41c144, pn 654360564.
  const auto iv = from_hex("e0459b3474bdd0e44a41c144");
  const auto nonce = make_nonce(std::span<const uint8_t, 12>(iv.data(), 12), 0, 654360564);
  EXPECT_EQ(to_hex(nonce), "e0459b3474bdd0e46d417eb0");
}

TEST(Nonce, PathIdAndPacketNumberDoNotOverlap) {
  const std::array<uint8_t, 12> zero{};
  const auto a = make_nonce(zero, 1, 0);
  const auto b = make_nonce(zero, 0, uint64_t{1} << 32);
  EXPECT_NE(a, b);
  EXPECT_EQ(to_hex(a), "000000010000000000000000");
  EXPECT_EQ(to_hex(make_nonce(zero, 0, (uint64_t{1} << 62) - 1)), "000000003fffffffffffffff");
}

struct SuiteCase {
  const char* name;
  CipherSuite suite;
  size_t secret_len;
  size_t key_len;
  uint64_t confidentiality;
  uint64_t integrity;
};

class PerSuite : public ::testing::TestWithParam<SuiteCase> {
 protected:
  std::vector<uint8_t> secret() const {
    std::vector<uint8_t> s(GetParam().secret_len);
    std::iota(s.begin(), s.end(), uint8_t{1});
    return s;
  }
};

TEST_P(PerSuite, LengthsAndLimits) {
  const auto& c = GetParam();
  EXPECT_EQ(secret_len(c.suite), c.secret_len);
  EXPECT_EQ(key_len(c.suite), c.key_len);
  const DirectionalKeys k = derive_keys(c.suite, secret());
  ASSERT_NE(k.aead, nullptr);
  ASSERT_NE(k.hp, nullptr);
  EXPECT_EQ(k.aead->confidentiality_limit(), c.confidentiality);
  EXPECT_EQ(k.aead->integrity_limit(), c.integrity);
}

TEST_P(PerSuite, SealOpenRoundTripAndTamperDetection) {
  const auto& c = GetParam();
  DirectionalKeys tx = derive_keys(c.suite, secret());
  DirectionalKeys rx = derive_keys(c.suite, secret());
  const std::vector<uint8_t> aad = from_hex("4300112233");
  for (size_t len : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{1200}}) {
    std::vector<uint8_t> msg(len + kAeadTagLen);
    for (size_t i = 0; i < len; ++i) msg[i] = static_cast<uint8_t>(i * 7);
    const std::vector<uint8_t> plain(msg.begin(), msg.begin() + len);
    ASSERT_TRUE(tx.aead->seal(2, 77, aad, std::span(msg).first(len), std::span(msg).subspan(len)));
    if (len > 0) {
      EXPECT_NE(std::vector<uint8_t>(msg.begin(), msg.begin() + len), plain);
    }

    auto good = msg;
    ASSERT_TRUE(rx.aead->open(2, 77, aad, good)) << len;
    EXPECT_EQ(std::vector<uint8_t>(good.begin(), good.begin() + len), plain);

    auto wrong_path = msg;
    EXPECT_FALSE(rx.aead->open(3, 77, aad, wrong_path));
    auto wrong_pn = msg;
    EXPECT_FALSE(rx.aead->open(2, 78, aad, wrong_pn));
    auto flipped = msg;
    flipped[len / 2] ^= 0x01;
    EXPECT_FALSE(rx.aead->open(2, 77, aad, flipped));
    auto bad_aad = aad;
    bad_aad[0] ^= 0x80;
    auto msg2 = msg;
    EXPECT_FALSE(rx.aead->open(2, 77, bad_aad, msg2));
  }
  std::vector<uint8_t> short_buf(kAeadTagLen - 1);
  EXPECT_FALSE(rx.aead->open(0, 0, aad, short_buf));
}

TEST_P(PerSuite, KeyUpdateChangesKeyAndIvButNotHp) {
  const auto& c = GetParam();
  const DirectionalKeys cur = derive_keys(c.suite, secret());
  const DirectionalKeys next = derive_next_generation(cur);
  EXPECT_EQ(next.suite, c.suite);
  EXPECT_EQ(next.secret.size(), c.secret_len);
  EXPECT_NE(next.secret, cur.secret);
  EXPECT_EQ(next.hp, nullptr);
  ASSERT_NE(next.aead, nullptr);

  const auto a = derive_key_material(c.suite, cur.secret);
  const auto b = derive_key_material(c.suite, next.secret);
  EXPECT_NE(a.key, b.key);
  EXPECT_NE(a.iv, b.iv);

  // A packet sealed with the old generation does not open under the new one.
  std::vector<uint8_t> msg(32 + kAeadTagLen, 0x5a);
  ASSERT_TRUE(cur.aead->seal(0, 1, {}, std::span(msg).first(32), std::span(msg).subspan(32)));
  auto copy = msg;
  EXPECT_FALSE(next.aead->open(0, 1, {}, copy));
}

TEST_P(PerSuite, HeaderMaskIsDeterministicPerSampleWithReusedHandle) {
  const auto& c = GetParam();
  const DirectionalKeys k = derive_keys(c.suite, secret());
  std::array<uint8_t, 16> s1{}, s2{};
  s2[15] = 1;
  const auto m1 = k.hp->mask(s1);
  const auto m2 = k.hp->mask(s2);
  EXPECT_EQ(k.hp->mask(s1), m1);  // IV reset between calls: no state carried over
  EXPECT_NE(m1, m2);
}

INSTANTIATE_TEST_SUITE_P(
    Suites, PerSuite,
    ::testing::Values(SuiteCase{"Aes128Gcm", CipherSuite::kAes128Gcm, 32, 16, uint64_t{1} << 23, uint64_t{1} << 52},
                      SuiteCase{"Aes256Gcm", CipherSuite::kAes256Gcm, 48, 32, uint64_t{1} << 23, uint64_t{1} << 52},
                      SuiteCase{"Chacha20Poly1305", CipherSuite::kChacha20Poly1305, 32, 32, uint64_t{1} << 62,
                                uint64_t{1} << 36}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(KeyUpdate, ChachaKuMatchesRfc9001A5) {
  const auto secret = from_hex("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b");
  EXPECT_EQ(to_hex(hkdf_expand_label(Hash::kSha256, secret, "quic ku", {}, 32)),
            "1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9");
  const DirectionalKeys cur = derive_keys(CipherSuite::kChacha20Poly1305, secret);
  EXPECT_EQ(to_hex(derive_next_generation(cur).secret),
            "1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9");
}

TEST(MakeAead, RejectsWrongKeyOrIvLength) {
  const std::vector<uint8_t> k16(16), k32(32), iv12(12), iv8(8);
  EXPECT_EQ(make_aead(CipherSuite::kAes128Gcm, k32, iv12), nullptr);
  EXPECT_EQ(make_aead(CipherSuite::kAes128Gcm, k16, iv8), nullptr);
  EXPECT_EQ(make_header_protector(CipherSuite::kChacha20Poly1305, k16), nullptr);
  EXPECT_NE(make_aead(CipherSuite::kChacha20Poly1305, k32, iv12), nullptr);
}

}  // namespace
}  // namespace braid::crypto

// RFC 9001 Appendix A.1 (Initial keys) and A.4 (Retry integrity tag), plus HKDF labels.
#include "core/crypto/initial_secrets.h"

#include <gtest/gtest.h>

#include "core/crypto/hkdf.h"
#include "hex.h"

namespace braid::crypto {
namespace {

using test::from_hex;
using test::to_hex;

const ConnectionId kDcid{from_hex("8394c8f03e515708")};

TEST(Hkdf, InitialSecretChainMatchesRfc9001A1) {
  const auto salt = from_hex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a");
  const auto initial = hkdf_extract(Hash::kSha256, salt, kDcid.span());
  EXPECT_EQ(to_hex(initial), "7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44");
  EXPECT_EQ(to_hex(hkdf_expand_label(Hash::kSha256, initial, "client in", {}, 32)),
            "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea");
  EXPECT_EQ(to_hex(hkdf_expand_label(Hash::kSha256, initial, "server in", {}, 32)),
            "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b");
}

TEST(Hkdf, Sha384ProducesRequestedLength) {
  const auto secret = from_hex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0011223344556677");
  EXPECT_EQ(hkdf_extract(Hash::kSha384, {}, secret).size(), 48u);
  EXPECT_EQ(hkdf_expand_label(Hash::kSha384, secret, "quic key", {}, 32).size(), 32u);
}

struct KeyVector {
  const char* name;
  bool client;
  const char* secret;
  const char* key;
  const char* iv;
  const char* hp;
};

class InitialKeysA1 : public ::testing::TestWithParam<KeyVector> {};

TEST_P(InitialKeysA1, MatchesVector) {
  const KeyVector& v = GetParam();
  const InitialKeys keys = derive_initial_keys(kDcid);
  const DirectionalKeys& d = v.client ? keys.client : keys.server;
  EXPECT_EQ(d.suite, CipherSuite::kAes128Gcm);
  EXPECT_EQ(to_hex(d.secret), v.secret);
  ASSERT_NE(d.aead, nullptr);
  ASSERT_NE(d.hp, nullptr);
  const PacketKeyMaterial m = derive_key_material(d.suite, d.secret);
  EXPECT_EQ(to_hex(m.key), v.key);
  EXPECT_EQ(to_hex(m.iv), v.iv);
  EXPECT_EQ(to_hex(m.hp), v.hp);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc9001, InitialKeysA1,
    ::testing::Values(
        KeyVector{"client", true, "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
                  "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c", "9f50449e04a0e810283a1e9933adedd2"},
        KeyVector{"server", false, "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b",
                  "cf3a5331653c364c88f0f379b6067e37", "0ac1493ca1905853b0bba03e", "c206b8d9b9f0f37644430b490eeaa314"}),
    [](const auto& info) { return std::string(info.param.name); });

// A.4: Retry in response to the A.2 client Initial.
const char* kRetryPacket = "ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba";

TEST(RetryIntegrity, TagMatchesRfc9001A4) {
  const auto retry = from_hex(kRetryPacket);
  const auto body = std::span(retry).first(retry.size() - 16);
  const auto tag = retry_integrity_tag(kDcid, body);
  EXPECT_EQ(to_hex(tag), "04a265ba2eff4d829058fb3f0f2496ba");
  EXPECT_TRUE(verify_retry_integrity(kDcid, retry));
}

TEST(RetryIntegrity, RejectsWrongOdcidOrTamperedPacket) {
  auto retry = from_hex(kRetryPacket);
  EXPECT_FALSE(verify_retry_integrity(ConnectionId{from_hex("8394c8f03e515709")}, retry));
  retry[10] ^= 1;
  EXPECT_FALSE(verify_retry_integrity(kDcid, retry));
  EXPECT_FALSE(verify_retry_integrity(kDcid, std::span(retry).first(10)));
}

}  // namespace
}  // namespace braid::crypto

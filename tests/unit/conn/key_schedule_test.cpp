// KeySchedule: levels are indexed by encryption level and 1-RTT sealing needs write keys.
#include "core/conn/key_schedule.h"

#include <gtest/gtest.h>

namespace braid::conn {
namespace {

TEST(KeySchedule, LevelsAndOneRttReadiness) {
  KeySchedule k;
  EXPECT_EQ(&k.level(EncryptionLevel::kInitial), &k.levels[0]);
  EXPECT_EQ(&k.level(EncryptionLevel::kHandshake), &k.levels[1]);
  EXPECT_EQ(&k.level(EncryptionLevel::kApplication), &k.levels[2]);
  EXPECT_FALSE(k.can_seal_1rtt());
  k.app.emplace();
  EXPECT_FALSE(k.can_seal_1rtt());   // no write AEAD yet
  EXPECT_FALSE(k.level(EncryptionLevel::kInitial).discarded);
}

}  // namespace
}  // namespace braid::conn

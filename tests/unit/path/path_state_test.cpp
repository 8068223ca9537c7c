// The path state machine refuses illegal transitions (SPEC F-MP).
#include <gtest/gtest.h>

#include "braid/path.h"

namespace braid {
namespace {

using S = PathState;

TEST(PathState, LegalLifecycle) {
  EXPECT_TRUE(path_transition_allowed(S::kCreated, S::kValidating));
  EXPECT_TRUE(path_transition_allowed(S::kValidating, S::kValidated));
  EXPECT_TRUE(path_transition_allowed(S::kValidated, S::kActive));
  EXPECT_TRUE(path_transition_allowed(S::kActive, S::kStandby));
  EXPECT_TRUE(path_transition_allowed(S::kStandby, S::kActive));
  EXPECT_TRUE(path_transition_allowed(S::kActive, S::kClosing));
  EXPECT_TRUE(path_transition_allowed(S::kClosing, S::kClosed));
  EXPECT_TRUE(path_transition_allowed(S::kValidating, S::kFailed));
}

TEST(PathState, IllegalTransitionsRefused) {
  // Nothing comes back from CLOSING or CLOSED; FAILED only to where a working path is.
  for (S to : {S::kCreated, S::kValidating, S::kValidated, S::kActive, S::kStandby}) {
    EXPECT_FALSE(path_transition_allowed(S::kClosing, to)) << path_state_name(to);
    EXPECT_FALSE(path_transition_allowed(S::kClosed, to)) << path_state_name(to);
  }
  for (S to : {S::kCreated, S::kValidating, S::kValidated}) {
    EXPECT_FALSE(path_transition_allowed(S::kFailed, to)) << path_state_name(to);
  }
  EXPECT_FALSE(path_transition_allowed(S::kClosed, S::kFailed));
}

TEST(PathState, FailedByDetectionComesBackOrIsAbandoned) {
  EXPECT_TRUE(path_transition_allowed(S::kActive, S::kFailed));
  EXPECT_TRUE(path_transition_allowed(S::kStandby, S::kFailed));
  EXPECT_TRUE(path_transition_allowed(S::kFailed, S::kActive));
  EXPECT_TRUE(path_transition_allowed(S::kFailed, S::kStandby));
  EXPECT_TRUE(path_transition_allowed(S::kFailed, S::kClosing));
  // No skipping validation, no going backwards.
  EXPECT_FALSE(path_transition_allowed(S::kCreated, S::kActive));
  EXPECT_FALSE(path_transition_allowed(S::kValidating, S::kActive));
  EXPECT_FALSE(path_transition_allowed(S::kActive, S::kValidating));
  EXPECT_FALSE(path_transition_allowed(S::kStandby, S::kValidated));
  EXPECT_FALSE(path_transition_allowed(S::kActive, S::kClosed));
}

TEST(PathState, Names) {
  EXPECT_EQ(path_state_name(S::kStandby), "standby");
  EXPECT_EQ(bonding_state_name(BondingState::kDegraded), "degraded");
}

}  // namespace
}  // namespace braid

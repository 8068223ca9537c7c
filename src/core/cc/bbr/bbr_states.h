// BBRv3's state machine vocabulary (draft-ietf-ccwg-bbr-06 §"State Machine"): the states,
// their gains, the timing constants, the full-pipe ("bandwidth plateau") detector and the
// deterministic random source for the ProbeBW wait. The transitions themselves are Bbr
// member functions, defined in bbr_states.cpp.
#pragma once
#include <cstdint>

#include "braid/congestion_controller.h"
#include "braid/time.h"

namespace braid::cc {

enum class BbrState : uint8_t { kStartup, kDrain, kProbeBwDown, kProbeBwCruise, kProbeBwRefill, kProbeBwUp, kProbeRtt };

CcState to_cc_state(BbrState s);

// Gains (§"Summary of Control Behavior in the State Machine").
inline constexpr double kBbrStartupPacingGain = 2.77;  // 4 ln 2: doubles the rate each round
inline constexpr double kBbrDrainPacingGain = 0.5;     // draft -06: 1 / DefaultCwndGain
inline constexpr double kBbrDefaultCwndGain = 2.0;
inline constexpr double kBbrProbeBwDownPacingGain = 0.90;
inline constexpr double kBbrProbeBwCruisePacingGain = 1.0;
inline constexpr double kBbrProbeBwRefillPacingGain = 1.0;
inline constexpr double kBbrProbeBwUpPacingGain = 1.25;
inline constexpr double kBbrProbeBwUpCwndGain = 2.25;
inline constexpr double kBbrProbeRttPacingGain = 1.0;
inline constexpr double kBbrProbeRttCwndGain = 0.5;

// Congestion response.
inline constexpr double kBbrLossThresh = 0.02;
inline constexpr double kBbrHeadroom = 0.15;
inline constexpr double kBbrPacingMarginPercent = 1.0;
inline constexpr uint64_t kBbrMinPipePackets = 4;
inline constexpr uint64_t kBbrStartupFullLossCnt = 6;

// Full pipe: 3 rounds whose delivery rate grew by less than 25%.
inline constexpr double kBbrFullBwThreshold = 1.25;
inline constexpr uint64_t kBbrFullBwCount = 3;

// Timing.
inline constexpr Duration kBbrProbeRttDuration = std::chrono::milliseconds(200);
inline constexpr Duration kBbrProbeBwMinWait = std::chrono::seconds(2);   // plus U(0, 1) s
inline constexpr uint64_t kBbrMaxRenoRounds = 63;
inline constexpr uint64_t kBbrDrainMaxRounds = 3;
inline constexpr uint32_t kBbrMaxProbeUpRounds = 30;

// What the ACKs currently arriving tell about bandwidth probing (§"ProbeBW State").
enum class BbrAckPhase : uint8_t { kInit, kRefilling, kProbeStarting, kProbeFeedback, kProbeStopping };

// BBRCheckFullBWReached: looks for a plateau of the delivery rate while accelerating.
class FullBwDetector {
 public:
  // BBRResetFullBW: a new detection starts (Startup, or each ProbeBW_UP).
  void restart(uint64_t baseline = 0) {
    full_bw_ = baseline;
    count_ = 0;
    now_ = false;
  }
  // Called on each ACK with the current max_bw; only round starts whose rate sample is not
  // app-limited count.
  void on_ack(bool round_start, uint64_t bw, bool app_limited);
  bool full_now() const { return now_; }
  bool reached() const { return reached_; }
  void set_reached(bool r) { reached_ = r; }
  uint64_t full_bw() const { return full_bw_; }

 private:
  uint64_t full_bw_ = 0;
  uint64_t count_ = 0;
  bool now_ = false;      // full since the most recent restart
  bool reached_ = false;  // full at any time in the connection's life
};

// splitmix64 (Steele, Lea, Flood 2014): a tiny deterministic generator, seeded per path so
// that runs are reproducible and the core needs no global random source.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed = 0) : state_(seed) {}
  uint64_t next();
  double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  bool coin() { return (next() >> 63) != 0; }

 private:
  uint64_t state_;
};

}  // namespace braid::cc

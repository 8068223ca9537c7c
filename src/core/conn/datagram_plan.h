// What the next datagram is, decided once before it is built (connection_plan.cpp) and
// handed to the packet builder and every frame source: the path, why it was chosen, whether
// it may carry data, its ECN mark, whether it is a PMTU probe, the bytes it may use, and the
// other paths that get copies of its data (redundant scheduling).
#pragma once
#include <cstdint>

#include "braid/path_scheduler.h"
#include "core/conn/path_selector.h"

namespace braid::conn {

struct DatagramPlan {
  PathId path = 0;
  PlanReason reason = PlanReason::kData;
  SendKind kind = SendKind::kNewData;   // what the scheduler was asked to place
  bool data_allowed = true;             // CRYPTO, control, DATAGRAM and STREAM frames may go in
  uint8_t ecn = 0;                      // codepoint the datagram is sent with
  bool pmtu_probe = false;              // PING + PADDING of the probe size, nothing else
  uint64_t budget = UINT64_MAX;         // bytes the path may send now (anti-amplification)
  PathChoice copies;                    // other paths the data is duplicated onto
};

}  // namespace braid::conn

// One path decision per datagram. The connection describes what each path owes (values
// only); PathSelector answers which path the next datagram leaves on and whether it may
// carry data, asking the scheduler at most once. The order, first match wins:
//   1. a path owing PATH_RESPONSE/PATH_CHALLENGE or a PTO probe sends on itself;
//   2. a path that carries ACKs now due (its own or another path's, by the ACK policy);
//   3. the PATH_ABANDON carrier (any usable path; the frame never rides the path it closes);
//   4. a path owing copies (duplication, reinjection) that congestion control lets send;
//   5. the scheduler's choice for data (new data, retransmissions, datagrams);
//   6. any path that still owes something (a flush when no path may send data now).
// A path picked in 1–3 carries data only if the scheduler would have put data there too
// (probes always may), so ACK and validation traffic never bypasses the scheduler's plan.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "braid/path_scheduler.h"

namespace braid::conn {

struct PathDuties {
  PathId id = 0;
  bool sendable = false;          // packets may go out on it at all
  bool usable = false;            // ACTIVE or STANDBY
  bool owes_validation = false;   // PATH_RESPONSE or PATH_CHALLENGE waiting
  bool owes_probe = false;        // PTO probe owed
  bool carries_due_acks = false;  // ACKs due now travel on this path
  bool owes_copies = false;       // duplicated or reinjected data waits and the path may send
  bool owes_anything = false;     // something may go out even without congestion credit
};

enum class PlanReason : uint8_t { kValidation, kProbe, kAck, kAbandonCarrier, kCopies, kData, kFlush };
const char* plan_reason_name(PlanReason r);

struct PathSelection {
  PathId path = 0;
  PlanReason reason = PlanReason::kData;
  bool data_allowed = true;
  PathChoice data_paths;   // the scheduler's answer, when it was asked (copies go to the rest)
};

class PathSelector {
 public:
  // `ask_scheduler` is called at most once. With `single_path` the scheduler is not asked
  // and the only path always may carry data.
  static std::optional<PathSelection> select(std::span<const PathDuties> paths, bool abandon_pending,
                                             bool single_path, const std::function<PathChoice()>& ask_scheduler);
};

}  // namespace braid::conn

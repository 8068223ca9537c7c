// After a side sends ERROR or REJECT it does not close at once: CONNECTION_CLOSE would cut
// the message off. It waits kCloseGrace for the peer (which closes when it reads the
// message) and closes itself after that. Shared by the sender and the receiver.
#pragma once
#include "braid/time.h"
#include "transfer/transfer_error.h"
#include "transfer/transport.h"

namespace braid::transfer {

class DeferredClose {
 public:
  void arm(TimePoint now) { at_ = now + kCloseGrace; }
  TimePoint deadline() const { return at_; }
  // Closes with `why` once the grace period is over (once).
  void poll(TimePoint now, Transport& t, const TransferError& why) {
    if (at_ == kNever || now < at_) return;
    at_ = kNever;
    t.close(now, kTransferAppError, why.describe());
  }

 private:
  TimePoint at_ = kNever;
};

}  // namespace braid::transfer

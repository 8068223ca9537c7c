// One upload (ALPN "braid-xfer") on a connection of `braid server --accept-uploads` or
// `braid receive`: the transfer layer's receiver writing into the upload directory, driven
// by the server's connection callbacks, with one log line and a report when it ends.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "braid/connection.h"
#include "io/event_loop.h"
#include "transfer/transfer_receiver.h"

namespace braid::tool {

struct UploadReport {
  bool ok = false;
  std::string name, location, error;
  uint64_t bytes = 0, resumed_bytes = 0;
  double seconds = 0;
  std::string sha256;   // hex, when the transfer completed
};

class UploadSession {
 public:
  UploadSession(transfer::SinkFactory& sinks, uint64_t conn_id, bool log, std::function<void(const UploadReport&)> on_end);
  void on_event(Connection& c, const ConnectionEvent& ev);
  // After input: reads and writes what is ready; returns when pump() must run again
  // without input (kNever: not before the next input).
  TimePoint service(Connection& c);
  bool ended() const { return reported_; }

 private:
  void report_if_ended(TimePoint now);

  transfer::TransferReceiver receiver_;
  uint64_t conn_id_;
  bool log_;
  std::function<void(const UploadReport&)> on_end_;
  TimePoint started_ = kNever;
  bool reported_ = false;
};

}  // namespace braid::tool

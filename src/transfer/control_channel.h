// One side's end of a transfer's control stream: messages out, buffered until the stream
// takes them, and messages in, reassembled from what it reads. The sender and the receiver
// each own one.
#pragma once
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "transfer/transfer_wire.h"
#include "transfer/transport.h"

namespace braid::transfer {

class ControlChannel {
 public:
  // `peer` names the other side in errors ("sender", "receiver").
  explicit ControlChannel(std::string peer) : peer_(std::move(peer)) {}

  void bind(StreamId id) { id_ = id; }
  bool bound() const { return id_.has_value(); }
  bool is(StreamId id) const { return id_ && *id_ == id; }

  void send(const Message& m) { encode(m, out_); }
  // Writes what the stream takes now; the rest waits for the next flush.
  void flush(Transport& t);
  // Flushes and ends the stream (after the last message).
  void finish(Transport& t);
  // Reads everything there is and hands each message to `handle`, which returns false to
  // stop reading. A malformed message, or the peer ending the stream while reading goes
  // on, comes back as the error.
  std::optional<TransferError> receive(Transport& t, std::span<uint8_t> buf, const std::function<bool(Message)>& handle);

 private:
  std::string peer_;
  std::optional<StreamId> id_;
  MessageReader reader_;
  std::vector<uint8_t> out_;
};

}  // namespace braid::transfer

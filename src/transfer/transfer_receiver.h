// The receiving side of a transfer, sans-IO: answers the sender's OFFER (ACCEPT with the
// ranges a previous connection left, or REJECT), writes every chunk at its offset as its
// bytes arrive, checks each chunk's SHA-256 trailer before confirming it (CHUNK_OK), checks
// the end-to-end SHA-256 at FINISH, and only then commits the destination and says DONE.
// A peer that lies (chunks beyond the offered size, overlapping chunks, a short chunk, a
// wrong checksum or final size) ends the transfer with an error and the destination is
// discarded; a connection that closes early leaves the confirmed chunks for a resume.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "transfer/control_channel.h"
#include "transfer/deferred_close.h"
#include "transfer/range_set.h"
#include "transfer/sha256.h"
#include "transfer/sink.h"
#include "transfer/transfer_metrics.h"
#include "transfer/transfer_wire.h"
#include "transfer/transport.h"

namespace braid::transfer {

struct ReceiverOptions {
  uint64_t max_size = UINT64_MAX;   // offers above this are rejected
  std::function<void(uint64_t, uint64_t)> on_progress;   // (confirmed, total or 0)
};

class TransferReceiver {
 public:
  enum class State : uint8_t { kWaiting, kReceiving, kDone, kFailed };

  TransferReceiver(ReceiverOptions opts, SinkFactory& sinks) : opts_(std::move(opts)), sinks_(sinks) {}

  void on_event(TimePoint now, Transport& t, const TransportEvent& ev);
  void pump(TimePoint now, Transport& t);
  // When pump() must run without input (closing after an error); kNever otherwise.
  TimePoint next_wake() const { return close_.deadline(); }

  State state() const { return state_; }
  bool done() const { return state_ == State::kDone; }
  bool failed() const { return state_ == State::kFailed; }
  const std::optional<TransferError>& error() const { return error_; }
  const std::optional<OfferMsg>& offer() const { return offer_; }
  std::string location() const { return location_; }
  // The end-to-end SHA-256 FINISH announced (verified once done()).
  std::optional<Digest> digest() const { return finish_ ? std::optional<Digest>(finish_->digest) : std::nullopt; }
  TransferMetrics metrics(TimePoint now) const;

 private:
  struct Chunk {
    std::array<uint8_t, kChunkHeaderSize> header{};
    size_t header_len = 0;
    bool has_header = false;
    Range range;
    uint64_t received = 0;
    Sha256 hash;
    Digest trailer{};
    size_t trailer_len = 0;
  };

  void fail(TimePoint now, Transport& t, TransferErrorCode code, std::string message);
  void read_control(TimePoint now, Transport& t);
  void handle_message(TimePoint now, Transport& t, Message m);
  void read_chunk(TimePoint now, Transport& t, StreamId id);
  bool consume(TimePoint now, Transport& t, Chunk& c, std::span<const uint8_t> bytes);   // false: failed
  void finish_chunk(TimePoint now, Transport& t, StreamId id, Chunk& c);
  void advance_hash(bool all);
  void maybe_complete(TimePoint now, Transport& t);

  ReceiverOptions opts_;
  SinkFactory& sinks_;
  State state_ = State::kWaiting;
  std::optional<TransferError> error_;
  std::optional<OfferMsg> offer_;
  std::optional<FinishMsg> finish_;
  std::unique_ptr<Sink> sink_;
  std::string location_;
  ControlChannel control_{"sender"};
  std::set<StreamId> readable_;            // chunk streams with bytes or FIN to read
  std::map<StreamId, Chunk> chunks_;
  RangeSet confirmed_, receiving_;
  Sha256 e2e_;
  uint64_t hashed_ = 0;
  std::vector<uint8_t> buf_ = std::vector<uint8_t>(64 << 10);
  TimePoint start_ = kNever;
  DeferredClose close_;
  uint64_t resumed_bytes_ = 0, bytes_received_ = 0, chunks_confirmed_ = 0, last_progress_ = UINT64_MAX;
  uint32_t total_streams_ = 0;
};

}  // namespace braid::transfer

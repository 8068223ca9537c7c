// The sending side of a transfer, sans-IO: offers the transfer on a control stream, learns
// from ACCEPT what the receiver already holds, sends every other byte as chunks on parallel
// unidirectional streams (the profile's count, the tuner's size; a chunk holds its stream
// until the receiver confirms it), hashes the content end to
// end on the way, and finishes once every chunk is confirmed. The mode detector watches the
// paths and switches the profile (stream count, chunk range, congestion controller).
//
// Call order: on_event() for every transport event, pump() after any input (and at
// next_wake()), until done() or failed().
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "transfer/chunk_planner.h"
#include "transfer/control_channel.h"
#include "transfer/deferred_close.h"
#include "transfer/mode_detector.h"
#include "transfer/profile.h"
#include "transfer/sha256.h"
#include "transfer/source.h"
#include "transfer/transfer_metrics.h"
#include "transfer/transfer_wire.h"
#include "transfer/transport.h"

namespace braid::transfer {

struct SenderOptions {
  TransferId id{};
  std::string name;                          // the receiver's file name
  ModeDetectorConfig mode;                   // mode.forced pins the mode
  std::optional<uint32_t> streams;           // fixed parallel streams (else the profile's)
  std::optional<uint64_t> chunk;             // fixed chunk size (else tuned in the profile's range)
  std::optional<std::string> congestion_controller;   // fixed (else the profile's)
  // (confirmed bytes, total bytes or 0 when unknown), at most once per pump.
  std::function<void(uint64_t, uint64_t)> on_progress;
  // The mode changed (after the profile was applied).
  std::function<void(TransferMode, const Profile&)> on_mode;
};

class TransferSender {
 public:
  enum class State : uint8_t { kIdle, kOffered, kSending, kFinishing, kDone, kFailed };

  TransferSender(SenderOptions opts, std::unique_ptr<Source> source);

  void on_event(TimePoint now, Transport& t, const TransportEvent& ev);
  void pump(TimePoint now, Transport& t);
  // When pump() needs to run without input (mode samples); kNever when nothing is due.
  TimePoint next_wake() const;

  State state() const { return state_; }
  bool done() const { return state_ == State::kDone; }
  bool failed() const { return state_ == State::kFailed; }
  const std::optional<TransferError>& error() const { return error_; }
  TransferMetrics metrics(TimePoint now) const;
  // Bytes the receiver holds (what metrics() reports as confirmed_bytes, without building
  // the rest: callers ask after every input).
  uint64_t confirmed_bytes() const { return planner_.confirmed_bytes(); }
  const Profile& profile() const { return profile_; }
  Digest digest() const { return digest_; }   // valid once FINISH is sent

 private:
  struct Chunk {
    Range range;
    StreamId stream = 0;
    uint64_t written = 0;                   // data bytes written
    size_t header_sent = 0, trailer_sent = 0;
    std::array<uint8_t, kChunkHeaderSize> header{};
    Digest trailer{};
    Sha256 hash;
    std::vector<uint8_t> data;              // byte streams: the chunk read whole
    TimePoint started{};
    bool fin_sent = false;
  };

  void fail(TimePoint now, Transport& t, TransferErrorCode code, std::string message, bool tell_peer);
  void handle_message(TimePoint now, Transport& t, Message m);
  void read_control(TimePoint now, Transport& t);
  void adapt(TimePoint now, Transport& t);
  void apply_profile(TimePoint now, Transport& t, TransferMode mode);
  void start_chunks(TimePoint now, Transport& t);
  bool write_chunk(Transport& t, Chunk& c);   // false on a fatal error
  bool fill_stream_chunk(Chunk& c);           // byte streams: read the chunk whole
  void advance_hash(bool all);
  void maybe_finish(TimePoint now, Transport& t);
  void report_progress();

  SenderOptions opts_;
  std::unique_ptr<Source> source_;
  State state_ = State::kIdle;
  std::optional<TransferError> error_;
  ChunkPlanner planner_;
  ModeDetector detector_;
  Profile profile_;
  ChunkTuner tuner_;
  ControlChannel control_{"receiver"};
  std::map<uint64_t, Chunk> chunks_;          // by offset: written or awaiting CHUNK_OK
  // End-to-end digest: random-access sources are hashed in order by a cursor; byte
  // streams as their chunks are read.
  Sha256 e2e_;
  uint64_t hashed_ = 0;
  Digest digest_{};
  std::vector<uint8_t> scratch_;
  std::string controller_;
  TimePoint start_ = kNever, last_status_ = kNever;
  DeferredClose close_;
  TransportStatus status_;
  uint64_t sent_at_last_sample_ = 0, lost_at_last_sample_ = 0;
  uint64_t resumed_bytes_ = 0, bytes_sent_ = 0, chunks_confirmed_ = 0;
  uint32_t total_streams_ = 0;
  uint64_t allowance_ = 0;                    // stream bytes this pump may still write
  Duration latency_sum_{};
  uint64_t last_progress_ = UINT64_MAX;
  bool stream_ended_ = false;                 // byte streams: EOF seen
};

}  // namespace braid::transfer

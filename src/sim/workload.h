// Workload generators: the application on both ends of one client's connection. Bulk
// transfers (download/upload of N bytes on K streams), request/response of small messages
// at a rate, datagram flows at a rate, and one-way timed messages (each on its own stream or
// as a DATAGRAM). Each measures its own progress, stalls and latencies.
//
// A client runs one or more workloads on its one connection (a WorkloadSet): each opens its
// own streams through the Connection API and registers them, so stream events reach only the
// workload that owns the stream; received DATAGRAMs carry their workload's index in the
// first four bytes. The simulation feeds the set connection events and wakes it at
// next_wake().
#pragma once
#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include "braid/connection.h"
#include "sim/metrics.h"
#include "sim/scenario.h"

namespace braid::sim {

enum class Side : uint8_t { kClient, kServer };

class Workload {
 public:
  virtual ~Workload() = default;

  // Set by the WorkloadSet before anything else: the workload's index on its connection (its
  // DATAGRAM tag), the stream-owner table it registers its streams in, and its start time.
  void attach(uint32_t index, std::map<StreamId, uint32_t>* owners, TimePoint start) {
    index_ = index;
    owners_ = owners;
    start_ = start;
  }
  TimePoint start_time() const { return start_; }
  // Every connection event that concerns this workload (its streams, and events without a
  // stream), in order.
  void on_event(TimePoint now, Side side, Connection& conn, const ConnectionEvent& ev);
  // A DATAGRAM tagged with this workload's index arrived on `side`.
  virtual void on_datagram(TimePoint /*now*/, Side /*side*/, std::span<const uint8_t> /*data*/) {}
  // After any input to `conn` (datagram, timeout, wake): write what can be written, read
  // what can be read. Called before start_time() too (senders wait for it).
  virtual void pump(TimePoint now, Side side, Connection& conn) = 0;
  // Rate-driven workloads: the next time they need on_wake(); kNever otherwise.
  virtual TimePoint next_wake() const { return kNever; }
  virtual void on_wake(TimePoint /*now*/, Connection* /*client*/, Connection* /*server*/) {}

  // The run ended at `now`: an unfinished workload's open stall counts up to here.
  void end(TimePoint now) {
    if (!complete()) stall_.on_progress(now);
  }
  bool complete() const { return completed_at_ != kNever; }
  TimePoint completed_at() const { return completed_at_; }
  // When the workload could begin: its start, or the client's handshake if later.
  TimePoint begin() const { return std::max(start_, handshake_at_); }
  uint64_t app_bytes() const { return app_bytes_; }
  // Stream bytes the application wrote / read on each side (index: Side).
  uint64_t stream_written(Side s) const { return stream_written_[static_cast<int>(s)]; }
  uint64_t stream_read(Side s) const { return stream_read_[static_cast<int>(s)]; }
  // Per-message latencies (kinds that measure them), else nullptr.
  virtual const std::vector<Duration>* latencies() const { return nullptr; }
  // The workload's results; `origin` is the simulation start.
  virtual WorkloadResult result(TimePoint origin) const;
  const StallTracker& stall() const { return stall_; }

 protected:
  virtual void on_stream_event(TimePoint /*now*/, Side /*side*/, Connection& /*conn*/, const ConnectionEvent& /*ev*/) {}
  // Opens a stream and records this workload as its owner.
  ApiResult<StreamId> open_stream(Connection& c, bool bidirectional);
  // Pattern bytes with backpressure, FIN with the last; `remaining` shrinks by the bytes taken.
  uint64_t write_pattern(Side side, Connection& c, StreamId id, uint64_t& remaining);
  // Writes data[offset..] with FIN at the end; returns the new offset (backpressure: less).
  size_t write_bytes(Side side, Connection& c, StreamId id, std::span<const uint8_t> data, size_t offset);
  // Everything readable on `id`; `fin` when the stream ended. The overload hands each chunk
  // read to `sink` before the next read.
  uint64_t drain_stream(Side side, Connection& c, StreamId id, bool& fin);
  template <typename Sink>
  uint64_t drain_stream(Side side, Connection& c, StreamId id, bool& fin, Sink&& sink);
  void progress(TimePoint now, uint64_t bytes) {
    app_bytes_ += bytes;
    stall_.on_progress(now);
  }
  void finish(TimePoint now) {
    if (completed_at_ == kNever) completed_at_ = now;
  }
  uint32_t index_ = 0;
  std::map<StreamId, uint32_t>* owners_ = nullptr;
  TimePoint start_{};
  TimePoint handshake_at_ = kNever;  // client handshake completed
  TimePoint completed_at_ = kNever;
  uint64_t app_bytes_ = 0;
  StallTracker stall_;
  uint64_t stream_written_[2] = {0, 0}, stream_read_[2] = {0, 0};
  // Pattern streams: bytes written and read per stream, and bytes read that differ.
  std::map<StreamId, uint64_t> pattern_written_, pattern_read_;
  uint64_t corrupt_bytes_ = 0;

 private:
  static std::span<uint8_t> read_buffer();
};

std::unique_ptr<Workload> make_workload(const WorkloadSpec& spec);
std::unique_ptr<Workload> make_transfer_workload(const WorkloadSpec& spec);   // workload_transfer.cpp

// Everything one client's connection runs, with the routing between the connection and the
// workloads.
class WorkloadSet {
 public:
  // `origin`: the simulation start (workload starts count from it).
  WorkloadSet(const std::vector<WorkloadSpec>& specs, TimePoint origin);

  // The client connection was created at `now`.
  void start(TimePoint now) { connected_at_ = now; }
  // Every event either connection reports, in order: stream events go to the stream's owner
  // (events for streams no workload opened are dropped), the others to every workload.
  void on_event(TimePoint now, Side side, Connection& conn, const ConnectionEvent& ev);
  // Routes received DATAGRAMs by their tag, then pumps every workload.
  void pump(TimePoint now, Side side, Connection& conn);
  // The earliest wake any workload needs (its start, while that is ahead).
  TimePoint next_wake(TimePoint now) const;
  void on_wake(TimePoint now, Connection* client, Connection* server);
  void end(TimePoint now);
  bool complete() const;
  uint64_t stream_written(Side s) const;
  uint64_t stream_read(Side s) const;
  // Fills the workload fields of `r`: per workload and the client summary over them.
  void fill(ClientResult& r) const;

 private:
  std::vector<WorkloadSpec> specs_;
  std::vector<std::unique_ptr<Workload>> workloads_;
  std::map<StreamId, uint32_t> owners_;  // stream → the workload that opened it
  TimePoint origin_;
  TimePoint connected_at_ = kNever;
  TimePoint handshake_at_ = kNever;
};

}  // namespace braid::sim

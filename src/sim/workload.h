// Workload generators: the application on both ends of one client's connection. Bulk
// transfers (download/upload of N bytes on K streams), request/response of small messages
// at a rate, and datagram flows at a rate. Each measures its own progress, stalls and
// latencies; the simulation feeds it connection events and wakes it at next_wake().
#pragma once
#include <memory>

#include "braid/connection.h"
#include "sim/metrics.h"
#include "sim/scenario.h"

namespace braid::sim {

enum class Side : uint8_t { kClient, kServer };

class Workload {
 public:
  virtual ~Workload() = default;

  // The client connection was created at `now`.
  void start(TimePoint now) { start_ = now; }
  // Every event either connection reports, in order.
  void on_event(TimePoint now, Side side, Connection& conn, const ConnectionEvent& ev);
  // After any input to `conn` (datagram, timeout, wake): write what can be written, read
  // what can be read.
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
  TimePoint handshake_at() const { return handshake_at_; }
  // Stream bytes the application wrote / read on each side (index: Side).
  uint64_t stream_written(Side s) const { return stream_written_[static_cast<int>(s)]; }
  uint64_t stream_read(Side s) const { return stream_read_[static_cast<int>(s)]; }
  // Fills the workload's fields of `r` (completion, goodput, stall, messages, latency).
  virtual void fill(ClientResult& r) const;

 protected:
  virtual void on_stream_event(TimePoint /*now*/, Side /*side*/, Connection& /*conn*/, const ConnectionEvent& /*ev*/) {}
  // Pattern bytes with backpressure, FIN with the last; `remaining` shrinks by the bytes taken.
  uint64_t write_pattern(Side side, Connection& c, StreamId id, uint64_t& remaining);
  // Everything readable on `id`; `fin` when the stream ended.
  uint64_t drain_stream(Side side, Connection& c, StreamId id, bool& fin);
  void progress(TimePoint now, uint64_t bytes) {
    app_bytes_ += bytes;
    stall_.on_progress(now);
  }
  void finish(TimePoint now) {
    if (completed_at_ == kNever) completed_at_ = now;
  }
  TimePoint start_{};
  TimePoint handshake_at_ = kNever;  // client handshake completed
  TimePoint completed_at_ = kNever;
  uint64_t app_bytes_ = 0;
  StallTracker stall_;
  uint64_t stream_written_[2] = {0, 0}, stream_read_[2] = {0, 0};
};

std::unique_ptr<Workload> make_workload(const WorkloadSpec& spec);

}  // namespace braid::sim

// The byte transport a transfer runs on, as the sender and receiver see it: streams, a
// view of the paths for the mode detector, and the controller switch the profiles use.
// QuicTransport maps it onto a braid Connection. Another backend (RDMA verbs, say, which
// this hardware does not have) would implement the same interface; the transfer logic
// does not change.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "braid/connection.h"

namespace braid::transfer {

enum class TransportEventKind : uint8_t {
  kStreamOpened,       // the peer opened `stream`
  kStreamReadable,
  kStreamWritable,
  kStreamReset,        // the peer reset `stream` (code)
  kStreamStopSending,  // the peer does not want `stream` (code)
  kClosed,             // the connection ended (reason)
};

struct TransportEvent {
  TransportEventKind kind = TransportEventKind::kStreamReadable;
  StreamId stream = 0;
  uint64_t code = 0;
  std::string reason;
};

struct TransportPath {
  PathId id = 0;
  bool usable = false;            // carries data now (active, not suspect or failed)
  Duration smoothed_rtt{};        // zero before the first sample
  double bandwidth_bits_per_second = 0;
  PathHealth health = PathHealth::kHealthy;
};

struct TransportStatus {
  std::vector<TransportPath> paths;
  uint64_t packets_sent = 0, packets_lost = 0;   // over the paths the connection has now
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual ApiResult<StreamId> open_stream(bool bidirectional) = 0;
  virtual size_t writable(StreamId id) = 0;   // 0 when blocked or the stream is gone
  virtual ApiResult<size_t> write(StreamId id, std::span<const uint8_t> data, bool fin) = 0;
  virtual ApiResult<size_t> read(StreamId id, std::span<uint8_t> out, bool& fin) = 0;
  virtual void reset(StreamId id, uint64_t code) = 0;
  virtual void stop_sending(StreamId id, uint64_t code) = 0;
  virtual TransportStatus status(TimePoint now) const = 0;
  // Buffered stream bytes against the paths' windows (after every write; must be cheap).
  virtual SendPressure send_pressure() const = 0;
  // The controller on every path; false with `error` set when the name is unknown.
  virtual bool set_congestion_controller(TimePoint now, const std::string& name, std::string& error) = 0;
  virtual void close(TimePoint now, uint64_t app_error, std::string reason) = 0;
};

// A braid QUIC connection as a transfer transport. Bandwidth per path is the larger of the
// newest delivery-rate sample and the controller's bottleneck estimate.
class QuicTransport final : public Transport {
 public:
  explicit QuicTransport(Connection& c) : c_(c) {}
  ApiResult<StreamId> open_stream(bool bidirectional) override { return c_.open_stream(bidirectional); }
  size_t writable(StreamId id) override;
  ApiResult<size_t> write(StreamId id, std::span<const uint8_t> data, bool fin) override {
    return c_.stream_write(id, data, fin);
  }
  ApiResult<size_t> read(StreamId id, std::span<uint8_t> out, bool& fin) override { return c_.stream_read(id, out, fin); }
  void reset(StreamId id, uint64_t code) override { (void)c_.stream_reset(id, code); }
  void stop_sending(StreamId id, uint64_t code) override { (void)c_.stream_stop_sending(id, code); }
  TransportStatus status(TimePoint now) const override;
  SendPressure send_pressure() const override { return c_.send_pressure(); }
  bool set_congestion_controller(TimePoint now, const std::string& name, std::string& error) override;
  void close(TimePoint now, uint64_t app_error, std::string reason) override { c_.close(now, app_error, std::move(reason)); }
  Connection& connection() { return c_; }

  // The transfer's view of a connection event (nullopt: not one a transfer cares about).
  static std::optional<TransportEvent> translate(const ConnectionEvent& ev);

 private:
  Connection& c_;
};

}  // namespace braid::transfer

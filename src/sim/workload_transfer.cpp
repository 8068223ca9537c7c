// The `transfer` workload: the adaptive bulk-transfer layer (src/transfer) uploading
// pattern bytes from the client to the server over every path of the connection. The
// receiver checks every byte it is given against the pattern at its offset (or writes
// files into `dir`, which a second run resumes from); the sender's modes and profiles are
// logged for the summary.
#include <algorithm>

#include "sim/workload.h"
#include "transfer/transfer_receiver.h"
#include "transfer/transfer_sender.h"

namespace braid::sim {
namespace {

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// Compares what the receiver writes with the pattern instead of keeping it: a 200 MB
// transfer costs no memory, and a byte out of place counts as corrupt.
class PatternCheckSink final : public transfer::Sink {
 public:
  PatternCheckSink(uint64_t seed, uint64_t& corrupt, bool& committed) : seed_(seed), corrupt_(corrupt), committed_(committed) {}
  std::expected<void, transfer::TransferError> write_at(uint64_t offset, std::span<const uint8_t> data) override {
    expect_.resize(data.size());
    transfer::fill_pattern(seed_, offset, expect_);
    for (size_t i = 0; i < data.size(); ++i) corrupt_ += data[i] != expect_[i] ? 1 : 0;
    return {};
  }
  std::expected<size_t, transfer::TransferError> read_at(uint64_t offset, std::span<uint8_t> out) override {
    // Only bytes that were written (and matched, or were counted corrupt) are read back.
    transfer::fill_pattern(seed_, offset, out);
    return out.size();
  }
  std::expected<void, transfer::TransferError> confirm(transfer::Range, const transfer::Digest&) override { return {}; }
  std::expected<void, transfer::TransferError> commit(uint64_t) override {
    committed_ = true;
    return {};
  }
  void discard() override {}
  void suspend() override {}
  std::string location() const override { return "pattern check"; }

 private:
  uint64_t seed_;
  uint64_t& corrupt_;
  bool& committed_;
  std::vector<uint8_t> expect_;
};

class PatternCheckFactory final : public transfer::SinkFactory {
 public:
  PatternCheckFactory(uint64_t seed, uint64_t& corrupt, bool& committed) : seed_(seed), corrupt_(corrupt), committed_(committed) {}
  std::expected<transfer::OpenedSink, transfer::TransferError> open(const transfer::OfferMsg&) override {
    return transfer::OpenedSink{std::make_unique<PatternCheckSink>(seed_, corrupt_, committed_), {}};
  }

 private:
  uint64_t seed_;
  uint64_t& corrupt_;
  bool& committed_;
};

class TransferWorkload final : public Workload {
 public:
  explicit TransferWorkload(const WorkloadSpec& s) : spec_(s) {
    if (spec_.transfer_dir.empty()) {
      sinks_ = std::make_unique<PatternCheckFactory>(spec_.transfer_id, corrupt_bytes_, committed_);
    } else {
      sinks_ = std::make_unique<transfer::FileSinkFactory>(spec_.transfer_dir, true);
    }
    receiver_ = std::make_unique<transfer::TransferReceiver>(transfer::ReceiverOptions{}, *sinks_);
  }

  void pump(TimePoint now, Side side, Connection& c) override {
    now_ = now;
    if (side == Side::kServer) {
      transfer::QuicTransport t(c);
      receiver_->pump(now, t);
      return;
    }
    if (killed_ || now < start_ || !c.is_handshake_complete()) return;
    if (!sender_) make_sender();
    Transport t(*this, c);
    sender_->pump(now, t);
    uint64_t confirmed = sender_->confirmed_bytes();
    if (confirmed > reported_) {
      progress(now, confirmed - reported_);
      reported_ = confirmed;
    }
    if (sender_->done()) finish(now);
    if (sender_->failed() && !complete()) finish_failed(now);
    if (spec_.kill_at > 0 && !complete() && confirmed >= static_cast<uint64_t>(spec_.kill_at * static_cast<double>(spec_.bytes))) {
      killed_ = true;
      c.close(now, 0, "killed by the scenario (kill_at)");
      finish(now);
    }
  }

  TimePoint next_wake() const override {
    TimePoint t = receiver_->next_wake();
    if (sender_ && !complete()) t = std::min(t, sender_->next_wake());
    return t;
  }

  void on_wake(TimePoint now, Connection* client, Connection* server) override {
    if (server) pump(now, Side::kServer, *server);
    if (client) pump(now, Side::kClient, *client);
  }

  WorkloadResult result(TimePoint origin) const override {
    WorkloadResult r = Workload::result(origin);
    r.has_transfer = true;
    r.transfer_killed = killed_;
    if (sender_) {
      auto m = sender_->metrics(now_);
      r.transfer_bytes_sent = m.bytes_sent;
      r.transfer_resumed_bytes = m.resumed_bytes;
      if (sender_->error()) r.transfer_error = sender_->error()->describe();
    }
    if (receiver_->failed() && r.transfer_error.empty()) r.transfer_error = "receiver: " + receiver_->error()->describe();
    if (!killed_ && complete() && !committed_ && spec_.transfer_dir.empty()) r.completed = false;
    r.corrupt_bytes = corrupt_bytes_;
    for (auto [at, m] : modes_) {
      m.at_s = seconds(at - origin);
      r.transfer_modes.push_back(m);
    }
    return r;
  }

 protected:
  void on_stream_event(TimePoint now, Side side, Connection& c, const ConnectionEvent& ev) override {
    auto te = transfer::QuicTransport::translate(ev);
    if (!te) return;
    if (side == Side::kServer) {
      transfer::QuicTransport t(c);
      receiver_->on_event(now, t, *te);
    } else if (sender_) {
      Transport t(*this, c);
      sender_->on_event(now, t, *te);
    }
  }

 private:
  // The connection as the sender's transport, with its streams registered to this workload
  // so their events come back here.
  class Transport final : public transfer::Transport {
   public:
    Transport(TransferWorkload& w, Connection& c) : w_(w), c_(c), q_(c) {}
    ApiResult<StreamId> open_stream(bool bidi) override { return w_.open_stream(c_, bidi); }
    size_t writable(StreamId id) override { return q_.writable(id); }
    ApiResult<size_t> write(StreamId id, std::span<const uint8_t> d, bool fin) override {
      auto n = q_.write(id, d, fin);
      if (n) w_.stream_written_[static_cast<int>(Side::kClient)] += *n;
      return n;
    }
    ApiResult<size_t> read(StreamId id, std::span<uint8_t> o, bool& fin) override { return q_.read(id, o, fin); }
    void reset(StreamId id, uint64_t code) override { q_.reset(id, code); }
    void stop_sending(StreamId id, uint64_t code) override { q_.stop_sending(id, code); }
    transfer::TransportStatus status(TimePoint now) const override { return q_.status(now); }
    SendPressure send_pressure() const override { return q_.send_pressure(); }
    bool set_congestion_controller(TimePoint now, const std::string& n, std::string& e) override {
      return q_.set_congestion_controller(now, n, e);
    }
    void close(TimePoint now, uint64_t code, std::string reason) override { q_.close(now, code, std::move(reason)); }

   private:
    TransferWorkload& w_;
    Connection& c_;
    transfer::QuicTransport q_;
  };

  void make_sender() {
    transfer::SenderOptions o;
    o.id = {};
    for (int i = 0; i < 8; ++i) o.id[i] = static_cast<uint8_t>(spec_.transfer_id >> (56 - 8 * i));
    o.name = "transfer-" + std::to_string(spec_.transfer_id) + ".bin";
    o.mode.check_interval = spec_.transfer_check_interval;
    if (spec_.transfer_mode != "auto") o.mode.forced = transfer::parse_mode(spec_.transfer_mode);
    if (spec_.transfer_streams) o.streams = spec_.transfer_streams;
    if (spec_.transfer_chunk) o.chunk = spec_.transfer_chunk;
    o.on_mode = [this](transfer::TransferMode m, const transfer::Profile& p) {
      modes_.push_back({now_, {0, transfer::to_string(m), p.congestion_controller, p.streams}});
    };
    sender_ = std::make_unique<transfer::TransferSender>(o, transfer::pattern_source(spec_.bytes, spec_.transfer_id));
  }

  void finish_failed(TimePoint now) {
    // The run is over for this workload; result() reports it not completed.
    failed_ = true;
    finish(now);
  }

  WorkloadSpec spec_;
  std::unique_ptr<transfer::SinkFactory> sinks_;
  std::unique_ptr<transfer::TransferReceiver> receiver_;
  std::unique_ptr<transfer::TransferSender> sender_;
  std::vector<std::pair<TimePoint, WorkloadResult::ModeChange>> modes_;
  TimePoint now_{};
  uint64_t reported_ = 0;
  bool killed_ = false, committed_ = false, failed_ = false;
};

}  // namespace

std::unique_ptr<Workload> make_transfer_workload(const WorkloadSpec& spec) {
  return std::make_unique<TransferWorkload>(spec);
}

}  // namespace braid::sim

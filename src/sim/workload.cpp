// The three workload generators. Senders write from a shared pattern buffer with
// backpressure (a write returning 0 means "try again after the next input"); receivers read
// everything readable after each input and report in-order progress.
#include "sim/workload.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <set>

namespace braid::sim {

namespace {

const std::array<uint8_t, 65536>& pattern() {
  static const std::array<uint8_t, 65536> p = [] {
    std::array<uint8_t, 65536> a{};
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint8_t>(i * 131 + (i >> 8));
    return a;
  }();
  return p;
}

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// Writes up to `remaining` pattern bytes on `id`, with FIN on the last one. Returns bytes
// accepted; `remaining` shrinks accordingly.
uint64_t write_pattern_raw(Connection& c, StreamId id, uint64_t& remaining) {
  uint64_t total = 0;
  while (remaining > 0) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(remaining, pattern().size()));
    auto w = c.stream_write(id, {pattern().data(), chunk}, chunk == remaining);
    if (!w || *w == 0) break;
    remaining -= *w;
    total += *w;
  }
  return total;
}

std::array<uint8_t, 256 * 1024> g_read_buffer;

// Reads everything readable on `id`. Returns bytes read; sets `fin` when the stream ended.
uint64_t drain_stream_raw(Connection& c, StreamId id, bool& fin) {
  uint64_t total = 0;
  fin = false;
  for (;;) {
    bool f = false;
    auto n = c.stream_read(id, g_read_buffer, f);
    if (!n) break;
    total += *n;
    if (f) {
      fin = true;
      break;
    }
    if (*n == 0) break;
  }
  return total;
}

class BulkWorkload final : public Workload {
 public:
  explicit BulkWorkload(const WorkloadSpec& s) : spec_(s), sender_(s.kind == WorkloadKind::kBulkDownload ? Side::kServer : Side::kClient) {}

  void pump(TimePoint now, Side side, Connection& c) override {
    if (side == sender_) {
      if (!opened_ && c.is_handshake_complete()) open_streams(c);
      for (auto& [id, rem] : to_send_) {
        if (rem > 0) write_pattern(side, c, id, rem);
      }
    } else {
      for (auto it = inbound_.begin(); it != inbound_.end();) {
        bool fin = false;
        uint64_t n = drain_stream(side, c, *it, fin);
        if (n) progress(now, n);
        if (fin) {
          done_streams_.insert(*it);
          it = inbound_.erase(it);
          if (++finished_ == spec_.streams) finish(now);
        } else {
          ++it;
        }
      }
    }
  }

 protected:
  void on_stream_event(TimePoint, Side side, Connection&, const ConnectionEvent& ev) override {
    if (side == sender_) return;
    if (ev.type == ConnectionEventType::kStreamOpened || ev.type == ConnectionEventType::kStreamReadable) {
      if (!done_streams_.count(ev.stream_id)) inbound_.insert(ev.stream_id);
    }
  }

 private:
  void open_streams(Connection& c) {
    opened_ = true;
    uint64_t per = spec_.bytes / spec_.streams;
    for (uint32_t i = 0; i < spec_.streams; ++i) {
      auto id = c.open_stream(false);
      if (!id) return;
      uint64_t n = i + 1 == spec_.streams ? spec_.bytes - per * (spec_.streams - 1) : per;
      to_send_.emplace_back(*id, n);
    }
  }

  WorkloadSpec spec_;
  Side sender_;
  bool opened_ = false;
  std::vector<std::pair<StreamId, uint64_t>> to_send_;
  std::set<StreamId> inbound_, done_streams_;
  uint32_t finished_ = 0;
};

class RequestResponseWorkload final : public Workload {
 public:
  explicit RequestResponseWorkload(const WorkloadSpec& s) : spec_(s) {}

  TimePoint next_wake() const override {
    if (handshake_at_ == kNever || sent_ >= spec_.count) return kNever;
    return handshake_at_ + interval() * sent_;
  }

  void on_wake(TimePoint now, Connection* client, Connection*) override {
    while (client && sent_ < spec_.count && handshake_at_ + interval() * sent_ <= now) {
      auto id = client->open_stream(true);
      if (!id) return;  // stream limit: retried at the next wake after input
      sent_++;
      Request& r = requests_[*id];
      r.sent = now;
      r.request_left = spec_.request_bytes;
      write_pattern(Side::kClient, *client, *id, r.request_left);
    }
  }

  void pump(TimePoint now, Side side, Connection& c) override {
    if (side == Side::kClient) {
      on_wake(now, &c, nullptr);
      for (auto& [id, r] : requests_) {
        if (r.request_left) write_pattern(side, c, id, r.request_left);
        if (r.done) continue;
        bool fin = false;
        uint64_t n = drain_stream(side, c, id, fin);
        if (n) progress(now, n);
        if (fin) {
          r.done = true;
          latencies_.push_back(now - r.sent);
          if (latencies_.size() == spec_.count) finish(now);
        }
      }
      std::erase_if(requests_, [](const auto& kv) { return kv.second.done; });
    } else {
      for (auto it = server_streams_.begin(); it != server_streams_.end();) {
        auto& st = it->second;
        if (!st.request_done) {
          bool fin = false;
          drain_stream(side, c, it->first, fin);
          if (fin) st.request_done = true, st.response_left = spec_.response_bytes;
        }
        if (st.request_done && st.response_left) write_pattern(side, c, it->first, st.response_left);
        if (st.request_done && !st.response_left) {
          it = server_streams_.erase(it);
        } else {
          ++it;
        }
      }
    }
  }

  void fill(ClientResult& r) const override {
    Workload::fill(r);
    r.messages_sent = sent_;
    r.messages_delivered = latencies_.size();
    r.latency = summarize_latencies(latencies_);
  }

 protected:
  void on_stream_event(TimePoint, Side side, Connection&, const ConnectionEvent& ev) override {
    if (side == Side::kServer && ev.type == ConnectionEventType::kStreamOpened) server_streams_[ev.stream_id];
  }

 private:
  struct Request {
    TimePoint sent;
    uint64_t request_left = 0;
    bool done = false;
  };
  struct ServerStream {
    bool request_done = false;
    uint64_t response_left = 0;
  };
  Duration interval() const {
    return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(1.0 / spec_.rate_per_s));
  }

  WorkloadSpec spec_;
  uint32_t sent_ = 0;
  std::map<StreamId, Request> requests_;
  std::map<StreamId, ServerStream> server_streams_;
  std::vector<Duration> latencies_;
};

class DatagramFlowWorkload final : public Workload {
 public:
  explicit DatagramFlowWorkload(const WorkloadSpec& s)
      : spec_(s), sender_(s.downstream ? Side::kServer : Side::kClient), received_(s.count, false) {}

  TimePoint next_wake() const override {
    if (ready_at_ == kNever || complete()) return kNever;
    if (sent_ < spec_.count) return ready_at_ + interval() * sent_;
    return ready_at_ + interval() * (spec_.count - 1) + spec_.drain;
  }

  void on_wake(TimePoint now, Connection* client, Connection* server) override {
    Connection* s = sender_ == Side::kClient ? client : server;
    while (s && sent_ < spec_.count && ready_at_ + interval() * sent_ <= now) send_one(now, *s);
    if (sent_ == spec_.count && now >= ready_at_ + interval() * (spec_.count - 1) + spec_.drain) finish(now);
  }

  void pump(TimePoint now, Side side, Connection& c) override {
    if (side == sender_) {
      if (ready_at_ == kNever && c.is_handshake_complete()) {
        ready_at_ = now;
        stall_.start(now);
      }
      return;
    }
    while (auto d = c.recv_datagram()) {
      if (d->size() < 16) continue;
      uint64_t seq = 0, sent_ns = 0;
      std::memcpy(&seq, d->data(), 8);
      std::memcpy(&sent_ns, d->data() + 8, 8);
      if (seq >= received_.size() || received_[seq]) continue;
      received_[seq] = true;
      latencies_.push_back(now - TimePoint{Duration{static_cast<int64_t>(sent_ns)}});
      progress(now, d->size());
    }
  }

  void fill(ClientResult& r) const override {
    Workload::fill(r);
    r.messages_sent = sent_;
    r.messages_delivered = latencies_.size();
    r.latency = summarize_latencies(latencies_);
  }

 private:
  void send_one(TimePoint now, Connection& c) {
    std::vector<uint8_t> d(spec_.datagram_bytes);
    uint64_t seq = sent_, ns = static_cast<uint64_t>(now.time_since_epoch().count());
    std::memcpy(d.data(), &seq, 8);
    std::memcpy(d.data() + 8, &ns, 8);
    std::memcpy(d.data() + 16, pattern().data(), d.size() - 16);
    sent_++;
    if (!c.send_datagram(d)) refused_++;
  }
  Duration interval() const {
    return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(1.0 / spec_.rate_per_s));
  }

  WorkloadSpec spec_;
  Side sender_;
  TimePoint ready_at_ = kNever;
  uint32_t sent_ = 0;
  uint64_t refused_ = 0;
  std::vector<bool> received_;
  std::vector<Duration> latencies_;
};

}  // namespace

uint64_t Workload::write_pattern(Side side, Connection& c, StreamId id, uint64_t& remaining) {
  uint64_t n = write_pattern_raw(c, id, remaining);
  stream_written_[static_cast<int>(side)] += n;
  return n;
}

uint64_t Workload::drain_stream(Side side, Connection& c, StreamId id, bool& fin) {
  uint64_t n = drain_stream_raw(c, id, fin);
  stream_read_[static_cast<int>(side)] += n;
  return n;
}

void Workload::on_event(TimePoint now, Side side, Connection& conn, const ConnectionEvent& ev) {
  if (side == Side::kClient && ev.type == ConnectionEventType::kHandshakeCompleted && handshake_at_ == kNever) {
    handshake_at_ = now;
    stall_.start(now);
  }
  on_stream_event(now, side, conn, ev);
}

void Workload::fill(ClientResult& r) const {
  r.completed = complete();
  r.app_bytes = app_bytes_;
  if (handshake_at_ != kNever) r.handshake_s = seconds(handshake_at_ - start_);
  if (complete()) {
    r.completion_s = seconds(completed_at_ - start_);
    Duration transfer = completed_at_ - (handshake_at_ == kNever ? start_ : handshake_at_);
    if (transfer > Duration::zero()) r.goodput_mbps = static_cast<double>(app_bytes_) * 8 / seconds(transfer) / 1e6;
  }
  r.longest_stall_s = seconds(stall_.longest());
  if (stall_.longest() > Duration::zero()) r.longest_stall_end_s = seconds(stall_.longest_ends_at() - start_);
}

std::unique_ptr<Workload> make_workload(const WorkloadSpec& spec) {
  switch (spec.kind) {
    case WorkloadKind::kBulkDownload:
    case WorkloadKind::kBulkUpload: return std::make_unique<BulkWorkload>(spec);
    case WorkloadKind::kRequestResponse: return std::make_unique<RequestResponseWorkload>(spec);
    case WorkloadKind::kDatagramFlow: return std::make_unique<DatagramFlowWorkload>(spec);
  }
  return nullptr;
}

}  // namespace braid::sim

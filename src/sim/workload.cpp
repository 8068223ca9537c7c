// The workload generators and the per-connection set that routes to them. Senders write
// from a shared pattern buffer with backpressure (a write returning 0 means "try again after
// the next input"); receivers read everything readable after each input and report in-order
// progress. Timed messages carry a header (workload, sequence number, send time) and a
// per-message pattern the receiver checks byte by byte.
#include "sim/workload.h"

#include "sim/workload_bytes.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <fmt/format.h>
#include <map>
#include <optional>
#include <set>

namespace braid::sim {

namespace {

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

Duration interval_of(double rate_per_s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(1.0 / rate_per_s));
}

std::array<uint8_t, 256 * 1024> g_read_buffer;

bool is_stream_event(ConnectionEventType t) {
  switch (t) {
    case ConnectionEventType::kStreamOpened:
    case ConnectionEventType::kStreamReadable:
    case ConnectionEventType::kStreamWritable:
    case ConnectionEventType::kStreamFinished:
    case ConnectionEventType::kStreamReset:
    case ConnectionEventType::kStreamStopSending: return true;
    default: return false;
  }
}

class BulkWorkload final : public Workload {
 public:
  explicit BulkWorkload(const WorkloadSpec& s) : spec_(s), sender_(s.kind == WorkloadKind::kBulkDownload ? Side::kServer : Side::kClient) {}

  void pump(TimePoint now, Side side, Connection& c) override {
    if (side == sender_) {
      if (!opened_ && now >= start_ && c.is_handshake_complete()) open_streams(c);
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
      auto id = open_stream(c, false);
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
    return begin() + interval_of(spec_.rate_per_s) * sent_;
  }

  void on_wake(TimePoint now, Connection* client, Connection*) override {
    if (handshake_at_ == kNever) return;
    while (client && sent_ < spec_.count && begin() + interval_of(spec_.rate_per_s) * sent_ <= now) {
      auto id = open_stream(*client, true);
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

  const std::vector<Duration>* latencies() const override { return &latencies_; }
  WorkloadResult result(TimePoint origin) const override {
    WorkloadResult r = Workload::result(origin);
    r.messages_sent = sent_;
    r.messages_delivered = latencies_.size();
    r.has_latency = true;
    r.latency = summarize_latencies(latencies_);
    return r;
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
    if (ready_at_ == kNever) return;
    Connection* s = sender_ == Side::kClient ? client : server;
    while (s && sent_ < spec_.count && ready_at_ + interval() * sent_ <= now) send_one(now, *s);
    if (sent_ == spec_.count && now >= ready_at_ + interval() * (spec_.count - 1) + spec_.drain) finish(now);
  }

  void pump(TimePoint now, Side side, Connection& c) override {
    if (side == sender_ && ready_at_ == kNever && now >= start_ && c.is_handshake_complete()) {
      ready_at_ = now;
      stall_.start(now);
    }
  }

  void on_datagram(TimePoint now, Side side, std::span<const uint8_t> d) override {
    if (side == sender_ || d.size() < kHeaderBytes) return;
    uint32_t seq = get_u32(d.data() + 4);
    if (seq >= received_.size() || received_[seq]) return;
    received_[seq] = true;
    latencies_.push_back(now - header_time(d.data()));
    progress(now, d.size());
  }

  const std::vector<Duration>* latencies() const override { return &latencies_; }
  WorkloadResult result(TimePoint origin) const override {
    WorkloadResult r = Workload::result(origin);
    r.messages_sent = sent_;
    r.messages_delivered = latencies_.size();
    r.messages_refused = refused_;
    r.has_latency = true;
    r.latency = summarize_latencies(latencies_);
    return r;
  }

 private:
  void send_one(TimePoint now, Connection& c) {
    std::vector<uint8_t> d(spec_.datagram_bytes);
    put_header(d.data(), index_, sent_, now);
    std::memcpy(d.data() + kHeaderBytes, pattern().data(), d.size() - kHeaderBytes);
    sent_++;
    if (!c.send_datagram(d)) refused_++;
  }
  Duration interval() const { return interval_of(spec_.rate_per_s); }

  WorkloadSpec spec_;
  Side sender_;
  TimePoint ready_at_ = kNever;
  uint32_t sent_ = 0;
  uint64_t refused_ = 0;
  std::vector<bool> received_;
  std::vector<Duration> latencies_;
};

// One-way timed messages: message k is due at ready + k / rate_per_s, where `ready` is when
// the sender's handshake completed (or the workload's start, if later). Latency is from the
// due time (the sender's write; a message waiting for stream credit keeps its due time) to
// the receiver holding the whole message, checked: length, header and every pattern byte.
class MessagesWorkload final : public Workload {
 public:
  explicit MessagesWorkload(const WorkloadSpec& s)
      : spec_(s), sender_(s.downstream ? Side::kServer : Side::kClient), delivered_(s.count, false) {}

  TimePoint next_wake() const override {
    if (ready_at_ == kNever || complete()) return kNever;
    if (due_ < spec_.count) return due_time(due_);
    if (datagrams()) return drain_end();
    return kNever;
  }

  void on_wake(TimePoint now, Connection* client, Connection* server) override {
    if (ready_at_ == kNever) return;
    Connection* s = sender_ == Side::kClient ? client : server;
    if (s) send_due(now, *s);
    if (datagrams() && due_ == spec_.count && now >= drain_end()) finish(now);
  }

  void pump(TimePoint now, Side side, Connection& c) override {
    if (side != sender_) {
      receive_streams(now, side, c);
      return;
    }
    if (ready_at_ == kNever) {
      if (now < start_ || !c.is_handshake_complete()) return;
      ready_at_ = now;
    }
    send_due(now, c);
  }

  void on_datagram(TimePoint now, Side side, std::span<const uint8_t> d) override {
    if (side == sender_) return;
    if (d.size() >= kHeaderBytes) {
      uint32_t seq = get_u32(d.data() + 4);
      if (seq < delivered_.size() && delivered_[seq]) return;  // a duplicated datagram
    }
    Rx rx;
    feed(rx, d);
    deliver(now, rx);
  }

  const std::vector<Duration>* latencies() const override { return &latencies_; }
  WorkloadResult result(TimePoint origin) const override {
    WorkloadResult r = Workload::result(origin);
    r.messages_sent = due_;
    r.messages_delivered = latencies_.size();
    r.messages_corrupt = corrupt_;
    r.messages_refused = refused_;
    r.has_latency = true;
    r.latency = summarize_latencies(latencies_);
    return r;
  }

 protected:
  void on_stream_event(TimePoint, Side side, Connection&, const ConnectionEvent& ev) override {
    if (side == sender_) return;
    if (ev.type == ConnectionEventType::kStreamOpened || ev.type == ConnectionEventType::kStreamReadable) {
      if (!done_streams_.count(ev.stream_id)) inbound_.try_emplace(ev.stream_id);
    }
  }

 private:
  struct Out {
    std::optional<StreamId> id;
    std::vector<uint8_t> data;
    size_t offset = 0;
  };
  // What the receiver has of one message so far.
  struct Rx {
    uint64_t length = 0;
    std::array<uint8_t, kHeaderBytes> header{};
    uint32_t seq = 0;
    TimePoint sent{};
    bool bad = false;
  };

  bool datagrams() const { return spec_.transport == MessageTransport::kDatagram; }
  Duration interval() const { return interval_of(spec_.rate_per_s); }
  TimePoint due_time(uint32_t k) const { return ready_at_ + interval() * k; }
  TimePoint drain_end() const { return due_time(spec_.count - 1) + spec_.drain; }

  std::vector<uint8_t> make_message(uint32_t seq, TimePoint due) const {
    std::vector<uint8_t> m(spec_.message_bytes);
    put_header(m.data(), index_, seq, due);
    for (size_t i = kHeaderBytes; i < m.size(); ++i) m[i] = message_byte(seq, i);
    return m;
  }

  void send_due(TimePoint now, Connection& c) {
    while (due_ < spec_.count && due_time(due_) <= now) {
      auto m = make_message(due_, due_time(due_));
      due_++;
      if (datagrams()) {
        if (!c.send_datagram(m)) refused_++;
      } else {
        out_.push_back({std::nullopt, std::move(m), 0});
      }
    }
    // Streams open in message order; once one cannot open (stream limit) the rest wait
    // for the peer's MAX_STREAMS.
    while (!out_.empty()) {
      Out& o = out_.front();
      if (!o.id) {
        auto id = open_stream(c, false);
        if (!id) break;
        o.id = *id;
      }
      o.offset = write_bytes(sender_, c, *o.id, o.data, o.offset);
      if (o.offset < o.data.size()) break;
      out_.pop_front();
    }
    // Later messages whose streams are open but whose writes were cut short.
    for (Out& o : out_) {
      if (o.id && o.offset < o.data.size()) o.offset = write_bytes(sender_, c, *o.id, o.data, o.offset);
    }
  }

  void feed(Rx& rx, std::span<const uint8_t> chunk) {
    for (uint8_t b : chunk) {
      if (rx.length < kHeaderBytes) {
        rx.header[rx.length++] = b;
        if (rx.length == kHeaderBytes) {
          rx.seq = get_u32(rx.header.data() + 4);
          rx.sent = header_time(rx.header.data());
          if (get_u32(rx.header.data()) != index_ || rx.seq >= spec_.count) rx.bad = true;
        }
        continue;
      }
      if (!rx.bad && b != message_byte(rx.seq, rx.length)) rx.bad = true;
      rx.length++;
    }
  }

  void deliver(TimePoint now, const Rx& rx) {
    if (rx.bad || rx.length != spec_.message_bytes || delivered_[rx.seq]) {
      corrupt_++;
      return;
    }
    delivered_[rx.seq] = true;
    latencies_.push_back(now - rx.sent);
    progress(now, rx.length);
    if (latencies_.size() == spec_.count) finish(now);
  }

  void receive_streams(TimePoint now, Side side, Connection& c) {
    for (auto it = inbound_.begin(); it != inbound_.end();) {
      bool fin = false;
      Rx& rx = it->second;
      drain_stream(side, c, it->first, fin, [&](std::span<const uint8_t> chunk) { feed(rx, chunk); });
      if (fin) {
        deliver(now, rx);
        done_streams_.insert(it->first);
        it = inbound_.erase(it);
      } else {
        ++it;
      }
    }
  }

  WorkloadSpec spec_;
  Side sender_;
  TimePoint ready_at_ = kNever;
  uint32_t due_ = 0;  // messages that became due (sent, or waiting for a stream)
  uint64_t refused_ = 0, corrupt_ = 0;
  std::deque<Out> out_;
  std::map<StreamId, Rx> inbound_;
  std::set<StreamId> done_streams_;
  std::vector<bool> delivered_;
  std::vector<Duration> latencies_;
};

std::string describe(const WorkloadSpec& w) {
  auto dir = [&] { return w.downstream ? "downstream" : "upstream"; };
  switch (w.kind) {
    case WorkloadKind::kBulkDownload:
    case WorkloadKind::kBulkUpload: return fmt::format("{} B on {} stream{}", w.bytes, w.streams, w.streams == 1 ? "" : "s");
    case WorkloadKind::kRequestResponse:
      return fmt::format("{} x {} B / {} B at {}/s", w.count, w.request_bytes, w.response_bytes, w.rate_per_s);
    case WorkloadKind::kDatagramFlow:
      return fmt::format("{} x {} B at {}/s, {}", w.count, w.datagram_bytes, w.rate_per_s, dir());
    case WorkloadKind::kMessages:
      return fmt::format("{} x {} B at {}/s, {}, {}", w.count, w.message_bytes, w.rate_per_s, dir(),
                         to_string(w.transport));
    case WorkloadKind::kTransfer:
      return fmt::format("{} B, mode {}{}", w.bytes, w.transfer_mode, w.kill_at > 0 ? fmt::format(", killed at {}", w.kill_at) : "");
  }
  return "";
}

}  // namespace

ApiResult<StreamId> Workload::open_stream(Connection& c, bool bidirectional) {
  auto id = c.open_stream(bidirectional);
  if (id && owners_) (*owners_)[*id] = index_;
  return id;
}

uint64_t Workload::write_pattern(Side side, Connection& c, StreamId id, uint64_t& remaining) {
  uint64_t& offset = pattern_written_[id];
  uint64_t n = write_pattern_raw(c, id, remaining, offset);
  offset += n;
  stream_written_[static_cast<int>(side)] += n;
  return n;
}

size_t Workload::write_bytes(Side side, Connection& c, StreamId id, std::span<const uint8_t> data, size_t offset) {
  while (offset < data.size()) {
    auto w = c.stream_write(id, data.subspan(offset), true);
    if (!w || *w == 0) break;
    offset += *w;
    stream_written_[static_cast<int>(side)] += *w;
  }
  return offset;
}

std::span<uint8_t> Workload::read_buffer() { return g_read_buffer; }

template <typename Sink>
uint64_t Workload::drain_stream(Side side, Connection& c, StreamId id, bool& fin, Sink&& sink) {
  uint64_t total = 0;
  fin = false;
  std::span<uint8_t> buf = read_buffer();
  for (;;) {
    bool f = false;
    auto n = c.stream_read(id, buf, f);
    if (!n) break;
    total += *n;
    if (*n) sink(std::span<const uint8_t>(buf.data(), *n));
    if (f) {
      fin = true;
      break;
    }
    if (*n == 0) break;
  }
  stream_read_[static_cast<int>(side)] += total;
  return total;
}

uint64_t Workload::drain_stream(Side side, Connection& c, StreamId id, bool& fin) {
  // Pattern streams (bulk, request/response): every byte read is checked.
  uint64_t& offset = pattern_read_[id];
  return drain_stream(side, c, id, fin, [&](std::span<const uint8_t> d) {
    corrupt_bytes_ += pattern_mismatches(d, offset);
    offset += d.size();
  });
}

void Workload::on_event(TimePoint now, Side side, Connection& conn, const ConnectionEvent& ev) {
  if (side == Side::kClient && ev.type == ConnectionEventType::kHandshakeCompleted && handshake_at_ == kNever) {
    handshake_at_ = now;
    stall_.start(std::max(now, start_));
  }
  on_stream_event(now, side, conn, ev);
}

WorkloadResult Workload::result(TimePoint origin) const {
  WorkloadResult r;
  r.start_s = seconds(start_ - origin);
  r.completed = complete();
  r.app_bytes = app_bytes_;
  r.corrupt_bytes = corrupt_bytes_;
  if (complete()) {
    r.completion_s = seconds(completed_at_ - start_);
    Duration transfer = completed_at_ - (handshake_at_ == kNever ? start_ : begin());
    if (transfer > Duration::zero()) r.goodput_mbps = static_cast<double>(app_bytes_) * 8 / seconds(transfer) / 1e6;
  }
  r.longest_stall_s = seconds(stall_.longest());
  if (stall_.longest() > Duration::zero()) r.longest_stall_end_s = seconds(stall_.longest_ends_at() - start_);
  return r;
}

std::unique_ptr<Workload> make_workload(const WorkloadSpec& spec) {
  switch (spec.kind) {
    case WorkloadKind::kBulkDownload:
    case WorkloadKind::kBulkUpload: return std::make_unique<BulkWorkload>(spec);
    case WorkloadKind::kRequestResponse: return std::make_unique<RequestResponseWorkload>(spec);
    case WorkloadKind::kDatagramFlow: return std::make_unique<DatagramFlowWorkload>(spec);
    case WorkloadKind::kMessages: return std::make_unique<MessagesWorkload>(spec);
    case WorkloadKind::kTransfer: return make_transfer_workload(spec);
  }
  return nullptr;
}

// --- WorkloadSet ---

WorkloadSet::WorkloadSet(const std::vector<WorkloadSpec>& specs, TimePoint origin) : specs_(specs), origin_(origin) {
  for (size_t i = 0; i < specs.size(); ++i) {
    workloads_.push_back(make_workload(specs[i]));
    workloads_.back()->attach(static_cast<uint32_t>(i), &owners_, origin + specs[i].start);
  }
}

void WorkloadSet::on_event(TimePoint now, Side side, Connection& conn, const ConnectionEvent& ev) {
  if (side == Side::kClient && ev.type == ConnectionEventType::kHandshakeCompleted && handshake_at_ == kNever) {
    handshake_at_ = now;
  }
  if (is_stream_event(ev.type)) {
    auto it = owners_.find(ev.stream_id);
    if (it != owners_.end()) workloads_[it->second]->on_event(now, side, conn, ev);
    return;
  }
  for (auto& w : workloads_) w->on_event(now, side, conn, ev);
}

void WorkloadSet::pump(TimePoint now, Side side, Connection& conn) {
  while (auto d = conn.recv_datagram()) {
    uint32_t tag = d->size() >= 4 ? get_u32(d->data()) : UINT32_MAX;
    if (tag < workloads_.size()) workloads_[tag]->on_datagram(now, side, *d);  // else: not ours, dropped
  }
  for (auto& w : workloads_) w->pump(now, side, conn);
}

TimePoint WorkloadSet::next_wake(TimePoint now) const {
  TimePoint t = kNever;
  for (const auto& w : workloads_) t = std::min(t, now < w->start_time() ? w->start_time() : w->next_wake());
  return t;
}

void WorkloadSet::on_wake(TimePoint now, Connection* client, Connection* server) {
  for (auto& w : workloads_) {
    if (now >= w->start_time()) w->on_wake(now, client, server);
  }
}

void WorkloadSet::end(TimePoint now) {
  for (auto& w : workloads_) w->end(now);
}

bool WorkloadSet::complete() const {
  return std::all_of(workloads_.begin(), workloads_.end(), [](const auto& w) { return w->complete(); });
}

uint64_t WorkloadSet::stream_written(Side s) const {
  uint64_t n = 0;
  for (const auto& w : workloads_) n += w->stream_written(s);
  return n;
}

uint64_t WorkloadSet::stream_read(Side s) const {
  uint64_t n = 0;
  for (const auto& w : workloads_) n += w->stream_read(s);
  return n;
}

void WorkloadSet::fill(ClientResult& r) const {
  r.workloads.clear();
  bool all = true;
  // Goodput counts the bulk transfers when there are any: a rate-driven workload (requests,
  // datagrams, messages) ends when its schedule does, whatever the network, and would only
  // dilute the transfer rate.
  auto is_bulk = [](const WorkloadSpec& w) {
    return w.kind == WorkloadKind::kBulkDownload || w.kind == WorkloadKind::kBulkUpload;
  };
  bool has_bulk = std::any_of(specs_.begin(), specs_.end(), is_bulk);
  TimePoint last = TimePoint::min(), last_counted = TimePoint::min(), first_begin = kNever;
  uint64_t bytes = 0, counted_bytes = 0;
  std::vector<Duration> samples;
  bool any_latency = false;
  for (size_t i = 0; i < workloads_.size(); ++i) {
    const Workload& w = *workloads_[i];
    WorkloadResult wr = w.result(origin_);
    wr.kind = to_string(specs_[i].kind);
    wr.detail = describe(specs_[i]);
    all = all && wr.completed;
    if (wr.completed) last = std::max(last, w.completed_at());
    bytes += wr.app_bytes;
    if (!has_bulk || is_bulk(specs_[i])) {
      if (wr.completed) last_counted = std::max(last_counted, w.completed_at());
      first_begin = std::min(first_begin, handshake_at_ == kNever ? w.start_time() : w.begin());
      counted_bytes += wr.app_bytes;
    }
    if (w.stall().longest() > Duration::zero() && wr.longest_stall_s > r.longest_stall_s) {
      r.longest_stall_s = wr.longest_stall_s;
      r.longest_stall_end_s = seconds(w.stall().longest_ends_at() - connected_at_);
    }
    r.messages_sent += wr.messages_sent;
    r.messages_delivered += wr.messages_delivered;
    r.messages_corrupt += wr.messages_corrupt;
    r.corrupt_bytes += wr.corrupt_bytes;
    if (const auto* l = w.latencies()) {
      any_latency = true;
      samples.insert(samples.end(), l->begin(), l->end());
    }
    r.workloads.push_back(std::move(wr));
  }
  r.completed = all;
  r.app_bytes = bytes;
  if (handshake_at_ != kNever) r.handshake_s = seconds(handshake_at_ - connected_at_);
  if (all && !workloads_.empty()) {
    r.completion_s = seconds(last - connected_at_);
    Duration transfer = last_counted - first_begin;
    r.goodput_bytes = counted_bytes;
    r.goodput_begin_s = seconds(first_begin - origin_);
    r.goodput_end_s = seconds(last_counted - origin_);
    if (transfer > Duration::zero()) {
      r.goodput_mbps = static_cast<double>(counted_bytes) * 8 / seconds(transfer) / 1e6;
    }
  }
  if (any_latency) r.latency = summarize_latencies(std::move(samples));
}

}  // namespace braid::sim

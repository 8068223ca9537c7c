// The transfer layer end to end over braid connections in virtual time: single and two
// paths, resume after a lost connection, byte streams, and peers that lie.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "tests/unit/transfer/transfer_pair.h"

namespace braid::transfer {
namespace {

using braid::test::PairHarness;
using test::TransferPair;
using test::transfer_options;

TransferId id_of(uint8_t n) {
  TransferId id{};
  id[0] = n;
  return id;
}

std::vector<uint8_t> pattern(uint64_t size, uint64_t seed) {
  std::vector<uint8_t> v(size);
  fill_pattern(seed, 0, v);
  return v;
}

SenderOptions sender_options(uint8_t id) {
  SenderOptions o;
  o.id = id_of(id);
  o.name = "blob";
  o.mode.check_interval = std::chrono::milliseconds(200);
  return o;
}

TEST(TransferPair, BufferArrivesBitIdenticalWithEveryChunkConfirmed) {
  PairHarness h(transfer_options());
  ASSERT_TRUE(h.handshake());
  auto data = pattern(3'000'000 + 17, 1);
  MemorySinkStore store;
  auto so = sender_options(1);
  so.chunk = 128 << 10;
  TransferSender snd(so, buffer_source(data));
  TransferReceiver rcv({}, store);
  TransferPair p{h, snd, rcv};
  ASSERT_TRUE(p.run());
  ASSERT_TRUE(snd.done()) << (snd.error() ? snd.error()->describe() : "");
  ASSERT_TRUE(rcv.done()) << (rcv.error() ? rcv.error()->describe() : "");
  const auto* e = store.find(id_of(1));
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->complete);
  EXPECT_EQ(e->bytes, data);
  auto m = snd.metrics(h.now());
  EXPECT_EQ(m.confirmed_bytes, data.size());
  EXPECT_EQ(m.bytes_sent, data.size());   // nothing sent twice without loss
  EXPECT_EQ(m.chunks_confirmed, (data.size() + (128 << 10) - 1) / (128 << 10));
  EXPECT_GT(m.average_latency, Duration::zero());
  EXPECT_TRUE(m.complete);
  EXPECT_EQ(snd.digest(), Sha256::of(data));
  EXPECT_EQ(rcv.metrics(h.now()).bytes_received, data.size());
}

TEST(TransferPair, SpreadsOverTwoPathsUnderLoss) {
  auto o = transfer_options();
  PairHarness h(o);
  h.set_path_link(braid::test::mp::kLocal0, braid::test::LinkParams{std::chrono::milliseconds(10), 0.01, 0, {}, 20'000'000, false, 0, 64});
  h.set_path_link(braid::test::mp::kLocal1, braid::test::LinkParams{std::chrono::milliseconds(20), 0.01, 0, {}, 20'000'000, false, 0, 64});
  ASSERT_TRUE(h.handshake());
  ASSERT_TRUE(braid::test::mp::open_and_wait(h, braid::test::mp::kLocal1).has_value());
  auto data = pattern(8'000'000, 2);
  MemorySinkStore store;
  TransferSender snd(sender_options(2), buffer_source(data));
  TransferReceiver rcv({}, store);
  TransferPair p{h, snd, rcv};
  ASSERT_TRUE(p.run());
  ASSERT_TRUE(snd.done()) << (snd.error() ? snd.error()->describe() : "");
  ASSERT_TRUE(rcv.done());
  EXPECT_EQ(store.find(id_of(2))->bytes, data);
  auto p0 = braid::test::mp::path_stats(h.client(), 0), p1 = braid::test::mp::path_stats(h.client(), 1);
  ASSERT_TRUE(p0 && p1);
  EXPECT_GT(p0->stream_bytes_sent, 1'000'000u);
  EXPECT_GT(p1->stream_bytes_sent, 1'000'000u);
  // 20 Mbit/s paths: the mode detector calls this internet, and BBR runs.
  EXPECT_EQ(snd.metrics(h.now()).mode, TransferMode::kInternet);
  EXPECT_EQ(snd.metrics(h.now()).congestion_controller, "bbr");
  EXPECT_EQ(p0->congestion_controller, "bbr");
}

TEST(TransferPair, ResumesFromConfirmedChunksAfterTheConnectionDies) {
  auto data = pattern(6'000'000, 3);
  MemorySinkStore store;   // the receiver's state outlives its connection, as files do
  uint64_t first_sent = 0;
  {
    PairHarness h(transfer_options());
    ASSERT_TRUE(h.handshake());
    auto so = sender_options(3);
    so.chunk = 256 << 10;
    TransferSender snd(so, buffer_source(data));
    TransferReceiver rcv({}, store);
    TransferPair p{h, snd, rcv};
    ASSERT_TRUE(h.run_until([&] {
      p.step();
      return snd.metrics(h.now()).confirmed_bytes >= data.size() / 2;
    }));
    first_sent = snd.metrics(h.now()).bytes_sent;
    h.client().close(h.now(), 0, "killed");
    h.run_for(std::chrono::seconds(1));
    p.step();
    EXPECT_TRUE(snd.failed());
    EXPECT_EQ(snd.error()->code, TransferErrorCode::kConnectionClosed);
    EXPECT_TRUE(rcv.failed());
    EXPECT_EQ(rcv.error()->code, TransferErrorCode::kConnectionClosed);
  }
  const auto* partial = store.find(id_of(3));
  ASSERT_NE(partial, nullptr);
  EXPECT_FALSE(partial->complete);
  uint64_t held = partial->confirmed.bytes();
  EXPECT_GE(held, data.size() / 2);
  PairHarness h(transfer_options());
  ASSERT_TRUE(h.handshake());
  auto so = sender_options(3);
  so.chunk = 512 << 10;   // a different chunk size: resume works on byte ranges
  TransferSender snd(so, buffer_source(data));
  TransferReceiver rcv({}, store);
  TransferPair p{h, snd, rcv};
  ASSERT_TRUE(p.run());
  ASSERT_TRUE(snd.done()) << (snd.error() ? snd.error()->describe() : "");
  EXPECT_EQ(store.find(id_of(3))->bytes, data);
  auto m = snd.metrics(h.now());
  EXPECT_EQ(m.resumed_bytes, held);
  EXPECT_EQ(m.bytes_sent, data.size() - held);
  // In all, only the chunks in flight at the kill went twice: at most one chunk per stream.
  EXPECT_LE(first_sent + m.bytes_sent, data.size() + uint64_t{snd.profile().streams} * (256 << 10));
}

TEST(TransferPair, ByteStreamOfUnknownSize) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  auto data = pattern(700'000, 4);
  // A byte stream is read with blocking reads, as stdin is: a writer thread feeds the pipe.
  std::thread writer([&] {
    size_t at = 0;
    while (at < data.size()) {
      ssize_t n = ::write(fds[1], data.data() + at, data.size() - at);
      if (n <= 0) break;
      at += static_cast<size_t>(n);
    }
    ::close(fds[1]);
  });
  PairHarness h(transfer_options());
  ASSERT_TRUE(h.handshake());
  MemorySinkStore store;
  auto so = sender_options(4);
  so.chunk = 100000;
  TransferSender snd(so, fd_stream_source(fds[0]));
  TransferReceiver rcv({}, store);
  TransferPair p{h, snd, rcv};
  bool ran = p.run();
  writer.join();
  ::close(fds[0]);
  ASSERT_TRUE(ran);
  ASSERT_TRUE(snd.done()) << (snd.error() ? snd.error()->describe() : "");
  EXPECT_EQ(store.find(id_of(4))->bytes, data);
  EXPECT_EQ(snd.metrics(h.now()).total_bytes, data.size());
}

// Flips one byte of chunk data on its way into the connection: the receiver must refuse
// the chunk, end the transfer, and keep nothing.
class CorruptingTransport final : public Transport {
 public:
  Transport* t = nullptr;   // the connection's transport of this step
  ApiResult<StreamId> open_stream(bool b) override { return t->open_stream(b); }
  size_t writable(StreamId id) override { return t->writable(id); }
  ApiResult<size_t> write(StreamId id, std::span<const uint8_t> d, bool fin) override {
    if ((id & 2) && !done_ && d.size() > 100) {
      std::vector<uint8_t> copy(d.begin(), d.end());
      copy[50] ^= 0x20;
      auto n = t->write(id, copy, fin);
      if (n && *n > 50) done_ = true;
      return n;
    }
    return t->write(id, d, fin);
  }
  ApiResult<size_t> read(StreamId id, std::span<uint8_t> o, bool& fin) override { return t->read(id, o, fin); }
  void reset(StreamId id, uint64_t c) override { t->reset(id, c); }
  void stop_sending(StreamId id, uint64_t c) override { t->stop_sending(id, c); }
  TransportStatus status(TimePoint now) const override { return t->status(now); }
  SendPressure send_pressure() const override { return t->send_pressure(); }
  bool set_congestion_controller(TimePoint now, const std::string& n, std::string& e) override {
    return t->set_congestion_controller(now, n, e);
  }
  void close(TimePoint now, uint64_t c, std::string r) override { t->close(now, c, std::move(r)); }

 private:
  bool done_ = false;
};

TEST(TransferPair, ChunkChecksumMismatchEndsTheTransferAndDiscards) {
  PairHarness h(transfer_options());
  ASSERT_TRUE(h.handshake());
  auto data = pattern(1'000'000, 5);
  MemorySinkStore store;
  TransferSender snd(sender_options(5), buffer_source(data));
  TransferReceiver rcv({}, store);
  CorruptingTransport wrapper;
  TransferPair p{h, snd, rcv, [&](Transport& t) -> Transport& {
                   wrapper.t = &t;
                   return wrapper;
                 }};
  ASSERT_TRUE(p.run(std::chrono::seconds(30)));
  ASSERT_TRUE(rcv.failed());
  EXPECT_EQ(rcv.error()->code, TransferErrorCode::kChecksumMismatch);
  EXPECT_TRUE(snd.failed());
  const auto* e = store.find(id_of(5));
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(e->complete);
  EXPECT_TRUE(e->bytes.empty());
}

// A hand-written sender that lies about sizes, speaking the wire format directly.
struct LyingSender {
  PairHarness& h;
  StreamId control = 0;
  void offer(uint64_t size) {
    control = *h.client().open_stream(true);
    std::vector<uint8_t> b;
    encode(OfferMsg{id_of(9), "lie", size}, b);
    ASSERT_TRUE(h.client().stream_write(control, b, false));
  }
  void chunk(uint64_t offset, std::vector<uint8_t> data, bool good_trailer = true) {
    StreamId s = *h.client().open_stream(false);
    auto hdr = encode_chunk_header({offset, static_cast<uint32_t>(data.size())});
    Digest d = Sha256::of(data);
    if (!good_trailer) d[0] ^= 1;
    std::vector<uint8_t> b(hdr.begin(), hdr.end());
    b.insert(b.end(), data.begin(), data.end());
    b.insert(b.end(), d.begin(), d.end());
    ASSERT_TRUE(h.client().stream_write(s, b, true));
  }
  void finish(uint64_t size, const Digest& d) {
    std::vector<uint8_t> b;
    encode(FinishMsg{size, d}, b);
    ASSERT_TRUE(h.client().stream_write(control, b, false));
  }
};

TransferErrorCode receiver_verdict(const std::function<void(LyingSender&)>& lie) {
  PairHarness h(transfer_options());
  EXPECT_TRUE(h.handshake());
  MemorySinkStore store;
  TransferReceiver rcv({}, store);
  LyingSender liar{h};
  lie(liar);
  h.run_until([&] {
    if (Connection* s = h.server_conn()) {
      QuicTransport st(*s);
      while (auto ev = s->poll_event()) {
        if (auto te = QuicTransport::translate(*ev)) rcv.on_event(h.now(), st, *te);
      }
      rcv.pump(h.now(), st);
    }
    return rcv.failed() || rcv.done();
  });
  EXPECT_TRUE(rcv.failed());
  EXPECT_FALSE(store.find(id_of(9)) && store.find(id_of(9))->complete);
  return rcv.error() ? rcv.error()->code : TransferErrorCode::kCancelled;
}

TEST(TransferPair, ReceiverRefusesPeersThatLie) {
  std::vector<uint8_t> kb(1000, 7);
  EXPECT_EQ(receiver_verdict([&](LyingSender& l) {
              l.offer(1500);
              l.chunk(1000, kb);   // beyond the offered size
            }),
            TransferErrorCode::kProtocol);
  EXPECT_EQ(receiver_verdict([&](LyingSender& l) {
              l.offer(5000);
              l.chunk(0, kb);
              l.chunk(500, kb);   // overlaps
            }),
            TransferErrorCode::kProtocol);
  EXPECT_EQ(receiver_verdict([&](LyingSender& l) {
              l.offer(5000);
              l.chunk(0, kb, false);   // wrong trailer
            }),
            TransferErrorCode::kChecksumMismatch);
  EXPECT_EQ(receiver_verdict([&](LyingSender& l) {
              l.offer(1000);
              l.chunk(0, kb);
              l.finish(999, Sha256::of(kb));   // final size differs from the offer
            }),
            TransferErrorCode::kSizeMismatch);
  EXPECT_EQ(receiver_verdict([&](LyingSender& l) {
              l.offer(2000);
              l.chunk(0, kb);
              l.finish(2000, Sha256::of(kb));   // FINISH with half the bytes missing
            }),
            TransferErrorCode::kProtocol);
  EXPECT_EQ(receiver_verdict([&](LyingSender& l) {
              l.offer(1000);
              l.chunk(0, kb);
              Digest d{};
              l.finish(1000, d);   // every chunk fine, the whole wrong
            }),
            TransferErrorCode::kChecksumMismatch);
}

TEST(TransferPair, RejectedOfferEndsTheSenderWithTheReason) {
  PairHarness h(transfer_options());
  ASSERT_TRUE(h.handshake());
  auto data = pattern(100'000, 6);
  MemorySinkStore store(50'000);   // too small
  TransferSender snd(sender_options(6), buffer_source(data));
  TransferReceiver rcv({}, store);
  TransferPair p{h, snd, rcv};
  ASSERT_TRUE(p.run(std::chrono::seconds(10)));
  ASSERT_TRUE(snd.failed());
  EXPECT_EQ(snd.error()->code, TransferErrorCode::kDiskFull);
  EXPECT_NE(snd.error()->message.find("larger than the store"), std::string::npos);
}

TEST(TransferPair, EmptyBufferCompletes) {
  PairHarness h(transfer_options());
  ASSERT_TRUE(h.handshake());
  std::vector<uint8_t> none;
  MemorySinkStore store;
  TransferSender snd(sender_options(7), buffer_source(none));
  TransferReceiver rcv({}, store);
  TransferPair p{h, snd, rcv};
  ASSERT_TRUE(p.run(std::chrono::seconds(10)));
  ASSERT_TRUE(snd.done()) << (snd.error() ? snd.error()->describe() : "");
  EXPECT_TRUE(store.find(id_of(7))->complete);
}

}  // namespace
}  // namespace braid::transfer

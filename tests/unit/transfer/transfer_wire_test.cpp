#include "transfer/transfer_wire.h"

#include <gtest/gtest.h>

namespace braid::transfer {
namespace {

std::vector<Message> roundtrip(const std::vector<Message>& in, size_t piece) {
  std::vector<uint8_t> bytes;
  for (auto& m : in) encode(m, bytes);
  MessageReader r;
  std::vector<Message> out;
  for (size_t i = 0; i < bytes.size(); i += piece) {
    r.feed(std::span(bytes).subspan(i, std::min(piece, bytes.size() - i)));
    while (auto m = r.next()) {
      EXPECT_TRUE(m->has_value());
      if (*m) out.push_back(**m);
    }
  }
  return out;
}

TEST(TransferWire, MessagesRoundTripInAnyPieces) {
  OfferMsg o;
  o.id[0] = 7;
  o.id[15] = 9;
  o.name = "data.bin";
  o.size = 1ull << 40;
  AcceptMsg a{{{0, 100}, {1000, 5}}};
  FinishMsg f{12345, Sha256::of(std::vector<uint8_t>{1, 2, 3})};
  std::vector<Message> in{o, a, ChunkOkMsg{{64, 32}}, f, DoneMsg{}, ErrorMsg{true, TransferErrorCode::kRejected, "no"}};
  for (size_t piece : {1, 3, 1000}) {
    auto out = roundtrip(in, piece);
    ASSERT_EQ(out.size(), in.size());
    auto& o2 = std::get<OfferMsg>(out[0]);
    EXPECT_EQ(o2.id, o.id);
    EXPECT_EQ(o2.name, "data.bin");
    EXPECT_EQ(o2.size, o.size);
    EXPECT_EQ(std::get<AcceptMsg>(out[1]).confirmed, a.confirmed);
    EXPECT_EQ(std::get<ChunkOkMsg>(out[2]).range, (Range{64, 32}));
    EXPECT_EQ(std::get<FinishMsg>(out[3]).digest, f.digest);
    EXPECT_TRUE(std::get<ErrorMsg>(out[5]).reject);
    EXPECT_EQ(std::get<ErrorMsg>(out[5]).message, "no");
  }
}

TEST(TransferWire, StreamOfferHasNoSize) {
  auto out = roundtrip({OfferMsg{{}, "pipe", std::nullopt}}, 7);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(std::get<OfferMsg>(out[0]).size);
}

TEST(TransferWire, MalformedInputIsAnErrorNotACrash) {
  auto expect_error = [](std::vector<uint8_t> bytes) {
    MessageReader r;
    r.feed(bytes);
    auto m = r.next();
    ASSERT_TRUE(m.has_value());
    EXPECT_FALSE(m->has_value());
    EXPECT_EQ(m->error().code, TransferErrorCode::kProtocol);
  };
  expect_error({99, 0, 0, 0, 0});                         // unknown type
  expect_error({4, 0, 0, 0, 3, 1, 2, 3});                 // CHUNK_OK truncated
  expect_error({6, 0, 0, 0, 1, 0});                       // DONE with trailing bytes
  expect_error({2, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff});  // ACCEPT claiming 4G ranges
  expect_error({1, 0x10, 0, 0, 0});                       // longer than the message limit
  std::vector<uint8_t> offer;
  encode(OfferMsg{{}, "x", 1}, offer);
  offer[5] = 9;   // protocol version
  expect_error(offer);
  // Incomplete input just waits.
  MessageReader r;
  r.feed(std::vector<uint8_t>{4, 0, 0});
  EXPECT_FALSE(r.next().has_value());
}

TEST(TransferWire, ChunkHeaderBounds) {
  auto h = encode_chunk_header({1ull << 33, 4096});
  auto d = decode_chunk_header(h);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->offset, 1ull << 33);
  EXPECT_EQ(d->length, 4096u);
  auto zero = encode_chunk_header({0, 0});
  EXPECT_FALSE(decode_chunk_header(zero));
  auto huge = encode_chunk_header({0, static_cast<uint32_t>(kMaxChunkLength + 1)});
  EXPECT_FALSE(decode_chunk_header(huge));
  auto wrap = encode_chunk_header({UINT64_MAX - 10, 100});
  EXPECT_FALSE(decode_chunk_header(wrap));
  h[0] = 'X';
  EXPECT_FALSE(decode_chunk_header(h));
}

TEST(TransferWire, FileNames) {
  EXPECT_TRUE(valid_file_name("report-2026.tar.gz"));
  EXPECT_FALSE(valid_file_name(""));
  EXPECT_FALSE(valid_file_name("../etc/passwd"));
  EXPECT_FALSE(valid_file_name("a/b"));
  EXPECT_FALSE(valid_file_name(".hidden"));
  EXPECT_FALSE(valid_file_name(std::string("a\0b", 3)));
  EXPECT_FALSE(valid_file_name(std::string(256, 'a')));
}

}  // namespace
}  // namespace braid::transfer

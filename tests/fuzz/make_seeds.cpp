// Writes the binary seed corpora of the fuzz targets (run by scripts/fuzz.sh --seeds; the
// output is committed under tests/fuzz/corpus/<target>/): real encodings of frames,
// transport parameters and a client Initial, so the fuzzers start from valid input.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "braid/connection.h"
#include "core/wire/frame_codec.h"
#include "core/wire/transport_params.h"

using namespace braid;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& dir, const std::string& name, const std::vector<uint8_t>& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                     static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> frames(const std::vector<wire::Frame>& fs) {
  std::vector<uint8_t> out(4096);
  wire::Writer w(out);
  for (auto& f : fs) wire::encode_frame(w, f);
  out.resize(w.size());
  return out;
}

std::vector<uint8_t> framed(const std::vector<std::vector<uint8_t>>& parts) {
  std::vector<uint8_t> out;
  for (auto& p : parts) {
    out.push_back(static_cast<uint8_t>(p.size() >> 8));
    out.push_back(static_cast<uint8_t>(p.size()));
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path root = argc > 1 ? argv[1] : "tests/fuzz/corpus";
  static const uint8_t payload[] = {'h', 'e', 'l', 'l', 'o'};
  std::vector<uint8_t> cid_bytes{1, 2, 3, 4, 5, 6, 7, 8};
  ConnectionId cid(cid_bytes);
  wire::AckFrame ack;
  ack.ranges = {{10, 20}, {1, 5}};
  wire::AckFrame path_ack = ack;
  path_ack.path_id = 1;
  std::vector<std::vector<uint8_t>> samples = {
      frames({wire::StreamFrame{4, 0, std::span<const uint8_t>(payload), true}}),
      frames({ack, wire::PingFrame{}}),
      frames({path_ack, wire::MaxDataFrame{1 << 20}, wire::MaxStreamDataFrame{4, 1 << 16}}),
      frames({wire::NewConnectionIdFrame{std::nullopt, 5, 0, cid, {}}, wire::RetireConnectionIdFrame{std::nullopt, 1}}),
      frames({wire::NewConnectionIdFrame{2, 0, 0, cid, {}}, wire::PathAbandonFrame{2, 0}, wire::PathStatusFrame{1, 3, false}}),
      frames({wire::MaxPathIdFrame{6}, wire::PathsBlockedFrame{3}, wire::PathCidsBlockedFrame{1, 2}}),
      frames({wire::AdvertiseAddressFrame{0, SocketAddress::v4(192, 0, 2, 2, 443)}, wire::PingFrame{}}),
      frames({wire::CryptoFrame{0, std::span<const uint8_t>(payload)}, wire::DatagramFrame{std::span<const uint8_t>(payload), true}}),
      frames({wire::ResetStreamFrame{4, 1, 5}, wire::StopSendingFrame{8, 2}, wire::MaxStreamsFrame{true, 200}}),
  };
  for (size_t i = 0; i < samples.size(); ++i) {
    write(root / "fuzz_frames", "seed" + std::to_string(i), samples[i]);
    write(root / "fuzz_connection", "seed" + std::to_string(i), framed({samples[i], samples[(i + 1) % samples.size()]}));
  }
  wire::TransportParameters tp;
  tp.initial_max_data = 1 << 20;
  tp.initial_max_path_id = 3;
  write(root / "fuzz_transport_params", "client", tp.encode());
  tp.original_destination_connection_id = cid;
  tp.stateless_reset_token = StatelessResetToken{};
  write(root / "fuzz_transport_params", "server", tp.encode());

  // A real client Initial datagram.
  ConnectionConfig cc;
  cc.tls.insecure = true;
  SeededRandom rng(1);
  TimePoint now = time_from_us(1'000'000);
  auto c = Connection::connect(now, cc, {SocketAddress::v4(10, 0, 0, 1, 5000), SocketAddress::v4(10, 0, 0, 2, 443)}, rng);
  std::vector<uint8_t> buf(2048);
  auto t = (*c)->poll_transmit(now, buf, 1);
  buf.resize(t->length);
  write(root / "fuzz_packet_header", "client_initial", buf);
  write(root / "fuzz_endpoint", "client_initial", framed({buf}));
  write(root / "fuzz_endpoint", "client_initial_twice", framed({buf, buf}));
  std::printf("seeds written under %s\n", root.c_str());
  return 0;
}

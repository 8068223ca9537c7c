// The transfer protocol on a QUIC connection (ALPN "braid-xfer"), one transfer per
// connection:
//   - a control stream, the sender's first bidirectional stream, carries messages framed as
//     [type u8][payload length u32][payload]: OFFER (sender → receiver), ACCEPT or REJECT,
//     CHUNK_OK per chunk written and verified, FINISH (size and end-to-end SHA-256), DONE
//     once the destination is complete and durable, ERROR from either side;
//   - every chunk travels on its own unidirectional stream: a 16-byte header (magic
//     "BXC1", offset u64, length u32), the chunk's bytes, and its SHA-256 as a trailer, then
//     FIN. The trailer lets the sender hash while it writes instead of buffering the chunk.
// Integers are big-endian. Everything a peer sends is bounded before it is trusted.
#pragma once
#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "transfer/range_set.h"
#include "transfer/sha256.h"
#include "transfer/transfer_error.h"

namespace braid::transfer {

inline constexpr const char* kTransferAlpn = "braid-xfer";
inline constexpr uint8_t kProtocolVersion = 1;
using TransferId = std::array<uint8_t, 16>;

inline constexpr size_t kChunkHeaderSize = 16;
inline constexpr size_t kChunkTrailerSize = 32;
inline constexpr uint64_t kMaxChunkLength = 16ull << 20;   // refused above (profiles stay ≤ 4 MiB)
inline constexpr size_t kMaxMessagePayload = 1u << 20;
inline constexpr size_t kMaxNameLength = 255;

struct OfferMsg {
  TransferId id{};
  std::string name;                 // a file name (no directories)
  std::optional<uint64_t> size;     // nullopt: a byte stream whose size is known at FINISH
};
struct AcceptMsg {
  std::vector<Range> confirmed;     // ranges the receiver already holds (resume)
};
struct ChunkOkMsg {
  Range range;
};
struct FinishMsg {
  uint64_t size = 0;
  Digest digest{};
};
struct DoneMsg {};
struct ErrorMsg {
  bool reject = false;              // REJECT (answer to OFFER) rather than ERROR
  TransferErrorCode code = TransferErrorCode::kProtocol;
  std::string message;
};
using Message = std::variant<OfferMsg, AcceptMsg, ChunkOkMsg, FinishMsg, DoneMsg, ErrorMsg>;

// Appends the framed message to `out`.
void encode(const Message& m, std::vector<uint8_t>& out);

// Reassembles messages from control-stream bytes.
class MessageReader {
 public:
  void feed(std::span<const uint8_t> bytes) { buf_.insert(buf_.end(), bytes.begin(), bytes.end()); }
  // The next complete message, nullopt if more bytes are needed, or an error (the stream is
  // then useless).
  std::optional<std::expected<Message, TransferError>> next();
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  std::vector<uint8_t> buf_;
  size_t pos_ = 0;
};

struct ChunkHeader {
  uint64_t offset = 0;
  uint32_t length = 0;
};
std::array<uint8_t, kChunkHeaderSize> encode_chunk_header(const ChunkHeader& h);
std::expected<ChunkHeader, TransferError> decode_chunk_header(std::span<const uint8_t, kChunkHeaderSize> b);

// A file name a receiver may create: not empty, at most 255 bytes, no '/', no NUL, not
// starting with '.' (hidden files and the receiver's own partial files), printable.
bool valid_file_name(const std::string& name);

}  // namespace braid::transfer

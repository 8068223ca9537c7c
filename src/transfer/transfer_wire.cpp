#include "transfer/transfer_wire.h"

#include <cstring>

namespace braid::transfer {
namespace {

enum class Type : uint8_t { kOffer = 1, kAccept = 2, kReject = 3, kChunkOk = 4, kFinish = 5, kDone = 6, kError = 7 };

void put8(std::vector<uint8_t>& o, uint8_t v) { o.push_back(v); }
void put16(std::vector<uint8_t>& o, uint16_t v) {
  o.push_back(static_cast<uint8_t>(v >> 8));
  o.push_back(static_cast<uint8_t>(v));
}
void put32(std::vector<uint8_t>& o, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) o.push_back(static_cast<uint8_t>(v >> s));
}
void put64(std::vector<uint8_t>& o, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) o.push_back(static_cast<uint8_t>(v >> s));
}
void put_bytes(std::vector<uint8_t>& o, std::span<const uint8_t> b) { o.insert(o.end(), b.begin(), b.end()); }
void put_string(std::vector<uint8_t>& o, const std::string& s) {
  size_t n = std::min<size_t>(s.size(), 0xffff);
  put16(o, static_cast<uint16_t>(n));
  o.insert(o.end(), s.begin(), s.begin() + static_cast<std::ptrdiff_t>(n));
}

// Bounds-checked reads over one message payload.
struct Cursor {
  std::span<const uint8_t> b;
  size_t pos = 0;
  bool ok = true;
  bool need(size_t n) {
    if (!ok || b.size() - pos < n) ok = false;
    return ok;
  }
  uint64_t get(int bytes) {
    if (!need(static_cast<size_t>(bytes))) return 0;
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | b[pos++];
    return v;
  }
  std::string get_string() {
    size_t n = static_cast<size_t>(get(2));
    if (!need(n)) return {};
    std::string s(reinterpret_cast<const char*>(b.data() + pos), n);
    pos += n;
    return s;
  }
  template <size_t N>
  std::array<uint8_t, N> get_array() {
    std::array<uint8_t, N> a{};
    if (!need(N)) return a;
    std::memcpy(a.data(), b.data() + pos, N);
    pos += N;
    return a;
  }
};

std::unexpected<TransferError> malformed(const char* what) {
  return std::unexpected(TransferError{TransferErrorCode::kProtocol, std::string("malformed ") + what});
}

std::expected<Message, TransferError> decode(Type t, std::span<const uint8_t> payload) {
  Cursor c{payload};
  Message m;
  switch (t) {
    case Type::kOffer: {
      OfferMsg o;
      if (c.get(1) != kProtocolVersion) {
        return std::unexpected(TransferError{TransferErrorCode::kProtocol, "unsupported transfer protocol version"});
      }
      o.id = c.get_array<16>();
      bool sized = c.get(1) != 0;
      uint64_t size = c.get(8);
      if (sized) o.size = size;
      o.name = c.get_string();
      m = std::move(o);
      break;
    }
    case Type::kAccept: {
      AcceptMsg a;
      uint64_t n = c.get(4);
      if (n > payload.size() / 16) return malformed("ACCEPT (range count)");
      a.confirmed.reserve(static_cast<size_t>(n));
      for (uint64_t i = 0; i < n && c.ok; ++i) {
        Range r{c.get(8), c.get(8)};
        if (r.offset + r.length < r.offset) return malformed("ACCEPT (range overflows)");
        a.confirmed.push_back(r);
      }
      m = std::move(a);
      break;
    }
    case Type::kChunkOk: {
      ChunkOkMsg k{{c.get(8), c.get(8)}};
      if (k.range.offset + k.range.length < k.range.offset) return malformed("CHUNK_OK");
      m = k;
      break;
    }
    case Type::kFinish: {
      FinishMsg f;
      f.size = c.get(8);
      f.digest = c.get_array<32>();
      m = f;
      break;
    }
    case Type::kDone:
      m = DoneMsg{};
      break;
    case Type::kReject:
    case Type::kError: {
      ErrorMsg e;
      e.reject = t == Type::kReject;
      e.code = static_cast<TransferErrorCode>(c.get(2));
      e.message = c.get_string();
      m = std::move(e);
      break;
    }
    default:
      return std::unexpected(TransferError{TransferErrorCode::kProtocol,
                                           "unknown message type " + std::to_string(static_cast<int>(t))});
  }
  if (!c.ok) return malformed("message (truncated)");
  if (c.pos != payload.size()) return malformed("message (trailing bytes)");
  return m;
}

}  // namespace

void encode(const Message& m, std::vector<uint8_t>& out) {
  std::vector<uint8_t> p;
  Type t = Type::kDone;
  if (auto* o = std::get_if<OfferMsg>(&m)) {
    t = Type::kOffer;
    put8(p, kProtocolVersion);
    put_bytes(p, o->id);
    put8(p, o->size ? 1 : 0);
    put64(p, o->size.value_or(0));
    put_string(p, o->name);
  } else if (auto* a = std::get_if<AcceptMsg>(&m)) {
    t = Type::kAccept;
    put32(p, static_cast<uint32_t>(a->confirmed.size()));
    for (const Range& r : a->confirmed) {
      put64(p, r.offset);
      put64(p, r.length);
    }
  } else if (auto* k = std::get_if<ChunkOkMsg>(&m)) {
    t = Type::kChunkOk;
    put64(p, k->range.offset);
    put64(p, k->range.length);
  } else if (auto* f = std::get_if<FinishMsg>(&m)) {
    t = Type::kFinish;
    put64(p, f->size);
    put_bytes(p, f->digest);
  } else if (auto* e = std::get_if<ErrorMsg>(&m)) {
    t = e->reject ? Type::kReject : Type::kError;
    put16(p, static_cast<uint16_t>(e->code));
    put_string(p, e->message);
  }
  put8(out, static_cast<uint8_t>(t));
  put32(out, static_cast<uint32_t>(p.size()));
  put_bytes(out, p);
}

std::optional<std::expected<Message, TransferError>> MessageReader::next() {
  size_t avail = buf_.size() - pos_;
  if (avail < 5) return std::nullopt;
  const uint8_t* h = buf_.data() + pos_;
  uint32_t len = (uint32_t{h[1]} << 24) | (uint32_t{h[2]} << 16) | (uint32_t{h[3]} << 8) | h[4];
  if (len > kMaxMessagePayload) {
    return std::expected<Message, TransferError>(
        std::unexpected(TransferError{TransferErrorCode::kProtocol, "control message too long"}));
  }
  if (avail < 5 + size_t{len}) return std::nullopt;
  auto m = decode(static_cast<Type>(h[0]), std::span<const uint8_t>(h + 5, len));
  pos_ += 5 + len;
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 65536) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  return m;
}

std::array<uint8_t, kChunkHeaderSize> encode_chunk_header(const ChunkHeader& h) {
  std::array<uint8_t, kChunkHeaderSize> b{'B', 'X', 'C', '1'};
  for (int i = 0; i < 8; ++i) b[4 + i] = static_cast<uint8_t>(h.offset >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i) b[12 + i] = static_cast<uint8_t>(h.length >> (24 - 8 * i));
  return b;
}

std::expected<ChunkHeader, TransferError> decode_chunk_header(std::span<const uint8_t, kChunkHeaderSize> b) {
  if (b[0] != 'B' || b[1] != 'X' || b[2] != 'C' || b[3] != '1') return malformed("chunk header (magic)");
  ChunkHeader h;
  for (int i = 0; i < 8; ++i) h.offset = (h.offset << 8) | b[4 + i];
  for (int i = 0; i < 4; ++i) h.length = (h.length << 8) | b[12 + i];
  if (h.length == 0 || h.length > kMaxChunkLength) return malformed("chunk header (length)");
  if (h.offset + h.length < h.offset) return malformed("chunk header (offset)");
  return h;
}

bool valid_file_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameLength || name[0] == '.') return false;
  for (unsigned char ch : name) {
    if (ch == '/' || ch == '\\' || ch < 0x20 || ch == 0x7f) return false;
  }
  return true;
}

}  // namespace braid::transfer

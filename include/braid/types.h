// Small value types shared by the whole stack: connection IDs, path and stream IDs,
// encryption levels and packet-number spaces.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

namespace braid {

using PathId = uint32_t;   // draft-ietf-quic-multipath: 32-bit, never reused; 0 = handshake path
using StreamId = uint64_t;

class ConnectionId {
 public:
  static constexpr size_t kMaxLen = 20;
  ConnectionId() = default;
  ConnectionId(std::span<const uint8_t> b) : len_(static_cast<uint8_t>(std::min(b.size(), kMaxLen))) {
    std::memcpy(bytes_.data(), b.data(), len_);
  }
  size_t size() const { return len_; }
  bool empty() const { return len_ == 0; }
  const uint8_t* data() const { return bytes_.data(); }
  uint8_t* data() { return bytes_.data(); }
  std::span<const uint8_t> span() const { return {bytes_.data(), len_}; }
  void resize(size_t n) { len_ = static_cast<uint8_t>(std::min(n, kMaxLen)); }
  bool operator==(const ConnectionId& o) const {
    return len_ == o.len_ && std::memcmp(bytes_.data(), o.bytes_.data(), len_) == 0;
  }
  bool operator<(const ConnectionId& o) const {
    return std::lexicographical_compare(bytes_.begin(), bytes_.begin() + len_, o.bytes_.begin(),
                                        o.bytes_.begin() + o.len_);
  }
  std::string hex() const;

 private:
  std::array<uint8_t, kMaxLen> bytes_{};
  uint8_t len_ = 0;
};

// Hash for tables indexed by connection IDs, which peers choose: SipHash-2-4 under a
// per-table random key (libsodium), so nobody can pick IDs that collide (hash flooding;
// an unkeyed hash lets thousands of colliding IDs be found offline in seconds).
struct KeyedConnectionIdHash {
  std::array<uint8_t, 16> key{};   // fill from a Random before use
  size_t operator()(const ConnectionId& c) const noexcept;
};

using StatelessResetToken = std::array<uint8_t, 16>;

// TLS/QUIC encryption levels. 0-RTT shares the application packet-number space.
enum class EncryptionLevel : uint8_t { kInitial = 0, kEarlyData = 1, kHandshake = 2, kApplication = 3 };
inline constexpr size_t kNumEncryptionLevels = 4;

// Packet-number spaces of RFC 9000 §12.3. Application spaces are per path (see Path).
enum class PnSpace : uint8_t { kInitial = 0, kHandshake = 1, kApplication = 2 };

enum class Perspective : uint8_t { kClient, kServer };

inline constexpr uint32_t kQuicVersion1 = 0x00000001;

}  // namespace braid

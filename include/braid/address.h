// Socket addresses as plain values (IPv4/IPv6 + port), usable by the sans-IO core for path
// tuples and converted to sockaddr only by the runtime.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace braid {

struct SocketAddress {
  enum class Family : uint8_t { kNone = 0, kV4 = 4, kV6 = 6 };
  Family family = Family::kNone;
  std::array<uint8_t, 16> ip{};  // v4 uses the first 4 bytes
  uint16_t port = 0;

  static SocketAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
    SocketAddress s;
    s.family = Family::kV4;
    s.ip = {a, b, c, d};
    s.port = port;
    return s;
  }
  // "1.2.3.4:443", "[::1]:443", "1.2.3.4" / "::1" (port 0). nullopt on bad input.
  static std::optional<SocketAddress> parse(std::string_view text);
  std::string to_string() const;  // same forms as parse accepts
  std::string ip_string() const;
  bool valid() const { return family != Family::kNone; }
  bool same_ip(const SocketAddress& o) const { return family == o.family && ip == o.ip; }
  bool operator==(const SocketAddress& o) const = default;
  bool operator<(const SocketAddress& o) const {
    if (family != o.family) return family < o.family;
    if (ip != o.ip) return ip < o.ip;
    return port < o.port;
  }
};

// The 4-tuple a path is identified by on the wire (RFC 9000 §9).
struct PathTuple {
  SocketAddress local;
  SocketAddress remote;
  bool operator==(const PathTuple&) const = default;
  bool operator<(const PathTuple& o) const {
    return local < o.local || (local == o.local && remote < o.remote);
  }
};

struct SocketAddressHash {
  size_t operator()(const SocketAddress& a) const noexcept {
    size_t h = static_cast<size_t>(a.family) * 31 + a.port;
    for (uint8_t b : a.ip) h = h * 131 + b;
    return h;
  }
};

}  // namespace braid

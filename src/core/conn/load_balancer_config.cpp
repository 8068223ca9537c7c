// LoadBalancerConfig: its text form for --lb-config and the draft's limits
// (draft-ietf-quic-load-balancers-21 §3.1, §5.3).
#include <fmt/format.h>

#include <charconv>

#include "braid/config.h"

namespace braid {

namespace {

std::expected<std::vector<uint8_t>, std::string> hex_bytes(std::string_view key, std::string_view hex) {
  if (hex.empty() || hex.size() % 2) return std::unexpected(fmt::format("{}: an even number of hex digits", key));
  std::vector<uint8_t> out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    uint8_t b = 0;
    auto [p, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, b, 16);
    if (ec != std::errc() || p != hex.data() + i + 2) return std::unexpected(fmt::format("{}: '{}' is not hex", key, hex));
    out.push_back(b);
  }
  return out;
}

std::expected<uint64_t, std::string> number(std::string_view key, std::string_view v) {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size()) return std::unexpected(fmt::format("{}: '{}' is not a number", key, v));
  return n;
}

}  // namespace

std::expected<void, std::string> check_load_balancer_config(const LoadBalancerConfig& lb) {
  if (lb.config_id > 6) return std::unexpected("config-id must be 0..6 (7 marks unroutable connection IDs)");
  if (lb.server_id.empty() || lb.server_id.size() > 15) return std::unexpected("server-id must be 1..15 bytes");
  if (lb.nonce_length < 4 || lb.nonce_length > 18) return std::unexpected("nonce must be 4..18 bytes");
  if (lb.server_id.size() + lb.nonce_length > 19) {
    return std::unexpected(fmt::format("server-id ({} bytes) and nonce ({} bytes) exceed 19 bytes", lb.server_id.size(),
                                       lb.nonce_length));
  }
  return {};
}

std::expected<LoadBalancerConfig, std::string> parse_load_balancer_config(std::string_view text) {
  LoadBalancerConfig lb;
  bool have_sid = false;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) return std::unexpected(fmt::format("'{}': expected KEY=VALUE", item));
    std::string_view k = item.substr(0, eq), v = item.substr(eq + 1);
    if (k == "server-id") {
      auto b = hex_bytes(k, v);
      if (!b) return std::unexpected(b.error());
      lb.server_id = *b;
      have_sid = true;
    } else if (k == "nonce") {
      auto n = number(k, v);
      if (!n) return std::unexpected(n.error());
      lb.nonce_length = static_cast<size_t>(*n);
    } else if (k == "key") {
      auto b = hex_bytes(k, v);
      if (!b) return std::unexpected(b.error());
      if (b->size() != 16) return std::unexpected("key: 16 bytes (32 hex digits) of AES-128 key");
      std::array<uint8_t, 16> key;
      std::copy(b->begin(), b->end(), key.begin());
      lb.key = key;
    } else if (k == "config-id") {
      auto n = number(k, v);
      if (!n) return std::unexpected(n.error());
      if (*n > 6) return std::unexpected("config-id must be 0..6 (7 marks unroutable connection IDs)");
      lb.config_id = static_cast<uint8_t>(*n);
    } else if (k == "length") {
      if (v != "on" && v != "off") return std::unexpected("length: on or off");
      lb.encode_length = v == "on";
    } else {
      return std::unexpected(fmt::format("unknown key '{}' (known: server-id, nonce, key, config-id, length)", k));
    }
  }
  if (!have_sid) return std::unexpected("server-id=HEX is required");
  if (auto ok = check_load_balancer_config(lb); !ok) return std::unexpected(ok.error());
  return lb;
}

}  // namespace braid

// Parsing and printing of SocketAddress without touching the OS resolver.
#include <arpa/inet.h>

#include <charconv>
#include <fmt/format.h>

#include "braid/address.h"

namespace braid {

std::optional<SocketAddress> SocketAddress::parse(std::string_view text) {
  SocketAddress a;
  std::string host;
  std::string_view port_part;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = std::string(text.substr(1, close - 1));
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port_part = rest.substr(1);
    }
  } else {
    auto colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') == colon) {
      host = std::string(text.substr(0, colon));
      port_part = text.substr(colon + 1);
    } else {
      host = std::string(text);
    }
  }
  if (!port_part.empty()) {
    unsigned p = 0;
    auto [ptr, ec] = std::from_chars(port_part.data(), port_part.data() + port_part.size(), p);
    if (ec != std::errc{} || ptr != port_part.data() + port_part.size() || p > 65535) return std::nullopt;
    a.port = static_cast<uint16_t>(p);
  }
  if (inet_pton(AF_INET, host.c_str(), a.ip.data()) == 1) {
    a.family = Family::kV4;
  } else if (inet_pton(AF_INET6, host.c_str(), a.ip.data()) == 1) {
    a.family = Family::kV6;
  } else {
    return std::nullopt;
  }
  return a;
}

std::string SocketAddress::ip_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == Family::kV4) inet_ntop(AF_INET, ip.data(), buf, sizeof buf);
  else if (family == Family::kV6) inet_ntop(AF_INET6, ip.data(), buf, sizeof buf);
  else return "none";
  return buf;
}

std::string SocketAddress::to_string() const {
  if (family == Family::kV6) return fmt::format("[{}]:{}", ip_string(), port);
  return fmt::format("{}:{}", ip_string(), port);
}

}  // namespace braid

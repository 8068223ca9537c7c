// HKDF (RFC 5869) and TLS 1.3 HKDF-Expand-Label (RFC 8446 §7.1) on GnuTLS primitives.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace braid::crypto {

enum class Hash : uint8_t { kSha256, kSha384 };

std::vector<uint8_t> hkdf_extract(Hash h, std::span<const uint8_t> salt, std::span<const uint8_t> ikm);
std::vector<uint8_t> hkdf_expand_label(Hash h, std::span<const uint8_t> secret, std::string_view label,
                                       std::span<const uint8_t> context, size_t length);

}  // namespace braid::crypto

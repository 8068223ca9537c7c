// HKDF-Extract / HKDF-Expand-Label over GnuTLS's HKDF. Failures (which only a broken GnuTLS
// could produce for these inputs) come back as an empty vector.
#include "core/crypto/hkdf.h"

#include <gnutls/crypto.h>

namespace braid::crypto {
namespace {

gnutls_mac_algorithm_t to_mac(Hash h) { return h == Hash::kSha384 ? GNUTLS_MAC_SHA384 : GNUTLS_MAC_SHA256; }

gnutls_datum_t datum(std::span<const uint8_t> s) {
  // GnuTLS takes non-const datums but does not write through them.
  return gnutls_datum_t{const_cast<uint8_t*>(s.data()), static_cast<unsigned>(s.size())};
}

}  // namespace

std::vector<uint8_t> hkdf_extract(Hash h, std::span<const uint8_t> salt, std::span<const uint8_t> ikm) {
  const gnutls_mac_algorithm_t mac = to_mac(h);
  std::vector<uint8_t> out(gnutls_hmac_get_len(mac));
  gnutls_datum_t key = datum(ikm), s = datum(salt);
  if (gnutls_hkdf_extract(mac, &key, &s, out.data()) != 0) return {};
  return out;
}

std::vector<uint8_t> hkdf_expand_label(Hash h, std::span<const uint8_t> secret, std::string_view label,
                                       std::span<const uint8_t> context, size_t length) {
  static constexpr std::string_view kPrefix = "tls13 ";
  const size_t full_label_len = kPrefix.size() + label.size();
  if (length > 0xffff || full_label_len > 255 || context.size() > 255) return {};

  // struct HkdfLabel { uint16 length; opaque label<7..255>; opaque context<0..255>; }
  std::vector<uint8_t> info;
  info.reserve(2 + 1 + full_label_len + 1 + context.size());
  info.push_back(static_cast<uint8_t>(length >> 8));
  info.push_back(static_cast<uint8_t>(length));
  info.push_back(static_cast<uint8_t>(full_label_len));
  info.insert(info.end(), kPrefix.begin(), kPrefix.end());
  info.insert(info.end(), label.begin(), label.end());
  info.push_back(static_cast<uint8_t>(context.size()));
  info.insert(info.end(), context.begin(), context.end());

  std::vector<uint8_t> out(length);
  gnutls_datum_t key = datum(secret), inf = datum(info);
  if (gnutls_hkdf_expand(to_mac(h), &key, &inf, out.data(), out.size()) != 0) return {};
  return out;
}

}  // namespace braid::crypto

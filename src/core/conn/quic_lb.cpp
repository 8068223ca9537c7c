// QUIC-LB encoding and server ID extraction (draft-ietf-quic-load-balancers-21 §5.4, §5.5).
#include "core/conn/quic_lb.h"

#include <cstring>

namespace braid::conn {

namespace {

// The plaintext block's two halves: half_len = ceil(len / 2) bytes each; with an odd length
// the middle byte is split, its low nibble cleared in the left half and its high nibble in
// the right one.
std::vector<uint8_t> left_half(std::span<const uint8_t> block) {
  size_t half = (block.size() + 1) / 2;
  std::vector<uint8_t> out(block.begin(), block.begin() + static_cast<std::ptrdiff_t>(half));
  if (block.size() % 2) out.back() &= 0xf0;
  return out;
}

std::vector<uint8_t> right_half(std::span<const uint8_t> block) {
  size_t half = (block.size() + 1) / 2;
  std::vector<uint8_t> out(block.end() - static_cast<std::ptrdiff_t>(half), block.end());
  if (block.size() % 2) out.front() &= 0x0f;
  return out;
}

std::vector<uint8_t> join(const std::vector<uint8_t>& left, const std::vector<uint8_t>& right, size_t len) {
  std::vector<uint8_t> out(left);
  if (len % 2) {
    out.back() |= right.front();
    out.insert(out.end(), right.begin() + 1, right.end());
  } else {
    out.insert(out.end(), right.begin(), right.end());
  }
  return out;
}

}  // namespace

std::unique_ptr<QuicLbCodec> QuicLbCodec::create(const LoadBalancerConfig& cfg) {
  if (!check_load_balancer_config(cfg)) return nullptr;
  std::unique_ptr<QuicLbCodec> c(new QuicLbCodec(cfg));
  if (cfg.key) {
    uint8_t iv[16] = {};
    gnutls_datum_t k{const_cast<uint8_t*>(cfg.key->data()), 16};
    gnutls_datum_t iv_datum{iv, sizeof iv};
    if (gnutls_cipher_init(&c->enc_, GNUTLS_CIPHER_AES_128_CBC, &k, &iv_datum) != 0) return nullptr;
    if (gnutls_cipher_init(&c->dec_, GNUTLS_CIPHER_AES_128_CBC, &k, &iv_datum) != 0) return nullptr;
  }
  return c;
}

QuicLbCodec::~QuicLbCodec() {
  if (enc_) gnutls_cipher_deinit(enc_);
  if (dec_) gnutls_cipher_deinit(dec_);
}

QuicLbCodec::Block QuicLbCodec::aes(const Block& in, bool decrypt) const {
  // GnuTLS has no ECB; one CBC block under a zero IV is AES-ECB of that block.
  uint8_t zero_iv[16] = {};
  Block out{};
  gnutls_cipher_hd_t h = decrypt ? dec_ : enc_;
  gnutls_cipher_set_iv(h, zero_iv, sizeof zero_iv);
  int rc = decrypt ? gnutls_cipher_decrypt2(h, in.data(), in.size(), out.data(), out.size())
                   : gnutls_cipher_encrypt2(h, in.data(), in.size(), out.data(), out.size());
  if (rc != 0) out.fill(0);
  return out;
}

void QuicLbCodec::round(const std::vector<uint8_t>& half, uint8_t pass, std::vector<uint8_t>& other) const {
  // expand(len, pass, half): the half, zero padding, then the length and the pass number.
  Block in{};
  std::memcpy(in.data(), half.data(), half.size());
  in[14] = static_cast<uint8_t>(cfg_.server_id.size() + cfg_.nonce_length);
  in[15] = pass;
  Block out = aes(in, false);
  for (size_t i = 0; i < other.size(); ++i) other[i] ^= out[i];
}

void QuicLbCodec::clear_odd_bits(std::vector<uint8_t>& half, bool is_left) const {
  if ((cfg_.server_id.size() + cfg_.nonce_length) % 2 == 0) return;
  if (is_left) {
    half.back() &= 0xf0;
  } else {
    half.front() &= 0x0f;
  }
}

std::vector<uint8_t> QuicLbCodec::transform(std::vector<uint8_t> in, bool decrypt) const {
  size_t len = in.size();
  if (len == 16) {
    Block b;
    std::memcpy(b.data(), in.data(), 16);
    Block out = aes(b, decrypt);
    return {out.begin(), out.end()};
  }
  // Passes 1 and 3 turn the left half into a mask on the right, 2 and 4 the other way;
  // decryption runs them from 4 down to 1.
  auto left = left_half(in), right = right_half(in);
  for (uint8_t i = 0; i < 4; ++i) {
    uint8_t pass = decrypt ? static_cast<uint8_t>(4 - i) : static_cast<uint8_t>(i + 1);
    if (pass % 2 == 1) {
      round(left, pass, right);
      clear_odd_bits(right, false);
    } else {
      round(right, pass, left);
      clear_odd_bits(left, true);
    }
  }
  return join(left, right, len);
}

ConnectionId QuicLbCodec::encode(std::span<const uint8_t> nonce, uint8_t random_bits) const {
  std::vector<uint8_t> plain(cfg_.server_id);
  plain.insert(plain.end(), nonce.begin(), nonce.begin() + static_cast<std::ptrdiff_t>(std::min(nonce.size(), cfg_.nonce_length)));
  plain.resize(cfg_.server_id.size() + cfg_.nonce_length, 0);
  std::vector<uint8_t> body = cfg_.key ? transform(std::move(plain), false) : std::move(plain);
  uint8_t low = cfg_.encode_length ? static_cast<uint8_t>(cfg_.cid_length() - 1) : static_cast<uint8_t>(random_bits & 0x1f);
  std::vector<uint8_t> bytes{static_cast<uint8_t>((cfg_.config_id << 5) | low)};
  bytes.insert(bytes.end(), body.begin(), body.end());
  return ConnectionId(bytes);
}

ConnectionId QuicLbCodec::generate(Random& rng) const {
  std::array<uint8_t, 19> nonce{};
  uint8_t bits = 0;
  rng.fill({nonce.data(), cfg_.nonce_length});
  rng.fill({&bits, 1});
  return encode({nonce.data(), cfg_.nonce_length}, bits);
}

std::optional<std::vector<uint8_t>> QuicLbCodec::server_id(const ConnectionId& cid) const {
  if (cid.size() != cfg_.cid_length() || (cid.data()[0] >> 5) != cfg_.config_id) return std::nullopt;
  std::vector<uint8_t> body(cid.data() + 1, cid.data() + cid.size());
  if (cfg_.key) body = transform(std::move(body), true);
  body.resize(cfg_.server_id.size());
  return body;
}

}  // namespace braid::conn

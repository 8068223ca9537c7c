// QUIC-LB connection IDs (draft-ietf-quic-load-balancers-21 §3-§5): the server side that
// writes its server ID into every CID it issues, and the load balancer's extraction of it.
// Encryption is AES-128-ECB, one block when server ID and nonce fill 16 bytes, otherwise
// the draft's four-pass Feistel network with AES-ECB as its round function.
#pragma once
#include <gnutls/crypto.h>

#include <array>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "braid/config.h"
#include "braid/random.h"
#include "braid/types.h"

namespace braid::conn {

class QuicLbCodec {
 public:
  // nullptr when the config is invalid (check_load_balancer_config says why) or the cipher
  // cannot be created.
  static std::unique_ptr<QuicLbCodec> create(const LoadBalancerConfig& cfg);
  ~QuicLbCodec();
  QuicLbCodec(const QuicLbCodec&) = delete;
  QuicLbCodec& operator=(const QuicLbCodec&) = delete;

  // A CID for `nonce` (nonce_length bytes); `random_bits` fills the first octet's low five
  // bits when the length is not encoded there.
  ConnectionId encode(std::span<const uint8_t> nonce, uint8_t random_bits = 0) const;
  // A fresh CID with a random nonce.
  ConnectionId generate(Random& rng) const;
  // The server ID in `cid`, or nullopt when the CID is not of this config (length or
  // config rotation bits differ).
  std::optional<std::vector<uint8_t>> server_id(const ConnectionId& cid) const;

  const LoadBalancerConfig& config() const { return cfg_; }

 private:
  explicit QuicLbCodec(LoadBalancerConfig cfg) : cfg_(std::move(cfg)) {}
  using Block = std::array<uint8_t, 16>;
  Block aes(const Block& in, bool decrypt) const;
  // One Feistel round: AES-ECB of expand(len, pass, half), truncated and XORed into `other`.
  void round(const std::vector<uint8_t>& half, uint8_t pass, std::vector<uint8_t>& other) const;
  void clear_odd_bits(std::vector<uint8_t>& half, bool is_left) const;
  // Server ID and nonce through AES (16 bytes) or the four-pass Feistel network, either way.
  std::vector<uint8_t> transform(std::vector<uint8_t> in, bool decrypt) const;

  LoadBalancerConfig cfg_;
  gnutls_cipher_hd_t enc_ = nullptr;   // AES-128-CBC under a zero IV per block: ECB
  gnutls_cipher_hd_t dec_ = nullptr;
};

}  // namespace braid::conn

// Keys and crypto streams per encryption level: Initial and Handshake keys with their
// CRYPTO send/receive buffers, the Application level's crypto stream, and the 1-RTT keys
// with key-update state (RFC 9001 §5-§6): current, next and previous read keys, the phase
// bit and the limits on when the next update may start.
#pragma once
#include <array>
#include <memory>
#include <optional>

#include "braid/time.h"
#include "braid/types.h"
#include "core/conn/recv_buffer.h"
#include "core/conn/send_buffer.h"
#include "core/crypto/packet_keys.h"

namespace braid::conn {

inline constexpr size_t kCryptoBufferLimit = 64 * 1024;
inline constexpr size_t kCryptoMaxPieces = 256;   // out-of-order CRYPTO fragments per level

// Crypto stream and keys of one encryption level (Initial, Handshake; 1-RTT keys live in
// AppKeys because of key update).
struct CryptoLevel {
  SendBuffer send;
  RecvBuffer recv{kCryptoBufferLimit, kCryptoMaxPieces};
  std::optional<crypto::DirectionalKeys> read;
  std::optional<crypto::DirectionalKeys> write;
  bool discarded = false;
};

// 1-RTT keys with key-update state (RFC 9001 §6).
struct AppKeys {
  crypto::CipherSuite suite = crypto::CipherSuite::kAes128Gcm;
  crypto::DirectionalKeys read;
  crypto::DirectionalKeys write;
  std::unique_ptr<crypto::HeaderProtector> read_hp;
  std::unique_ptr<crypto::HeaderProtector> write_hp;
  std::optional<crypto::DirectionalKeys> read_next;   // precomputed for the peer's next phase
  std::optional<crypto::DirectionalKeys> read_prev;   // kept until prev_discard_time
  TimePoint prev_discard_time = kNever;
  bool key_phase = false;            // phase bit of our current write keys
  uint64_t generation = 0;
  uint64_t first_pn_current_phase = 0;   // lowest pn we sent with the current keys (path 0 space)
  uint64_t read_phase_start_pn = UINT64_MAX;  // lowest pn received under the current read keys
  bool current_phase_acked = false;      // an ACK covered a packet sent in the current phase
  TimePoint next_update_allowed{};       // not before 3x the largest PTO after that ACK
  uint64_t packets_protected = 0;
  uint64_t failed_opens = 0;
};

// Index of a level in KeySchedule::levels (Initial 0, Handshake 1, Application 2).
inline size_t level_index(EncryptionLevel l) {
  return l == EncryptionLevel::kInitial ? 0 : l == EncryptionLevel::kHandshake ? 1 : 2;
}

struct KeySchedule {
  std::array<CryptoLevel, 3> levels;   // Initial, Handshake, Application (crypto stream only)
  std::optional<AppKeys> app;          // 1-RTT keys once TLS produced them

  CryptoLevel& level(EncryptionLevel l) { return levels[level_index(l)]; }
  const CryptoLevel& level(EncryptionLevel l) const { return levels[level_index(l)]; }
  // 1-RTT packets can be protected now.
  bool can_seal_1rtt() const { return app && app->write.aead; }
};

}  // namespace braid::conn

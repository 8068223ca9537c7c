// Sources that keep sending Initials which do not decrypt are ignored for a while. Each such
// Initial costs the server a key derivation and an AEAD open (~6 us); a flood from one
// address would otherwise keep the receive queue full and crowd real clients out of it. A
// real client never sends an undecryptable Initial, so a source past the threshold is
// refused without the check until its penalty runs out. Spoofed floods spread over many
// addresses stay below it per address and cost the check each, as before. Both tables
// are bounded: past `max_sources` new sources are simply not tracked.
#pragma once
#include <array>
#include <cstdint>
#include <map>

#include "braid/address.h"
#include "braid/time.h"

namespace braid {

class InitialSourceFilter {
 public:
  struct Limits {
    uint32_t max_failures_per_second = 100;   // 0 disables the filter
    Duration penalty = std::chrono::seconds(2);
    size_t max_sources = 4096;
  };
  explicit InitialSourceFilter(const Limits& l) : limits_(l) {}

  // True while `source` is serving a penalty: drop its Initial without decrypting it.
  bool blocked(TimePoint now, const SocketAddress& source);
  // An Initial from `source` did not decrypt.
  void on_failure(TimePoint now, const SocketAddress& source);
  size_t blocked_sources() const { return blocked_.size(); }

 private:
  using Key = std::pair<uint8_t, std::array<uint8_t, 16>>;   // family, address (no port)
  static Key key_of(const SocketAddress& a) { return {static_cast<uint8_t>(a.family), a.ip}; }
  void roll(TimePoint now);

  Limits limits_;
  TimePoint window_start_{};
  std::map<Key, uint32_t> failures_;      // this window's count per source
  std::map<Key, TimePoint> blocked_;      // source -> end of its penalty
};

}  // namespace braid

// RTT priors for new paths: an application-owned store of RTT samples from earlier paths, looked
// up hierarchically (peer+local -> peer -> local -> global -> static default). Sans-IO: the text
// form is produced and parsed here, reading and writing files is the runtime's business.
#pragma once
#include <cstddef>
#include <cstdint>
#include <expected>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "braid/address.h"
#include "braid/time.h"

namespace braid {

// Most specific first; lookup returns the first tier with enough samples.
enum class RttPriorTier : uint8_t { kPeerAndLocal, kPeer, kLocal, kGlobal, kDefault };

// "peer+local", "peer", "local", "global", "default" (also the tags of the text form).
std::string_view rtt_prior_tier_name(RttPriorTier tier);

struct RttPrior {
  Duration smoothed_rtt;
  Duration rtt_variance;
  uint32_t samples;  // samples behind the estimate; 0 for kDefault
  RttPriorTier tier;
};

// Keys ignore ports and use IPs only: tier kPeerAndLocal is (peer IP, local IP), kPeer the peer
// IP, kLocal the local IP, kGlobal a single entry. An address that is not valid or is the
// unspecified address (0.0.0.0, ::) keys no tier. Each entry is an EWMA of srtt and rttvar with a
// saturating sample count. At most max_entries keyed entries (tiers 1-3 together; global is
// extra) are kept, evicting the least recently used; record() and lookup() both count as use.
// All members are thread-safe: one store may be shared between connections and event loops.
class RttPriorStore {
 public:
  struct Options {
    size_t max_entries = 256;     // bound on keyed entries (tiers 1-3); 0 keeps only global
    uint32_t min_samples = 3;     // a tier is used once it has this many samples (0 acts as 1)
    Duration default_rtt = 333ms; // RFC 9002 kInitialRtt; non-positive values act as 333 ms
    double weight = 0.25;         // EWMA weight of a new sample, clamped to [0.001, 1]
  };

  // Samples outside (0, kMaxSample] (srtt) or [0, kMaxSample] (rttvar) are ignored.
  static constexpr Duration kMaxSample = std::chrono::seconds(60);
  static constexpr std::string_view kTextHeader = "braid-rtt-cache 1";

  RttPriorStore();
  explicit RttPriorStore(Options options);
  RttPriorStore(const RttPriorStore& other);
  RttPriorStore(RttPriorStore&& other) noexcept;
  RttPriorStore& operator=(const RttPriorStore& other);
  RttPriorStore& operator=(RttPriorStore&& other) noexcept;
  ~RttPriorStore() = default;

  // Folds one path's estimate into the tiers it keys (and global). Returns false if ignored.
  bool record(const SocketAddress& peer, const SocketAddress& local, Duration smoothed_rtt,
              Duration rtt_variance);
  // First tier with samples >= min_samples, else {default_rtt, default_rtt / 2, 0, kDefault}.
  RttPrior lookup(const SocketAddress& peer, const SocketAddress& local) const;

  size_t size() const;  // keyed entries (tiers 1-3), global not counted
  void clear();
  const Options& options() const { return options_; }

  // Text form, one entry per line, least recently used first so that loading restores the order:
  //   braid-rtt-cache 1
  //   global <srtt_us> <rttvar_us> <samples>
  //   peer <ip> <srtt_us> <rttvar_us> <samples>
  //   local <ip> <srtt_us> <rttvar_us> <samples>
  //   peer+local <peer_ip> <local_ip> <srtt_us> <rttvar_us> <samples>
  std::string to_text() const;
  // Parses the text form; errors read "line N: reason". Entries beyond max_entries evict as usual.
  static std::expected<RttPriorStore, std::string> from_text(std::string_view text, Options options);
  // Replaces the contents with the parsed text (keeping this store's options); on error the store
  // is left unchanged.
  std::expected<void, std::string> load_text(std::string_view text);

 private:
  struct Key {
    RttPriorTier tier;
    SocketAddress peer;   // port 0; default (kNone) when the tier has no peer
    SocketAddress local;  // port 0; default (kNone) when the tier has no local address
    bool operator<(const Key& o) const;
  };
  struct Stats {
    Duration srtt{0};
    Duration rttvar{0};
    uint32_t samples = 0;
  };
  struct Entry {
    Stats stats;
    mutable uint64_t last_use = 0;  // position in lru_; lookups touch it through a const store
  };

  // The whole contents from `other`; the caller holds both locks (or owns this one alone).
  void copy_locked(const RttPriorStore& other);
  void move_locked(RttPriorStore& other);
  void fold(Stats& s, Duration srtt, Duration rttvar) const;
  void touch(const Key& key, const Entry& e) const;
  Entry& insert_or_touch(const Key& key);
  void evict_to(size_t bound);

  Options options_;
  mutable std::mutex mu_;
  Stats global_;
  std::map<Key, Entry> entries_;
  mutable std::map<uint64_t, Key> lru_;  // use tick -> key, oldest first
  mutable uint64_t tick_ = 0;
};

}  // namespace braid

// RttPriorStore: the tiered EWMA table of RTT samples, its LRU bound (a use tick, no clock) and
// its line-based text form. No I/O here; src/io/rtt_cache_file does the file side.
#include "braid/rtt_prior.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <tuple>
#include <vector>

#include <fmt/format.h>

namespace braid {
namespace {

constexpr Duration kFallbackDefaultRtt = std::chrono::milliseconds(333);
constexpr double kMinWeight = 0.001;
constexpr int64_t kMaxSampleUs = std::chrono::duration_cast<std::chrono::microseconds>(
                                     RttPriorStore::kMaxSample).count();

// Valid, not 0.0.0.0 / ::. Only such addresses key a tier.
bool keyable(const SocketAddress& a) {
  if (!a.valid()) return false;
  size_t n = a.family == SocketAddress::Family::kV4 ? 4 : 16;
  return std::any_of(a.ip.begin(), a.ip.begin() + static_cast<std::ptrdiff_t>(n), [](uint8_t b) { return b != 0; });
}

// Family and the family's IP bytes; port and unused bytes zeroed so equal IPs compare equal.
SocketAddress ip_only(const SocketAddress& a) {
  SocketAddress k;
  k.family = a.family;
  size_t n = a.family == SocketAddress::Family::kV4 ? 4 : 16;
  std::copy_n(a.ip.begin(), n, k.ip.begin());
  return k;
}

RttPriorStore::Options sanitize(RttPriorStore::Options o) {
  if (o.min_samples == 0) o.min_samples = 1;
  if (o.default_rtt <= Duration::zero()) o.default_rtt = kFallbackDefaultRtt;
  if (!(o.weight >= kMinWeight)) o.weight = std::isnan(o.weight) ? 0.25 : kMinWeight;  // NaN and too small
  if (o.weight > 1.0) o.weight = 1.0;
  return o;
}

Duration ewma(Duration old_value, Duration sample, double w) {
  double v = (1.0 - w) * static_cast<double>(old_value.count()) + w * static_cast<double>(sample.count());
  return Duration{static_cast<Duration::rep>(std::llround(v))};
}

int64_t round_us(Duration d) { return std::chrono::round<std::chrono::microseconds>(d).count(); }

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) i++;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') i++;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::optional<uint64_t> parse_uint(std::string_view s) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// A bare IP as ip_string() prints it: no brackets, no port ("1.2.3.4:0" and "[::1]" are refused).
std::optional<SocketAddress> parse_ip(std::string_view s) {
  if (s.find_first_of("[]") != std::string_view::npos) return std::nullopt;
  auto a = SocketAddress::parse(s);
  if (!a || a->port != 0) return std::nullopt;
  if (a->family == SocketAddress::Family::kV4 && s.find(':') != std::string_view::npos) return std::nullopt;
  if (!keyable(*a)) return std::nullopt;
  return ip_only(*a);
}

}  // namespace

std::string_view rtt_prior_tier_name(RttPriorTier tier) {
  switch (tier) {
    case RttPriorTier::kPeerAndLocal: return "peer+local";
    case RttPriorTier::kPeer: return "peer";
    case RttPriorTier::kLocal: return "local";
    case RttPriorTier::kGlobal: return "global";
    case RttPriorTier::kDefault: return "default";
  }
  return "unknown";
}

bool RttPriorStore::Key::operator<(const Key& o) const {
  return std::tie(tier, peer, local) < std::tie(o.tier, o.peer, o.local);
}

RttPriorStore::RttPriorStore() : RttPriorStore(Options{}) {}

RttPriorStore::RttPriorStore(Options options) : options_(sanitize(options)) {}

void RttPriorStore::copy_locked(const RttPriorStore& other) {
  options_ = other.options_;
  global_ = other.global_;
  entries_ = other.entries_;
  lru_ = other.lru_;
  tick_ = other.tick_;
}

void RttPriorStore::move_locked(RttPriorStore& other) {
  options_ = other.options_;
  global_ = other.global_;
  entries_ = std::move(other.entries_);
  lru_ = std::move(other.lru_);
  tick_ = other.tick_;
  other.global_ = {};
  other.entries_.clear();
  other.lru_.clear();
}

RttPriorStore::RttPriorStore(const RttPriorStore& other) {
  std::lock_guard lock(other.mu_);
  copy_locked(other);
}

RttPriorStore::RttPriorStore(RttPriorStore&& other) noexcept {
  std::lock_guard lock(other.mu_);
  move_locked(other);
}

RttPriorStore& RttPriorStore::operator=(const RttPriorStore& other) {
  if (this == &other) return *this;
  std::scoped_lock lock(mu_, other.mu_);
  copy_locked(other);
  return *this;
}

RttPriorStore& RttPriorStore::operator=(RttPriorStore&& other) noexcept {
  if (this == &other) return *this;
  std::scoped_lock lock(mu_, other.mu_);
  move_locked(other);
  return *this;
}

void RttPriorStore::fold(Stats& s, Duration srtt, Duration rttvar) const {
  if (s.samples == 0) {
    s.srtt = srtt;
    s.rttvar = rttvar;
  } else {
    s.srtt = ewma(s.srtt, srtt, options_.weight);
    s.rttvar = ewma(s.rttvar, rttvar, options_.weight);
  }
  if (s.samples < std::numeric_limits<uint32_t>::max()) s.samples++;
}

void RttPriorStore::touch(const Key& key, const Entry& e) const {
  lru_.erase(e.last_use);
  e.last_use = ++tick_;
  lru_.emplace(e.last_use, key);
}

RttPriorStore::Entry& RttPriorStore::insert_or_touch(const Key& key) {
  auto [it, inserted] = entries_.try_emplace(key);
  touch(key, it->second);
  if (inserted) evict_to(options_.max_entries);  // the new entry is the newest, so it survives
  return it->second;
}

void RttPriorStore::evict_to(size_t bound) {
  while (entries_.size() > bound && !lru_.empty()) {
    auto oldest = lru_.begin();
    entries_.erase(oldest->second);
    lru_.erase(oldest);
  }
}

bool RttPriorStore::record(const SocketAddress& peer, const SocketAddress& local, Duration smoothed_rtt,
                           Duration rtt_variance) {
  if (smoothed_rtt <= Duration::zero() || smoothed_rtt > kMaxSample) return false;
  if (rtt_variance < Duration::zero() || rtt_variance > kMaxSample) return false;
  std::lock_guard lock(mu_);
  fold(global_, smoothed_rtt, rtt_variance);
  if (options_.max_entries == 0) return true;
  const bool has_peer = keyable(peer), has_local = keyable(local);
  // Most specific first, so among entries touched together the most specific is evicted first.
  if (has_peer && has_local) {
    fold(insert_or_touch({RttPriorTier::kPeerAndLocal, ip_only(peer), ip_only(local)}).stats, smoothed_rtt,
         rtt_variance);
  }
  if (has_peer) fold(insert_or_touch({RttPriorTier::kPeer, ip_only(peer), {}}).stats, smoothed_rtt, rtt_variance);
  if (has_local) {
    fold(insert_or_touch({RttPriorTier::kLocal, {}, ip_only(local)}).stats, smoothed_rtt, rtt_variance);
  }
  return true;
}

RttPrior RttPriorStore::lookup(const SocketAddress& peer, const SocketAddress& local) const {
  std::lock_guard lock(mu_);
  const bool has_peer = keyable(peer), has_local = keyable(local);
  const Key keys[3] = {{RttPriorTier::kPeerAndLocal, ip_only(peer), ip_only(local)},
                       {RttPriorTier::kPeer, ip_only(peer), {}},
                       {RttPriorTier::kLocal, {}, ip_only(local)}};
  const bool usable[3] = {has_peer && has_local, has_peer, has_local};
  std::optional<RttPrior> found;
  for (int i = 0; i < 3; ++i) {
    if (!usable[i]) continue;
    auto it = entries_.find(keys[i]);
    if (it == entries_.end()) continue;
    touch(it->first, it->second);  // every existing entry of this (peer, local) counts as used
    const Stats& s = it->second.stats;
    if (!found && s.samples >= options_.min_samples) found = RttPrior{s.srtt, s.rttvar, s.samples, keys[i].tier};
  }
  if (found) return *found;
  if (global_.samples >= options_.min_samples) {
    return {global_.srtt, global_.rttvar, global_.samples, RttPriorTier::kGlobal};
  }
  return {options_.default_rtt, options_.default_rtt / 2, 0, RttPriorTier::kDefault};
}

size_t RttPriorStore::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void RttPriorStore::clear() {
  std::lock_guard lock(mu_);
  global_ = {};
  entries_.clear();
  lru_.clear();
}

std::string RttPriorStore::to_text() const {
  std::lock_guard lock(mu_);
  // srtt is written as at least 1 us so that a sub-microsecond estimate still parses back.
  auto numbers = [](const Stats& s) {
    return fmt::format("{} {} {}", std::max<int64_t>(1, round_us(s.srtt)), round_us(s.rttvar), s.samples);
  };
  std::string out = fmt::format("{}\n", kTextHeader);
  if (global_.samples > 0) out += fmt::format("global {}\n", numbers(global_));
  for (const auto& [tick, key] : lru_) {
    const Stats& s = entries_.at(key).stats;
    switch (key.tier) {
      case RttPriorTier::kPeerAndLocal:
        out += fmt::format("peer+local {} {} {}\n", key.peer.ip_string(), key.local.ip_string(), numbers(s));
        break;
      case RttPriorTier::kPeer: out += fmt::format("peer {} {}\n", key.peer.ip_string(), numbers(s)); break;
      case RttPriorTier::kLocal: out += fmt::format("local {} {}\n", key.local.ip_string(), numbers(s)); break;
      case RttPriorTier::kGlobal:
      case RttPriorTier::kDefault: break;  // never keyed
    }
  }
  return out;
}

std::expected<RttPriorStore, std::string> RttPriorStore::from_text(std::string_view text, Options options) {
  RttPriorStore store(options);
  auto fail = [](size_t line, std::string_view why) {
    return std::unexpected(fmt::format("line {}: {}", line, why));
  };
  bool header_seen = false, global_seen = false;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    line_no++;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto f = split_fields(line);
    if (!header_seen) {
      if (f.size() != 2 || f[0] != "braid-rtt-cache") return fail(line_no, "missing 'braid-rtt-cache' header");
      if (f[1] != "1") return fail(line_no, fmt::format("unsupported version '{}'", f[1]));
      header_seen = true;
      continue;
    }
    if (f.empty()) continue;  // blank lines are allowed
    Key key{RttPriorTier::kGlobal, {}, {}};
    size_t addrs = 0;
    if (f[0] == "peer+local") {
      key.tier = RttPriorTier::kPeerAndLocal;
      addrs = 2;
    } else if (f[0] == "peer" || f[0] == "local") {
      key.tier = f[0] == "peer" ? RttPriorTier::kPeer : RttPriorTier::kLocal;
      addrs = 1;
    } else if (f[0] != "global") {
      return fail(line_no, fmt::format("unknown entry type '{}'", f[0]));
    }
    if (f.size() != 1 + addrs + 3) {
      return fail(line_no, fmt::format("'{}' needs {} fields, got {}", f[0], addrs + 3, f.size() - 1));
    }
    for (size_t i = 0; i < addrs; ++i) {
      auto ip = parse_ip(f[1 + i]);
      if (!ip) return fail(line_no, fmt::format("bad IP address '{}'", f[1 + i]));
      bool is_peer = key.tier == RttPriorTier::kPeer || (key.tier == RttPriorTier::kPeerAndLocal && i == 0);
      (is_peer ? key.peer : key.local) = *ip;
    }
    auto srtt_us = parse_uint(f[1 + addrs]);
    auto rttvar_us = parse_uint(f[2 + addrs]);
    auto samples = parse_uint(f[3 + addrs]);
    if (!srtt_us || *srtt_us == 0 || *srtt_us > static_cast<uint64_t>(kMaxSampleUs)) {
      return fail(line_no, fmt::format("bad srtt_us '{}'", f[1 + addrs]));
    }
    if (!rttvar_us || *rttvar_us > static_cast<uint64_t>(kMaxSampleUs)) {
      return fail(line_no, fmt::format("bad rttvar_us '{}'", f[2 + addrs]));
    }
    if (!samples || *samples == 0 || *samples > std::numeric_limits<uint32_t>::max()) {
      return fail(line_no, fmt::format("bad sample count '{}'", f[3 + addrs]));
    }
    Stats s{std::chrono::microseconds(*srtt_us), std::chrono::microseconds(*rttvar_us),
            static_cast<uint32_t>(*samples)};
    if (key.tier == RttPriorTier::kGlobal) {
      if (global_seen) return fail(line_no, "duplicate global entry");
      global_seen = true;
      store.global_ = s;
      continue;
    }
    if (store.entries_.contains(key)) return fail(line_no, fmt::format("duplicate '{}' entry", f[0]));
    if (store.options_.max_entries == 0) continue;
    store.insert_or_touch(key).stats = s;
  }
  if (!header_seen) return fail(1, "missing 'braid-rtt-cache' header");
  return store;
}

std::expected<void, std::string> RttPriorStore::load_text(std::string_view text) {
  auto parsed = from_text(text, options_);
  if (!parsed) return std::unexpected(std::move(parsed.error()));
  *this = std::move(*parsed);
  return {};
}

}  // namespace braid

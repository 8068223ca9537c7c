// Endpoint: demultiplexing by connection ID, server connection acceptance, Version
// Negotiation (RFC 9000 §6), Retry with HMAC-authenticated tokens (§8.1.2), and stateless
// resets for unknown short-header packets (§10.3).
#include "braid/endpoint.h"

#include <gnutls/crypto.h>

#include <algorithm>

#include "core/conn/cid_hash.h"
#include "core/conn/connection_impl.h"
#include "core/crypto/initial_secrets.h"
#include "core/crypto/packet_protection.h"
#include "core/crypto/tls_session.h"
#include "core/conn/cid_worker.h"
#include "core/conn/quic_lb.h"
#include "core/endpoint/initial_source_filter.h"
#include "core/wire/packet_header.h"

namespace braid {

namespace {
constexpr size_t kMinResetTrigger = 22;   // a reset must be shorter than what triggered it
constexpr size_t kTokenMacLen = 16;

std::array<uint8_t, 32> hmac(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  std::array<uint8_t, 32> out{};
  gnutls_hmac_fast(GNUTLS_MAC_SHA256, key.data(), key.size(), data.data(), data.size(), out.data());
  return out;
}
}  // namespace

Endpoint::Endpoint(const EndpointConfig& cfg, Random& rng)
    : cfg_(cfg),
      rng_(rng),
      routes_(64, conn::random_cid_hash(rng)),
      bad_initial_sources_(std::make_unique<InitialSourceFilter>(
          InitialSourceFilter::Limits{cfg.max_bad_initials_per_source, cfg.bad_initial_penalty, 4096})) {
  rng_.fill(reset_key_);
  rng_.fill(token_key_);
}

Endpoint::~Endpoint() = default;

void Endpoint::set_connection_config(const ConnectionConfig& c) {
  cfg_.connection = c;
  credentials_.reset();   // reloaded from the new configuration on the next connection
  retry_cids_.reset();    // and the QUIC-LB codec on the next Retry
}

Endpoint::Entry* Endpoint::route(const ConnectionId& cid) {
  auto it = routes_.find(cid);
  if (it == routes_.end()) return nullptr;
  auto c = conns_.find(it->second);
  return c == conns_.end() ? nullptr : &c->second;
}

void Endpoint::add_routes(uint64_t handle) {
  auto& e = conns_.at(handle);
  uint64_t v = e.conn->local_connection_ids_version();
  if (v == e.routed_version) return;   // nothing issued or retired since the last look
  e.routed_version = v;
  // Routes follow the connection's IDs both ways: retired ones are removed, so a peer that
  // churns IDs cannot grow the table (O(active IDs) per change).
  auto want = e.conn->local_connection_ids();
  std::sort(want.begin(), want.end());
  std::vector<ConnectionId> kept;
  kept.reserve(want.size());
  for (auto& cid : e.routes) {
    if (std::binary_search(want.begin(), want.end(), cid)) {
      kept.push_back(cid);
    } else if (auto it = routes_.find(cid); it != routes_.end() && it->second == handle) {
      routes_.erase(it);
    }
  }
  std::sort(kept.begin(), kept.end());
  for (auto& cid : want) {
    if (std::binary_search(kept.begin(), kept.end(), cid)) continue;
    if (routes_.try_emplace(cid, handle).second) kept.push_back(cid);
  }
  e.routes = std::move(kept);
}

void Endpoint::refresh_routes(Connection* c) {
  auto h = handles_.find(c);
  if (h == handles_.end()) return;
  add_routes(h->second);
}

bool Endpoint::stateless_allowed(TimePoint now) {
  double rate = cfg_.max_stateless_replies_per_second;
  if (stateless_refill_ == TimePoint{}) {
    stateless_refill_ = now;
    stateless_tokens_ = rate / 10;   // a tenth of a second's worth to start
  }
  if (now > stateless_refill_) {
    double secs = std::chrono::duration<double>(now - stateless_refill_).count();
    stateless_tokens_ = std::min(rate / 10, stateless_tokens_ + secs * rate);
    stateless_refill_ = now;
  }
  if (stateless_tokens_ < 1) {
    stateless_suppressed_++;
    return false;
  }
  stateless_tokens_ -= 1;
  return true;
}

void Endpoint::queue(const PathTuple& t, std::vector<uint8_t> bytes) {
  if (stateless_out_.size() < 256) stateless_out_.emplace_back(t, std::move(bytes));
}

std::optional<StatelessTransmit> Endpoint::poll_stateless(std::span<uint8_t> buf) {
  while (!stateless_out_.empty()) {
    auto [t, bytes] = std::move(stateless_out_.front());
    stateless_out_.erase(stateless_out_.begin());
    if (bytes.size() > buf.size()) continue;
    std::copy(bytes.begin(), bytes.end(), buf.begin());
    return StatelessTransmit{t, bytes.size()};
  }
  return std::nullopt;
}

Connection* Endpoint::accept() {
  if (accept_queue_.empty()) return nullptr;
  auto c = accept_queue_.front();
  accept_queue_.erase(accept_queue_.begin());
  return c;
}

std::vector<Connection*> Endpoint::connections() const {
  std::vector<Connection*> out;
  for (auto& [h, e] : conns_) out.push_back(e.conn.get());
  return out;
}

void Endpoint::remove(Connection* c) {
  auto h = handles_.find(c);
  if (h == handles_.end()) return;
  auto it = conns_.find(h->second);
  if (it != conns_.end()) {
    for (auto& cid : it->second.routes) {
      if (auto r = routes_.find(cid); r != routes_.end() && r->second == h->second) routes_.erase(r);
    }
    if (it->second.initial_route) {
      if (auto r = routes_.find(*it->second.initial_route); r != routes_.end() && r->second == h->second) routes_.erase(r);
    }
    std::erase(accept_queue_, c);
    std::erase(handshaking_, h->second);
    conns_.erase(it);
  }
  handles_.erase(h);
}

size_t Endpoint::collect_closed() {
  // remove() owns the tear-down (routes, accept queue, handshake list); collect first, as
  // it erases from conns_.
  std::vector<Connection*> closed;
  for (auto& [h, e] : conns_) {
    if (e.conn->is_closed()) closed.push_back(e.conn.get());
  }
  for (auto* c : closed) remove(c);
  return closed.size();
}

Result<Connection*> Endpoint::connect(TimePoint now, const ConnectionConfig& cfg, const PathTuple& tuple) {
  auto c = Connection::connect(now, cfg, tuple, rng_);
  if (!c) return std::unexpected(c.error());
  uint64_t h = next_handle_++;
  Connection* raw = c->get();
  conns_[h] = Entry{std::move(*c), {}};
  handles_[raw] = h;
  add_routes(h);
  return raw;
}

std::vector<uint8_t> Endpoint::make_retry_token(TimePoint now, const SocketAddress& client, const ConnectionId& odcid) {
  // time(8) | odcid_len(1) | odcid | mac(16) over time|odcid|client address.
  std::vector<uint8_t> t;
  uint64_t us = static_cast<uint64_t>(to_us(now));
  for (int i = 7; i >= 0; --i) t.push_back(uint8_t(us >> (8 * i)));
  t.push_back(static_cast<uint8_t>(odcid.size()));
  t.insert(t.end(), odcid.data(), odcid.data() + odcid.size());
  std::vector<uint8_t> mac_input = t;
  auto addr = client.to_string();
  mac_input.insert(mac_input.end(), addr.begin(), addr.end());
  auto mac = hmac(token_key_, mac_input);
  t.insert(t.end(), mac.begin(), mac.begin() + kTokenMacLen);
  return t;
}

std::optional<ConnectionId> Endpoint::check_retry_token(TimePoint now, const SocketAddress& client,
                                                        std::span<const uint8_t> token) {
  if (token.size() < 9 + kTokenMacLen) return std::nullopt;
  size_t cid_len = token[8];
  if (cid_len > ConnectionId::kMaxLen || token.size() != 9 + cid_len + kTokenMacLen) return std::nullopt;
  std::vector<uint8_t> mac_input(token.begin(), token.begin() + 9 + cid_len);
  auto addr = client.to_string();
  mac_input.insert(mac_input.end(), addr.begin(), addr.end());
  auto mac = hmac(token_key_, mac_input);
  if (!std::equal(mac.begin(), mac.begin() + kTokenMacLen, token.begin() + 9 + cid_len)) return std::nullopt;
  uint64_t us = 0;
  for (int i = 0; i < 8; ++i) us = (us << 8) | token[i];
  TimePoint issued = time_from_us(static_cast<int64_t>(us));
  if (now < issued || now - issued > cfg_.retry_token_lifetime) return std::nullopt;
  return ConnectionId(token.subspan(9, cid_len));
}

Connection* Endpoint::handle_datagram(TimePoint now, const PathTuple& tuple, std::span<uint8_t> data, uint8_t ecn) {
  if (data.empty()) return nullptr;
  auto dcid = wire::peek_dcid(data, cfg_.connection.connection_id_length);
  if (!dcid) return nullptr;
  if (auto* e = route(*dcid)) {
    Connection* c = e->conn.get();
    c->handle_datagram(now, tuple, data, ecn);
    add_routes(handles_.at(c));
    return c;
  }
  bool long_header = (data[0] & 0x80) != 0;
  if (!long_header) {
    // Unknown short-header packet: a stateless reset lets a peer that lost us stop quickly.
    if (data.size() < kMinResetTrigger) return nullptr;
    if (!stateless_allowed(now)) return nullptr;
    size_t len = std::min<size_t>(data.size() - 1, 43);
    std::vector<uint8_t> reset(len);
    rng_.fill(reset);
    reset[0] = static_cast<uint8_t>((reset[0] & 0x3f) | 0x40);
    uint8_t mac[32];
    gnutls_hmac_fast(GNUTLS_MAC_SHA256, reset_key_.data(), reset_key_.size(), dcid->data(), dcid->size(), mac);
    std::copy(mac, mac + 16, reset.end() - 16);
    queue(tuple, std::move(reset));
    resets_sent_++;
    return nullptr;
  }
  if (!cfg_.accept_connections) return nullptr;
  auto hdr = wire::parse_header(data, cfg_.connection.connection_id_length);
  if (!hdr) return nullptr;
  if (hdr->version != kQuicVersion1) {
    if (hdr->type == wire::PacketType::kVersionNegotiation || data.size() < 1200) return nullptr;
    if (!stateless_allowed(now)) return nullptr;
    uint8_t r;
    rng_.fill({&r, 1});
    const uint32_t versions[] = {kQuicVersion1, 0x1a2a3a4a /* greased */};
    queue(tuple, wire::build_version_negotiation(hdr->dcid, hdr->scid, versions, r));
    return nullptr;
  }
  if (hdr->type != wire::PacketType::kInitial) return nullptr;
  if (data.size() < 1200 || hdr->dcid.size() < 8) return nullptr;   // RFC 9000 §14.1, §7.2
  if (conns_.size() >= cfg_.max_connections) return nullptr;
  // No state, no TLS session, before the Initial authenticates under the keys its DCID
  // gives (anyone can make those, but random junk costs only this check).
  if (bad_initial_sources_->blocked(now, tuple.remote)) {
    initials_filtered_++;
    return nullptr;
  }
  if (!initial_decrypts(data, *hdr)) {
    initials_dropped_++;
    bad_initial_sources_->on_failure(now, tuple.remote);
    return nullptr;
  }

  conn::ConnectionImpl::ServerParams sp;
  sp.original_dcid = hdr->dcid;
  sp.client_scid = hdr->scid;
  sp.initial_dcid = hdr->dcid;
  bool validated = false;
  // Retry when configured, and automatically while too many handshakes are in progress.
  bool want_retry = cfg_.require_retry || handshakes_in_progress() >= cfg_.max_handshakes_in_progress;
  std::optional<ConnectionId> odcid;
  if (!hdr->token.empty()) odcid = check_retry_token(now, tuple.remote, hdr->token);
  if (odcid) {
    // A retransmitted Initial reaches its connection by DCID; this token arriving again
    // for a new connection is a replay.
    if (token_already_used(now, hdr->token)) {
      initials_dropped_++;
      return nullptr;
    }
    sp.original_dcid = *odcid;
    sp.retry_scid = hdr->dcid;
    validated = true;
  } else if (!hdr->token.empty() && cfg_.require_retry) {
    initials_dropped_++;
    return nullptr;   // RFC 9000 §8.1.3: an invalid or expired Retry token is not answered
  } else if (want_retry) {
    send_retry(now, tuple, hdr->dcid, hdr->scid);
    return nullptr;
  }
  auto creds = server_credentials();
  if (!creds) return nullptr;
  sp.credentials = std::move(creds);
  auto impl = std::make_unique<conn::ConnectionImpl>(now, cfg_.connection, tuple, rng_, sp, reset_key_);
  if (!impl->init(now)) return nullptr;
  if (validated) impl->mark_address_validated();
  uint64_t h = next_handle_++;
  Connection* raw = impl.get();
  conns_[h] = Entry{std::move(impl), {}};
  handles_[raw] = h;
  // The client keeps using the DCID it chose until it learns ours.
  if (routes_.emplace(hdr->dcid, h).second) conns_[h].initial_route = hdr->dcid;
  add_routes(h);
  if (cfg_.on_new_connection) cfg_.on_new_connection(*raw, now);
  raw->handle_datagram(now, tuple, data, ecn);
  add_routes(h);
  accept_queue_.push_back(raw);
  handshaking_.push_back(h);
  return raw;
}

bool Endpoint::initial_decrypts(std::span<const uint8_t> datagram, const wire::ParsedHeader& hdr) const {
  auto keys = crypto::derive_initial_client_keys(hdr.dcid);
  std::vector<uint8_t> pkt(datagram.begin(), datagram.begin() + std::min(hdr.packet_length, datagram.size()));
  auto uh = crypto::remove_header_protection(*keys.hp, pkt, hdr.pn_offset);
  if (!uh) return false;
  uint64_t pn = wire::decode_packet_number(UINT64_MAX, uh->truncated_pn, uh->pn_len);
  return crypto::open_packet(*keys.aead, 0, pn, pkt, hdr.pn_offset + uh->pn_len).has_value();
}

size_t Endpoint::handshakes_in_progress() {
  // Only connections accepted since their handshake started are here, and at most the
  // budget of them: pruning as we go keeps this O(budget).
  std::erase_if(handshaking_, [&](uint64_t h) {
    auto it = conns_.find(h);
    return it == conns_.end() || it->second.conn->is_handshake_complete() || it->second.conn->is_draining();
  });
  return handshaking_.size();
}

void Endpoint::send_retry(TimePoint now, const PathTuple& tuple, const ConnectionId& dcid, const ConnectionId& scid) {
  if (!stateless_allowed(now)) return;
  // The client's next Initial goes to this CID: under QUIC-LB it routes back here.
  ConnectionId retry_scid;
  if (cfg_.connection.load_balancer && !retry_cids_) retry_cids_ = conn::QuicLbCodec::create(*cfg_.connection.load_balancer);
  if (retry_cids_) {
    retry_scid = retry_cids_->generate(rng_);
  } else {
    retry_scid.resize(cfg_.connection.connection_id_length);
    rng_.fill({retry_scid.data(), retry_scid.size()});
    conn::mark_cid_worker(retry_scid, cfg_.connection.cid_worker_index, cfg_.connection.cid_worker_count);
  }
  auto token = make_retry_token(now, tuple.remote, dcid);
  uint8_t r;
  rng_.fill({&r, 1});
  auto pkt = wire::build_retry_without_tag(kQuicVersion1, scid, retry_scid, token, r);
  auto tag = crypto::retry_integrity_tag(dcid, pkt);
  pkt.insert(pkt.end(), tag.begin(), tag.end());
  queue(tuple, std::move(pkt));
  retries_sent_++;
}

bool Endpoint::token_already_used(TimePoint now, std::span<const uint8_t> token) {
  // The token's MAC identifies it; tokens are valid for retry_token_lifetime, so a spent
  // one is remembered that long (at most retry_token_cache of them, oldest forgotten first).
  while (!used_token_order_.empty() &&
         (used_token_order_.front().first <= now || used_tokens_.size() >= cfg_.retry_token_cache)) {
    used_tokens_.erase(used_token_order_.front().second);
    used_token_order_.pop_front();
  }
  std::string mac(token.end() - std::min<size_t>(kTokenMacLen, token.size()), token.end());
  TimePoint expiry = now + cfg_.retry_token_lifetime;
  if (!used_tokens_.emplace(mac, expiry).second) return true;
  used_token_order_.emplace_back(expiry, std::move(mac));
  return false;
}

std::shared_ptr<const crypto::TlsCredentials> Endpoint::server_credentials() {
  if (!credentials_) {
    const auto& t = cfg_.connection.tls;
    auto c = crypto::TlsCredentials::load_server(t.cert_pem, t.key_pem, t.cert_file, t.key_file);
    if (c) credentials_ = std::move(*c);
  }
  return credentials_;
}

}  // namespace braid

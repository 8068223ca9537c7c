// Endpoint: demultiplexing by connection ID, server connection acceptance, Version
// Negotiation (RFC 9000 §6), Retry with HMAC-authenticated tokens (§8.1.2), and stateless
// resets for unknown short-header packets (§10.3).
#include "braid/endpoint.h"

#include <gnutls/crypto.h>

#include "core/conn/connection_impl.h"
#include "core/crypto/initial_secrets.h"
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

Endpoint::Endpoint(const EndpointConfig& cfg, Random& rng) : cfg_(cfg), rng_(rng) {
  rng_.fill(reset_key_);
  rng_.fill(token_key_);
}

Endpoint::~Endpoint() = default;

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
  for (auto& cid : e.conn->local_connection_ids()) {
    if (routes_.try_emplace(cid, handle).second) e.routes.push_back(cid);
  }
}

void Endpoint::refresh_routes(Connection* c) {
  auto h = handles_.find(c);
  if (h == handles_.end()) return;
  add_routes(h->second);
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

size_t Endpoint::collect_closed() {
  size_t n = 0;
  for (auto it = conns_.begin(); it != conns_.end();) {
    if (it->second.conn->is_closed()) {
      for (auto& cid : it->second.routes) routes_.erase(cid);
      handles_.erase(it->second.conn.get());
      std::erase(accept_queue_, it->second.conn.get());
      it = conns_.erase(it);
      n++;
    } else {
      ++it;
    }
  }
  return n;
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
    uint8_t r;
    rng_.fill({&r, 1});
    const uint32_t versions[] = {kQuicVersion1, 0x1a2a3a4a /* greased */};
    queue(tuple, wire::build_version_negotiation(hdr->dcid, hdr->scid, versions, r));
    return nullptr;
  }
  if (hdr->type != wire::PacketType::kInitial) return nullptr;
  if (data.size() < 1200 || hdr->dcid.size() < 8) return nullptr;   // RFC 9000 §14.1, §7.2
  if (conns_.size() >= cfg_.max_connections) return nullptr;

  conn::ConnectionImpl::ServerParams sp;
  sp.original_dcid = hdr->dcid;
  sp.client_scid = hdr->scid;
  sp.initial_dcid = hdr->dcid;
  bool validated = false;
  if (cfg_.require_retry) {
    if (hdr->token.empty()) {
      ConnectionId retry_scid;
      retry_scid.resize(cfg_.connection.connection_id_length);
      rng_.fill({retry_scid.data(), retry_scid.size()});
      auto token = make_retry_token(now, tuple.remote, hdr->dcid);
      uint8_t r;
      rng_.fill({&r, 1});
      auto pkt = wire::build_retry_without_tag(kQuicVersion1, hdr->scid, retry_scid, token, r);
      auto tag = crypto::retry_integrity_tag(hdr->dcid, pkt);
      pkt.insert(pkt.end(), tag.begin(), tag.end());
      queue(tuple, std::move(pkt));
      retries_sent_++;
      return nullptr;
    }
    auto odcid = check_retry_token(now, tuple.remote, hdr->token);
    if (!odcid) return nullptr;  // invalid or expired token: drop (RFC 9000 §8.1.3)
    sp.original_dcid = *odcid;
    sp.retry_scid = hdr->dcid;
    validated = true;
  }
  auto impl = std::make_unique<conn::ConnectionImpl>(now, cfg_.connection, tuple, rng_, sp, reset_key_);
  if (!impl->init(now)) return nullptr;
  if (validated) impl->mark_address_validated();
  uint64_t h = next_handle_++;
  Connection* raw = impl.get();
  conns_[h] = Entry{std::move(impl), {}};
  handles_[raw] = h;
  // The client keeps using the DCID it chose until it learns ours.
  if (routes_.emplace(hdr->dcid, h).second) conns_[h].routes.push_back(hdr->dcid);
  add_routes(h);
  if (cfg_.on_new_connection) cfg_.on_new_connection(*raw, now);
  raw->handle_datagram(now, tuple, data, ecn);
  add_routes(h);
  accept_queue_.push_back(raw);
  return raw;
}

}  // namespace braid

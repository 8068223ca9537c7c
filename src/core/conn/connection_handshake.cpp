// Handshake and keys: construction of client and server connections, transport
// parameters, the TLS glue (CRYPTO data in and out, secrets to packet keys), handshake
// completion and confirmation, key discard, and key update (RFC 9001 §4, §6).
#include <fmt/format.h>

#include "core/conn/connection_impl.h"
#include "core/crypto/initial_secrets.h"

namespace braid::conn {

namespace {
ConnectionId random_cid(Random& rng, size_t len) {
  ConnectionId c;
  c.resize(len);
  rng.fill({c.data(), len});
  return c;
}
}  // namespace

ConnectionImpl::ConnectionImpl(TimePoint now, const ConnectionConfig& cfg, const PathTuple& tuple,
                               Random& rng)
    : cfg_(cfg), rng_(rng), perspective_(Perspective::kClient), cids_(random_cid_hash(rng)),
      streams_(Perspective::kClient), created_(now) {
  rng_.fill(reset_key_);
  rng_.fill(datagram_hash_key_);
  original_dcid_ = random_cid(rng_, 8);
  initial_dcid_ = original_dcid_;
  auto scid = random_cid(rng_, cfg_.connection_id_length);
  cids_.initial_scid = scid;
  cids_.local.issue(0, scid, reset_token_for(scid), true, true);   // known to the peer from the handshake
  cids_.remote(0).cids[0] = RemoteCid{original_dcid_, {}, false, true};
  auto p = make_initial_path(tuple, original_dcid_);
  p->address_validated = true;   // amplification limits bind servers only
  p->validation = path::ValidationState::kValidated;
  paths_.add(std::move(p));
  auto keys = crypto::derive_initial_keys(initial_dcid_);
  keys_.levels[0].write = std::move(keys.client);
  keys_.levels[0].read = std::move(keys.server);
  streams_.conn_recv_window.emplace(cfg_.initial_max_data, std::max(cfg_.max_connection_window, cfg_.initial_max_data));
  streams_.pool.limit = static_cast<size_t>(cfg_.max_send_buffer_per_connection);
  streams_.pieces.limit = cfg_.max_reassembly_pieces;
  streams_.bidi.local_max = cfg_.initial_max_streams_bidi;
  streams_.uni.local_max = cfg_.initial_max_streams_uni;
}

ConnectionImpl::ConnectionImpl(TimePoint now, const ConnectionConfig& cfg, const PathTuple& tuple,
                               Random& rng, const ServerParams& sp, std::array<uint8_t, 32> reset_key)
    : cfg_(cfg), rng_(rng), perspective_(Perspective::kServer), reset_key_(reset_key),
      cids_(random_cid_hash(rng)), streams_(Perspective::kServer), created_(now) {
  rng_.fill(datagram_hash_key_);
  original_dcid_ = sp.original_dcid;
  initial_dcid_ = sp.initial_dcid;
  server_credentials_ = sp.credentials;
  retry_scid_ = sp.retry_scid;
  peer_initial_scid_ = sp.client_scid;
  peer_scid_known_ = true;
  auto scid = new_local_cid();
  cids_.initial_scid = scid;
  cids_.local.issue(0, scid, reset_token_for(scid), true, true);   // known to the peer from the handshake
  if (cfg_.preferred_address) {
    // The preferred address comes with its own CID: sequence 1 of path 0.
    auto pcid = new_local_cid();
    cids_.local.issue(0, pcid, reset_token_for(pcid), true, true);
  }
  cids_.remote(0).cids[0] = RemoteCid{sp.client_scid, {}, false, true};
  auto p = make_initial_path(tuple, sp.client_scid);
  p->validation = path::ValidationState::kValidating;
  paths_.add(std::move(p));
  auto keys = crypto::derive_initial_keys(initial_dcid_);
  keys_.levels[0].write = std::move(keys.server);
  keys_.levels[0].read = std::move(keys.client);
  streams_.conn_recv_window.emplace(cfg_.initial_max_data, std::max(cfg_.max_connection_window, cfg_.initial_max_data));
  streams_.pool.limit = static_cast<size_t>(cfg_.max_send_buffer_per_connection);
  streams_.pieces.limit = cfg_.max_reassembly_pieces;
  streams_.bidi.local_max = cfg_.initial_max_streams_bidi;
  streams_.uni.local_max = cfg_.initial_max_streams_uni;
}

ConnectionImpl::~ConnectionImpl() = default;

std::vector<uint8_t> ConnectionImpl::local_transport_params() const {
  wire::TransportParameters tp;
  tp.max_idle_timeout_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.idle_timeout).count());
  tp.max_udp_payload_size = cfg_.max_udp_payload_size;
  tp.initial_max_data = cfg_.initial_max_data;
  tp.initial_max_stream_data_bidi_local = cfg_.initial_max_stream_data;
  tp.initial_max_stream_data_bidi_remote = cfg_.initial_max_stream_data;
  tp.initial_max_stream_data_uni = cfg_.initial_max_stream_data;
  tp.initial_max_streams_bidi = cfg_.initial_max_streams_bidi;
  tp.initial_max_streams_uni = cfg_.initial_max_streams_uni;
  tp.ack_delay_exponent = cfg_.ack_delay_exponent;
  tp.max_ack_delay_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.max_ack_delay).count());
  tp.disable_active_migration = cfg_.disable_active_migration;
  tp.active_connection_id_limit = cfg_.active_connection_id_limit;
  tp.initial_source_connection_id = cids_.initial_scid;
  if (cfg_.max_datagram_frame_size > 0) tp.max_datagram_frame_size = cfg_.max_datagram_frame_size;
  if (cfg_.ack_frequency) tp.min_ack_delay_us = static_cast<uint64_t>(to_us(cfg_.min_ack_delay));
  if (cfg_.initial_max_path_id > 0) tp.initial_max_path_id = cfg_.initial_max_path_id;
  // Address advertisement: a server that has addresses to tell (it takes none, 0), a client
  // that accepts them (how many).
  if (perspective_ == Perspective::kServer && !cfg_.advertise_addresses.empty()) tp.address_advertisement = 0;
  if (perspective_ == Perspective::kClient && cfg_.accept_advertised_addresses > 0) {
    tp.address_advertisement = cfg_.accept_advertised_addresses;
  }
  if (perspective_ == Perspective::kServer) {
    tp.original_destination_connection_id = original_dcid_;
    tp.retry_source_connection_id = retry_scid_;
    if (auto* c0 = cids_.local.find(0, 0)) tp.stateless_reset_token = c0->token;
    if (auto* c1 = cids_.local.find(0, 1); cfg_.preferred_address && c1) {
      wire::PreferredAddress pa;
      const auto& a = *cfg_.preferred_address;
      if (a.family == SocketAddress::Family::kV4) {
        std::copy(a.ip.begin(), a.ip.begin() + 4, pa.ipv4.begin());
        pa.ipv4_port = a.port;
      } else {
        pa.ipv6 = a.ip;
        pa.ipv6_port = a.port;
      }
      pa.cid = c1->cid;
      pa.reset_token = c1->token;
      tp.preferred_address = pa;
    }
  }
  return tp.encode();
}

Status ConnectionImpl::init(TimePoint now) {
  if (auto ok = check_connection_config(cfg_); !ok) return fail(TransportErrorCode::kInternalError, ok.error());
  scheduler_ = std::move(*make_path_scheduler(cfg_.scheduler));
  crypto::TlsConfig tc;
  tc.perspective = perspective_;
  tc.alpn = cfg_.tls.alpn;
  tc.server_name = cfg_.tls.server_name;
  tc.cert_pem = cfg_.tls.cert_pem;
  tc.key_pem = cfg_.tls.key_pem;
  tc.cert_file = cfg_.tls.cert_file;
  tc.key_file = cfg_.tls.key_file;
  tc.ca_file = cfg_.tls.ca_file;
  tc.insecure = cfg_.tls.insecure;
  tc.keylog = cfg_.tls.keylog;
  tc.server_credentials = server_credentials_;
  auto tls = crypto::TlsSession::create(tc, tp_override_ ? *tp_override_ : local_transport_params());
  if (!tls) return std::unexpected(tls.error());
  tls_ = std::move(*tls);
  reset_idle_timer(now);
  if (perspective_ == Perspective::kClient) {
    if (auto st = tls_->start(); !st) return st;
    drive_tls(now);
  }
  if (qlog_) {
    qlog_->connection_started(now, primary_path().tuple.local, primary_path().tuple.remote,
                              cids_.initial_scid, primary_path().remote_cid);
  }
  return {};
}

void ConnectionImpl::drive_tls(TimePoint now) {
  while (auto sec = tls_->poll_secret()) install_secret(now, *sec);
  while (auto out = tls_->poll_output()) {
    if (out->first == EncryptionLevel::kEarlyData) continue;
    keys_.levels[level_index(out->first)].send.write(out->second);
  }
  if (!peer_params_applied_ && tls_->peer_transport_params().has_value()) {
    peer_params_applied_ = true;
    if (auto st = apply_peer_transport_params(now, *tls_->peer_transport_params()); !st) {
      close_with_error(now, st.error());
      return;
    }
  }
  if (!handshake_complete_ && tls_->handshake_complete()) on_handshake_complete(now);
}

void ConnectionImpl::install_secret(TimePoint now, const crypto::SecretEvent& ev) {
  (void)now;
  if (ev.level == EncryptionLevel::kHandshake) {
    auto& l = keys_.levels[1];
    if (!ev.read_secret.empty()) l.read = crypto::derive_keys(ev.suite, ev.read_secret);
    if (!ev.write_secret.empty()) l.write = crypto::derive_keys(ev.suite, ev.write_secret);
    return;
  }
  if (ev.level != EncryptionLevel::kApplication) return;
  if (!keys_.app) {
    keys_.app.emplace();
    keys_.app->suite = ev.suite;
  }
  auto& k = *keys_.app;
  if (!ev.read_secret.empty()) {
    k.read = crypto::derive_keys(ev.suite, ev.read_secret);
    k.read_hp = std::move(k.read.hp);
    k.read_next = crypto::derive_next_generation(k.read);
  }
  if (!ev.write_secret.empty()) {
    k.write = crypto::derive_keys(ev.suite, ev.write_secret);
    k.write_hp = std::move(k.write.hp);
  }
  // Retry decryption of 1-RTT packets that arrived before the keys.
}

Status ConnectionImpl::apply_peer_transport_params(TimePoint now, std::span<const uint8_t> raw) {
  Perspective sender = perspective_ == Perspective::kClient ? Perspective::kServer : Perspective::kClient;
  auto tp = wire::TransportParameters::decode(raw, sender);
  if (!tp) return std::unexpected(tp.error());
  auto& p = *tp;
  // RFC 9000 §7.3: authenticate the connection IDs used during the handshake.
  if (!p.initial_source_connection_id || !(*p.initial_source_connection_id == peer_initial_scid_)) {
    return fail(TransportErrorCode::kTransportParameterError, "initial_source_connection_id mismatch");
  }
  if (perspective_ == Perspective::kClient) {
    if (!p.original_destination_connection_id || !(*p.original_destination_connection_id == original_dcid_)) {
      return fail(TransportErrorCode::kTransportParameterError, "original_destination_connection_id mismatch");
    }
    if (retry_received_) {
      if (!p.retry_source_connection_id || !retry_scid_ || !(*p.retry_source_connection_id == *retry_scid_)) {
        return fail(TransportErrorCode::kTransportParameterError, "retry_source_connection_id mismatch");
      }
    } else if (p.retry_source_connection_id) {
      return fail(TransportErrorCode::kTransportParameterError, "unexpected retry_source_connection_id");
    }
    if (p.stateless_reset_token) {
      cids_.remote(0).cids[0].token = *p.stateless_reset_token;
      cids_.remote(0).cids[0].has_token = true;
    }
    if (p.preferred_address && !cfg_.ignore_preferred_address) {
      // Use the address of our own family (RFC 9000 §9.6.1); its CID is sequence 1.
      const auto& pa = *p.preferred_address;
      const auto& here = primary_path().tuple.remote;
      SocketAddress target;
      if (here.family == SocketAddress::Family::kV4 && pa.ipv4_port != 0) {
        target = SocketAddress::v4(pa.ipv4[0], pa.ipv4[1], pa.ipv4[2], pa.ipv4[3], pa.ipv4_port);
      } else if (here.family == SocketAddress::Family::kV6 && pa.ipv6_port != 0) {
        target.family = SocketAddress::Family::kV6;
        target.ip = pa.ipv6;
        target.port = pa.ipv6_port;
      }
      if (target.valid()) {
        peer_preferred_address_ = target;
        cids_.remote(0).cids[1] = RemoteCid{pa.cid, pa.reset_token, true, false};
      }
    }
  }
  peer_params_ = p;
  negotiate_address_advertisement(p);
  negotiate_ack_frequency(p);
  streams_.conn_send_limit.update(p.initial_max_data);
  streams_.bidi.peer_max = p.initial_max_streams_bidi;
  streams_.uni.peer_max = p.initial_max_streams_uni;
  for (auto& [id, s] : streams_) {
    if (!s.send) continue;
    bool bidi = (id & 2) == 0;
    s.send_limit.update(bidi ? p.initial_max_stream_data_bidi_remote : p.initial_max_stream_data_uni);
    if (s.send->has_pending()) streams_.queue_send(s);
  }
  for (auto& [id, path] : paths_) {
    path->app.acks.set_max_ack_delay(cfg_.max_ack_delay);
    uint64_t cap = std::max<uint64_t>(1200, p.max_udp_payload_size);
    if (path->mtu > cap) path->mtu = cap;
    uint64_t target = std::min<uint64_t>(cap, cfg_.max_udp_payload_size);
    path->pmtu_target = target > path->mtu ? target : 0;
  }
  if (p.initial_max_path_id && cfg_.initial_max_path_id > 0) {
    // Multipath needs non-zero-length CIDs on both sides (draft §2.1).
    if (peer_initial_scid_.empty() || cfg_.connection_id_length == 0) {
      return fail(TransportErrorCode::kProtocolViolation, "multipath with a zero-length connection ID");
    }
    paths_.multipath = true;
    paths_.local_max_id = static_cast<PathId>(cfg_.initial_max_path_id);
    paths_.peer_max_id = static_cast<PathId>(*p.initial_max_path_id);
  }
  if (qlog_) qlog_->parameters_set(now, "remote", p);
  reset_idle_timer(now);
  return {};
}

void ConnectionImpl::on_handshake_complete(TimePoint now) {
  handshake_complete_ = true;
  state_ = ConnState::kEstablished;
  if (auto* p0 = find_path(0)) {
    set_path_state(now, *p0, PathState::kValidated);
    set_path_state(now, *p0, PathState::kActive);
  }
  if (qlog_) qlog_->connection_state_updated(now, "handshake_complete");
  emit({ConnectionEventType::kHandshakeCompleted});
  if (perspective_ == Perspective::kServer) {
    pending_.handshake_done = true;
    queue_address_advertisements();
    on_handshake_confirmed(now);
  }
}

void ConnectionImpl::on_handshake_confirmed(TimePoint now) {
  if (handshake_confirmed_) return;
  handshake_confirmed_ = true;
  if (qlog_) qlog_->connection_state_updated(now, "handshake_confirmed");
  discard_level(now, EncryptionLevel::kHandshake);
  issue_connection_ids();
  if (perspective_ == Perspective::kClient && peer_preferred_address_) move_to_preferred_address(now);
}

void ConnectionImpl::discard_level(TimePoint now, EncryptionLevel level) {
  (void)now;
  size_t idx = level_index(level);
  auto& l = keys_.levels[idx];
  if (l.discarded) return;
  l.discarded = true;
  l.read.reset();
  l.write.reset();
  auto& space = level == EncryptionLevel::kInitial ? initial_space_ : handshake_space_;
  auto dropped = space.sent.take_all();  // their bytes leave the congestion window unacked
  (void)dropped;
  space.probes_owed = 0;
  primary_path().pto_count = 0;
}

Status ConnectionImpl::process_crypto_frame(TimePoint now, EncryptionLevel level, const wire::CryptoFrame& f) {
  auto& l = keys_.levels[level_index(level)];
  if (auto st = l.recv.insert(f.offset, f.data, false); !st) {
    if (st.error().code == static_cast<uint64_t>(TransportErrorCode::kCryptoBufferExceeded)) return st;
    return fail(TransportErrorCode::kCryptoBufferExceeded, "crypto data beyond buffer", 0x06);
  }
  if (level == EncryptionLevel::kApplication) {
    // Post-handshake messages (session tickets): hand them to TLS, ignore failures of
    // optional messages rather than tearing down a working connection.
  }
  while (l.recv.readable() > 0) {
    auto chunk = l.recv.peek();
    std::vector<uint8_t> bytes(chunk.begin(), chunk.end());
    l.recv.consume(chunk.size());
    if (auto st = tls_->provide_data(level, bytes); !st) return st;
  }
  drive_tls(now);
  return {};
}

void ConnectionImpl::maybe_auto_key_update(TimePoint now) {
  if (!keys_.app || !handshake_confirmed_) return;
  auto& k = *keys_.app;
  uint64_t limit = k.write.aead ? k.write.aead->confidentiality_limit() : UINT64_MAX;
  bool near_limit = k.packets_protected + 1000 >= limit;
  bool interval = cfg_.key_update_interval_packets > 0 && k.packets_protected >= cfg_.key_update_interval_packets;
  if ((near_limit || interval) && k.current_phase_acked && now >= k.next_update_allowed) do_key_update(now, true);
}

ApiStatus ConnectionImpl::initiate_key_update(TimePoint now) {
  if (is_draining()) return api_fail(ApiErrorCode::kClosed, "connection is closing");
  if (!handshake_confirmed_ || !keys_.app) {
    return api_fail(ApiErrorCode::kNotReady, "key update before handshake confirmation");
  }
  if (!keys_.app->current_phase_acked) {
    return api_fail(ApiErrorCode::kNotReady, "previous key update not yet acknowledged");
  }
  if (keys_.app->generation > 0 && now < keys_.app->next_update_allowed) {
    return api_fail(ApiErrorCode::kNotReady, "too soon after the previous key update");
  }
  do_key_update(now, true);
  return {};
}

void ConnectionImpl::do_key_update(TimePoint now, bool initiated_locally) {
  auto& k = *keys_.app;
  // New write keys; read keys rotate: current becomes previous, next becomes current.
  k.write = crypto::derive_next_generation(k.write);
  if (initiated_locally) {
    k.read_prev = std::move(k.read);
    k.read = std::move(*k.read_next);
    k.read_next = crypto::derive_next_generation(k.read);
    k.read_phase_start_pn = UINT64_MAX;  // the peer has not answered in the new phase yet
  }
  k.key_phase = !k.key_phase;
  k.generation++;
  k.packets_protected = 0;
  k.current_phase_acked = false;
  k.first_pn_current_phase = primary_path().app.sent.next_packet_number();
  // Old read keys stay for three PTOs to decrypt reordered packets (RFC 9001 §6.5).
  k.prev_discard_time = now + 3 * largest_pto();
  stats_.key_updates++;
  if (qlog_) qlog_->key_updated(now, "1RTT", k.generation, initiated_locally ? "local_update" : "remote_update");
  emit({ConnectionEventType::kKeyUpdated});
}

void ConnectionImpl::inject_raw_frame_for_testing(EncryptionLevel level, std::vector<uint8_t> bytes) {
  size_t idx = level == EncryptionLevel::kInitial ? 0 : level == EncryptionLevel::kHandshake ? 1 : 2;
  injected_frames_[idx].push_back(std::move(bytes));
}

}  // namespace braid::conn

namespace braid {
std::string Connection::qlog_file_name() const {
  return qlog::qlog_file_name(original_dcid().hex(), perspective() == Perspective::kServer);
}
}  // namespace braid

namespace braid::conn {

void ConnectionImpl::set_qlog_sink(std::function<void(std::string_view)> sink, TimePoint reference_time) {
  qlog_ = std::make_unique<qlog::QlogWriter>(std::move(sink), perspective_ == Perspective::kServer, reference_time,
                                             original_dcid_.hex());
  auto& p = primary_path();
  qlog_->connection_started(reference_time, p.tuple.local, p.tuple.remote, cids_.initial_scid, p.remote_cid);
  wire::TransportParameters mine;
  if (auto d = wire::TransportParameters::decode(local_transport_params(), perspective_)) mine = *d;
  qlog_->parameters_set(reference_time, "local", mine);
}

std::string ConnectionImpl::alpn() const { return tls_ ? tls_->negotiated_alpn() : std::string(); }

}  // namespace braid::conn

namespace braid {
Result<std::unique_ptr<Connection>> Connection::connect(TimePoint now, const ConnectionConfig& cfg,
                                                        const PathTuple& tuple, Random& rng) {
  auto c = std::make_unique<conn::ConnectionImpl>(now, cfg, tuple, rng);
  if (auto st = c->init(now); !st) return std::unexpected(st.error());
  return std::unique_ptr<Connection>(std::move(c));
}

}  // namespace braid

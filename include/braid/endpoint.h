// A QUIC endpoint as a sans-IO demultiplexer: routes datagrams to connections by
// connection ID, accepts new server connections, and answers what no connection owns
// with Version Negotiation, Retry or a stateless reset.
//
// Call order: handle_datagram() for each received datagram; then poll_stateless() until
// empty and drive each connection (see connection.h); accept() yields new server
// connections; collect_closed() frees connections that reached is_closed().
#pragma once
#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "braid/connection.h"

namespace braid {
namespace conn {
class QuicLbCodec;
}
namespace crypto {
class TlsCredentials;
}
namespace wire {
struct ParsedHeader;
}

struct EndpointConfig {
  ConnectionConfig connection;            // template for accepted connections
  bool accept_connections = true;         // false: a client-only endpoint
  bool require_retry = false;             // validate client addresses with Retry first
  Duration retry_token_lifetime = std::chrono::seconds(10);
  size_t max_connections = 4096;
  // Handshakes in progress (connections not yet past the handshake) beyond which a new
  // client without a Retry token gets a Retry instead of state: a flood of Initials from
  // spoofed addresses then costs one stateless reply each (RFC 9000 §8.1.2).
  size_t max_handshakes_in_progress = 128;
  // Retry tokens accepted once each; this many are remembered until they expire.
  size_t retry_token_cache = 65536;
  // Stateless replies (Version Negotiation, stateless reset, Retry) per second at most;
  // each is also smaller than what triggered it, so the server never amplifies.
  double max_stateless_replies_per_second = 2000;
  // A source address sending more undecryptable Initials than this per second is ignored
  // for `bad_initial_penalty` (no key derivation for its packets): 0 disables this.
  uint32_t max_bad_initials_per_source = 100;
  Duration bad_initial_penalty = std::chrono::seconds(2);
  // Called for each accepted connection before its first packet is processed (qlog setup).
  std::function<void(Connection&, TimePoint)> on_new_connection;
};

class InitialSourceFilter;

struct StatelessTransmit {
  PathTuple tuple;
  size_t length = 0;
};

class Endpoint {
 public:
  Endpoint(const EndpointConfig& cfg, Random& rng);
  ~Endpoint();

  // Returns the connection the datagram went to (possibly a new one), or nullptr.
  Connection* handle_datagram(TimePoint now, const PathTuple& tuple, std::span<uint8_t> data, uint8_t ecn);
  std::optional<StatelessTransmit> poll_stateless(std::span<uint8_t> buf);
  // New server connections, once each.
  Connection* accept();
  // Starts a client connection owned by this endpoint (datagrams for it are routed here).
  Result<Connection*> connect(TimePoint now, const ConnectionConfig& cfg, const PathTuple& tuple);
  // Brings CID routes up to date after a connection issued or retired IDs.
  void refresh_routes(Connection* c);
  // Destroys closed connections; returns how many. O(connections): drivers that know which
  // connection closed use remove().
  size_t collect_closed();
  // Destroys one connection (closed or not) and its routes.
  void remove(Connection* c);
  std::vector<Connection*> connections() const;
  size_t connection_count() const { return conns_.size(); }
  // Connection IDs routed to connections (bounded by their active IDs).
  size_t route_count() const { return routes_.size(); }
  uint64_t stateless_resets_sent() const { return resets_sent_; }
  uint64_t retries_sent() const { return retries_sent_; }
  // Initials dropped before any state: undecryptable, or a Retry token reused or invalid.
  uint64_t initials_dropped() const { return initials_dropped_; }
  // Initials dropped unread because their source sent too many undecryptable ones.
  uint64_t initials_filtered() const { return initials_filtered_; }
  // Stateless replies not sent because their rate limit was reached.
  uint64_t stateless_replies_suppressed() const { return stateless_suppressed_; }
  size_t handshakes_in_progress();
  // The template for connections accepted from now on (e.g. a preferred address known
  // only once its socket is bound).
  const ConnectionConfig& connection_config() const { return cfg_.connection; }
  void set_connection_config(const ConnectionConfig& c);

 private:
  struct Entry {
    std::unique_ptr<Connection> conn;
    std::vector<ConnectionId> routes;              // sorted: the connection's routable IDs
    std::optional<ConnectionId> initial_route;     // the client's first DCID, until close
    uint64_t routed_version = 0;   // Connection::local_connection_ids_version() last routed
  };
  Entry* route(const ConnectionId& cid);
  void add_routes(uint64_t handle);
  std::vector<uint8_t> make_retry_token(TimePoint now, const SocketAddress& client, const ConnectionId& odcid);
  std::optional<ConnectionId> check_retry_token(TimePoint now, const SocketAddress& client,
                                                std::span<const uint8_t> token);
  void queue(const PathTuple& t, std::vector<uint8_t> bytes);
  bool stateless_allowed(TimePoint now);   // takes a token from the reply budget
  bool initial_decrypts(std::span<const uint8_t> datagram, const wire::ParsedHeader& hdr) const;
  void send_retry(TimePoint now, const PathTuple& tuple, const ConnectionId& dcid, const ConnectionId& scid);
  bool token_already_used(TimePoint now, std::span<const uint8_t> token);
  std::shared_ptr<const crypto::TlsCredentials> server_credentials();

  EndpointConfig cfg_;
  Random& rng_;
  std::array<uint8_t, 32> reset_key_{};
  std::array<uint8_t, 32> token_key_{};
  std::map<uint64_t, Entry> conns_;
  // Keyed by a random per-endpoint SipHash key: clients choose the bytes (hash flooding).
  std::unordered_map<ConnectionId, uint64_t, KeyedConnectionIdHash> routes_;
  std::map<const Connection*, uint64_t> handles_;
  std::vector<Connection*> accept_queue_;
  std::vector<std::pair<PathTuple, std::vector<uint8_t>>> stateless_out_;
  uint64_t next_handle_ = 1;
  uint64_t resets_sent_ = 0, retries_sent_ = 0, initials_dropped_ = 0;
  uint64_t stateless_suppressed_ = 0, initials_filtered_ = 0;
  std::unique_ptr<InitialSourceFilter> bad_initial_sources_;
  double stateless_tokens_ = 0;               // token bucket for stateless replies
  TimePoint stateless_refill_{};
  std::vector<uint64_t> handshaking_;                      // handles still in their handshake
  std::unordered_map<std::string, TimePoint> used_tokens_; // MAC of a spent Retry token -> expiry
  std::deque<std::pair<TimePoint, std::string>> used_token_order_;
  std::shared_ptr<const crypto::TlsCredentials> credentials_;
  std::unique_ptr<conn::QuicLbCodec> retry_cids_;   // QUIC-LB: made on the first Retry
};

}  // namespace braid

// Runs a sans-IO braid::Endpoint and its connections on real UDP sockets inside an
// EventLoop: batched receive (recvmmsg + GRO) into the endpoint, GSO trains out of
// poll_transmit into sendmmsg, EPOLLOUT back-pressure, and one loop timer at the earliest
// poll_timeout() of all connections.
//
// Multipath: one socket per local address (add_socket). Each Transmit leaves from the
// socket whose bound address equals its tuple.local, so every path keeps its own source
// address, port, route, GSO and GRO; datagrams read from a socket carry that socket's
// address as the local half of the tuple. A socket bound to a wildcard sends with PKTINFO.
// Why a socket per address rather than one wildcard socket with PKTINFO send-from: each path
// gets its own port (so NATs and the peer see distinct 4-tuples even for one IP), its own
// send buffer and EPOLLOUT back-pressure, GSO trains never mix source addresses, and a
// wildcard socket would also receive traffic meant for other sockets on that port.
// SocketMode::kSharedPktinfo is the other choice, for hosts with many addresses or where
// binding each one is unwanted: one wildcard socket per family, every address shares its
// port, each datagram's source comes from the Transmit's tuple.local as an IP(V6)_PKTINFO
// cmsg, and the local half of a received tuple from the PKTINFO the kernel reports. Adding
// or removing an address then costs no socket at all.
//
// Addresses come and go (remove_socket): a removed socket is closed at once and datagrams
// still queued for it are dropped (loss recovery resends them on the remaining paths).
//
// Single-threaded: every method runs on the loop thread (see LoopThread for a thread-safe
// handle). Application logic lives in DriverCallbacks; after the application changes a
// connection outside a callback (opens a stream, writes, closes), it calls service(conn).
#pragma once
#include <cstdint>
#include <cstdio>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <queue>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "braid/connection.h"
#include "braid/endpoint.h"
#include "io/event_loop.h"
#include "io/udp_socket.h"

namespace braid::io {

struct DriverCallbacks {
  // A connection joined: accepted by the server side, or created by connect().
  std::function<void(Connection&)> on_connection;
  // Every event from poll_event(), in order.
  std::function<void(Connection&, const ConnectionEvent&)> on_event;
  // After a round of input and events for this connection, before its output is drained:
  // the place to top up stream writes.
  std::function<void(Connection&)> on_service;
  // The connection reached is_closed() and is about to be destroyed.
  std::function<void(Connection&)> on_closed;
};

struct DriverCounters {
  uint64_t rounds = 0;             // receive or timer rounds
  uint64_t transmits = 0;          // poll_transmit results (one GSO train counts once)
  uint64_t gso_transmits = 0;      // results with segment_size > 0
  uint64_t write_blocked = 0;      // times the socket buffer filled (EAGAIN)
  uint64_t timer_fires = 0;
  uint64_t memory_trims = 0;       // malloc_trim calls after connections closed
  uint64_t memory_trim_us = 0;     // time they took in all
};

// How local addresses map to sockets (see the header comment).
enum class SocketMode : uint8_t {
  kPerAddress,     // one socket bound to each address (add_socket binds)
  kSharedPktinfo,  // one wildcard socket per family; the source address chosen per packet
};
const char* socket_mode_name(SocketMode m);
std::optional<SocketMode> parse_socket_mode(std::string_view text);  // "per-address", "pktinfo"

struct EndpointDriverOptions {
  SocketAddress bind;                   // port 0 picks one; see local_address()
  SocketMode socket_mode = SocketMode::kPerAddress;
  UdpSocketOptions socket;
  EndpointConfig endpoint;              // accept_connections=false for a client
  size_t max_segments = UdpSocket::kMaxGsoSegments;  // per GSO train
  size_t receive_messages = 32;         // recvmmsg batch (64 KiB GRO buffers each)
  size_t receive_batches_per_round = 4; // reads before the output is drained again
  // Directory for per-connection qlog traces (<odcid>_<client|server>.sqlog); empty: none.
  std::string qlog_dir;
  // After connections close, free heap pages go back to the kernel (malloc_trim) at most
  // this often; zero turns it off. glibc keeps freed memory otherwise, so a server's RSS
  // would stay at its peak after a burst.
  Duration return_memory_interval = std::chrono::seconds(1);
};

class EndpointDriver {
 public:
  static std::expected<std::unique_ptr<EndpointDriver>, std::string> create(EventLoop& loop, Random& rng,
                                                                            EndpointDriverOptions options,
                                                                            DriverCallbacks callbacks);
  ~EndpointDriver();
  EndpointDriver(const EndpointDriver&) = delete;
  EndpointDriver& operator=(const EndpointDriver&) = delete;

  // Starts a client connection to `remote` from the first socket's address.
  Result<Connection*> connect(const ConnectionConfig& cfg, const SocketAddress& remote);
  // Binds one more UDP socket (port 0 picks one) and watches it; returns its bound address,
  // the `local` to pass to Connection::open_path. An address already bound returns that
  // socket's address.
  // In kSharedPktinfo mode no socket is bound: the address joins the family's wildcard
  // socket (opened on first use) and shares its port; a different non-zero port is refused.
  std::expected<SocketAddress, std::string> add_socket(const SocketAddress& bind);
  // Stops using local address `local` (as add_socket returned it; port 0 matches any port
  // of that IP): its socket is closed, or in kSharedPktinfo mode the address is forgotten.
  // Paths from it should be closed first. The first address stays for the endpoint's life.
  std::expected<void, std::string> remove_socket(const SocketAddress& local);
  // Server address advertisement: a socket on each of `addresses` (port 0 picks one; a
  // wildcard is refused, clients are told to send there), and the bound addresses become
  // the endpoint's ConnectionConfig::advertise_addresses, checked. Returns them. On error
  // the endpoint's configuration is unchanged.
  std::expected<std::vector<SocketAddress>, std::string> bind_advertised_addresses(
      const std::vector<SocketAddress>& addresses);
  // Local addresses in use, the first one first.
  std::vector<SocketAddress> local_addresses() const;
  SocketMode socket_mode() const { return opts_.socket_mode; }
  // Delivers pending events, drains output and re-arms the timer after the application
  // changed `c` from outside a callback. Safe to call from inside callbacks (no-op there).
  void service(Connection& c);
  // Closes every connection with an application error code (graceful CONNECTION_CLOSE).
  void close_all(uint64_t app_error, const std::string& reason);
  // True while `c` is still alive in this driver (handles may outlive connections).
  bool alive(const Connection* c) const;
  uint64_t id_of(const Connection* c) const;
  Connection* find(uint64_t id) const;

  EventLoop& loop() { return loop_; }
  Endpoint& endpoint() { return *endpoint_; }
  const UdpSocket& socket() const { return *sockets_.front(); }  // the first socket
  const SocketAddress& local_address() const { return primary_; }
  // Counters of every socket added together.
  UdpSocketCounters socket_counters() const;
  const DriverCounters& counters() const { return counters_; }
  size_t connection_count() const { return endpoint_->connection_count(); }

  // The local address the kernel would use to reach `remote` (connect + getsockname on a
  // throwaway socket), with port 0. Lets a client bind a concrete address instead of a
  // wildcard so its path tuple matches what PKTINFO reports.
  static std::optional<SocketAddress> source_address_for(const SocketAddress& remote);

 private:
  EndpointDriver(EventLoop& loop, Random& rng, EndpointDriverOptions options, DriverCallbacks callbacks,
                 UdpSocket socket);
  std::expected<void, std::string> watch(size_t index);
  size_t socket_for(const SocketAddress& local) const;
  void queue(OutgoingDatagram d, size_t socket_index);
  void on_readable(size_t index);
  void on_writable(size_t index);
  void on_timer();
  void add_connection(Connection* c);
  void mark(Connection* c);
  void process_marked(TimePoint now);
  void deliver_events(Connection& c);
  void drain_output(Connection& c, TimePoint now);
  void drain_stateless();
  bool flush_socket();            // false: the socket is full, waiting for EPOLLOUT
  uint8_t* next_buffer();         // nullptr when every buffer is queued and the socket is full
  void reap_closed();
  void schedule_memory_trim();
  void rearm_timer();
  void schedule(Connection& c);   // (re)files c's poll_timeout() in the timer heap
  void open_qlog(Connection& c, TimePoint now);

  EventLoop& loop_;
  Random& rng_;
  EndpointDriverOptions opts_;
  DriverCallbacks cb_;
  // Slots keep their index for the fd callbacks and queued datagrams; a removed socket
  // leaves nullptr. Index 0 (from options.bind) is never removed.
  std::vector<std::unique_ptr<UdpSocket>> sockets_;
  SocketAddress primary_;                            // local_address()
  std::vector<SocketAddress> shared_addresses_;      // kSharedPktinfo: added addresses
  UdpSocketCounters removed_counters_;               // of sockets already closed
  static constexpr size_t kDroppedSocket = SIZE_MAX; // queued_socket_ of a removed socket's data
  std::unique_ptr<Endpoint> endpoint_;
  ReceiveBatch batch_;

  // Output staging: fixed GSO buffers, queued as OutgoingDatagrams until sendmmsg takes them.
  static constexpr size_t kSendBuffers = 32;
  static constexpr size_t kSendBufferBytes = 65536;
  std::vector<uint8_t> send_storage_;
  std::vector<OutgoingDatagram> queued_;
  std::vector<size_t> queued_socket_;        // socket index of each queued_ entry
  size_t queued_head_ = 0;
  bool write_blocked_ = false;
  size_t blocked_socket_ = 0;                // the socket EPOLLOUT is armed on
  std::vector<Connection*> blocked_conns_;   // had more to send when the socket filled
  EventLoop::TimerId trim_timer_ = EventLoop::kNoTimer;
  TimePoint last_trim_{};

  std::vector<Connection*> marked_;          // need events + output this round
  std::unordered_set<Connection*> marked_set_;
  std::vector<Connection*> closed_;          // reached is_closed() this round
  // Timer heap: one live entry per connection (its deadlines_ value); superseded entries
  // are skipped when they surface. A round costs O(active), not O(connections).
  struct TimerEntry {
    TimePoint at;
    uint64_t id;
    bool operator>(const TimerEntry& o) const { return at > o.at; }
  };
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers_;
  std::unordered_map<uint64_t, TimePoint> deadlines_;
  std::unordered_map<const Connection*, uint64_t> ids_;
  std::unordered_map<uint64_t, Connection*> by_id_;
  uint64_t next_id_ = 1;
  bool in_round_ = false;

  EventLoop::TimerId timer_ = EventLoop::kNoTimer;
  TimePoint timer_deadline_ = kNever;
  DriverCounters counters_;
  std::unordered_map<const Connection*, std::FILE*> qlog_files_;
};

}  // namespace braid::io

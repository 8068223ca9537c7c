// The public runtime: a braid Client or Server that owns its own event loop (epoll, UDP
// sockets with GSO/GRO, timers) on a thread of its own, so an application uses braid
// without touching the sans-IO core's call order or src/io.
//
// Design: a pollable event queue is the primary interface. The loop thread turns what
// happens on the connections into RuntimeEvents (stream bytes already read, DATAGRAMs,
// path changes, closes) and appends them to a queue; the application takes them with
// poll_event() / wait_event() from any thread, or watches event_fd() in its own
// poll/epoll loop (readable while the queue is not empty). Commands (connect,
// open_stream, write, open_path, stats, close, ...) may be called from any thread; each
// runs on the loop thread and returns its result (a short round trip). run() executes
// arbitrary code on the loop thread with the Connection itself, for what the commands do
// not cover. Nothing braid calls back into the application runs on the loop thread, so
// application code needs no locking against braid.
//
// Flow control reaches the application: stream bytes are read into the queue only while
// it holds less than RuntimeOptions::max_queued_bytes; a slow consumer stops reading and
// the peer is throttled by QUIC flow control.
//
// Ownership: Client and Server own their loop thread, sockets and connections; destroying
// one closes every connection (CONNECTION_CLOSE, no error) and joins the thread. ConnId
// values are plain numbers: a command on a connection that has gone returns kNotFound.
#pragma once
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "braid/address.h"
#include "braid/config.h"
#include "braid/connection.h"
#include "braid/error.h"
#include "braid/types.h"

namespace braid {

// A connection of a Client or Server; 0 is never a connection.
using ConnId = uint64_t;

enum class RuntimeEventType : uint8_t {
  kAccepted,     // server: a client connected (the handshake follows as a kEvent)
  kEvent,        // `event` holds a core ConnectionEvent (handshake, paths, streams, ...)
  kStreamData,   // `stream`, `data` and `fin`: bytes read from the stream, in order
  kDatagram,     // `data`: one DATAGRAM payload
  kClosed,       // the connection is gone; `error` says why (none: closed without error)
};
const char* runtime_event_name(RuntimeEventType t);

struct RuntimeEvent {
  RuntimeEventType type = RuntimeEventType::kEvent;
  ConnId conn = 0;
  ConnectionEvent event{};      // kEvent only
  StreamId stream = 0;          // kStreamData
  std::vector<uint8_t> data;    // kStreamData, kDatagram
  bool fin = false;             // kStreamData: the stream's last byte is in `data` (or it was empty)
  std::optional<TransportError> error;   // kClosed
};

struct RuntimeOptions {
  ConnectionConfig connection;   // TLS (ALPN, certificates, insecure), scheduler, CC, limits
  // Client: the first socket's address; unset: the source address the kernel picks for the
  // first connect()'s remote (port 0). Server: where to listen (port 0 picks one).
  std::optional<SocketAddress> bind;
  // Client: further local addresses (port 0: any); every connection asks for one more path
  // from each at connect, opened once the handshake and the server allow (a server without
  // multipath: a kPathEvent with path_change kNotOpened).
  std::vector<SocketAddress> path_addresses;
  // Server without connection.tls.cert_pem/cert_file: a self-signed certificate for
  // "localhost" and the bind address is generated (see Server::certificate_fingerprint()).
  bool generate_certificate = true;
  // Read stream bytes into kStreamData events. Off: only kEvent kStreamReadable is queued
  // and the application calls read().
  bool deliver_stream_data = true;
  size_t max_queued_bytes = 8u << 20;   // stream + DATAGRAM bytes waiting in the queue
  std::string qlog_dir;                 // per-connection qlog files; empty: none
};

struct ReadResult {
  size_t bytes = 0;
  bool fin = false;
};

class RuntimeCore;

// What Client and Server share: the queue and the per-connection commands.
class Runtime {
 public:
  ~Runtime();
  Runtime(Runtime&&) noexcept;
  Runtime& operator=(Runtime&&) noexcept;

  // The queue. event_fd() is readable while events are waiting (do not read from it).
  std::optional<RuntimeEvent> poll_event();
  std::optional<RuntimeEvent> wait_event(std::chrono::milliseconds timeout);
  int event_fd() const;

  // Streams. write() returns the bytes accepted (possibly fewer: kStreamWritable follows).
  ApiResult<StreamId> open_stream(ConnId c, bool bidirectional = true);
  ApiResult<size_t> write(ConnId c, StreamId s, std::span<const uint8_t> data, bool fin = false);
  ApiResult<size_t> write(ConnId c, StreamId s, std::string_view text, bool fin = false);
  ApiStatus finish(ConnId c, StreamId s);   // FIN without more data
  // Only when deliver_stream_data is off (otherwise the bytes come as events).
  ApiResult<ReadResult> read(ConnId c, StreamId s, std::span<uint8_t> out);
  ApiStatus reset_stream(ConnId c, StreamId s, uint64_t app_error);

  // Paths. `local` gets a socket of its own (bound on first use, port 0: any); `remote`
  // defaults to path 0's remote.
  ApiResult<PathId> open_path(ConnId c, const SocketAddress& local, std::optional<SocketAddress> remote = {});
  ApiStatus close_path(ConnId c, PathId p);
  ApiStatus set_path_backup(ConnId c, PathId p, bool backup);
  // A fresh controller `name` on path `p` (unset: every path and later ones).
  ApiStatus set_congestion_controller(ConnId c, std::string_view name, std::optional<PathId> p = {});

  ApiStatus send_datagram(ConnId c, std::span<const uint8_t> data);
  ApiResult<ConnectionStats> stats(ConnId c);
  ApiStatus close(ConnId c, uint64_t app_error = 0, std::string reason = {});

  // Runs `fn` on the loop thread with the connection, then sends what it queued. Returns
  // kNotFound when the connection is gone. Do not block inside `fn`.
  ApiStatus run(ConnId c, const std::function<void(Connection&)>& fn);
  // Local addresses of every socket, the first (listening or bound) one first.
  std::vector<SocketAddress> local_addresses();

 protected:
  explicit Runtime(std::unique_ptr<RuntimeCore> core);
  std::unique_ptr<RuntimeCore> core_;
};

class Client : public Runtime {
 public:
  // Errors: kInvalid for bad options (unknown scheduler, unreadable CA file), kClosed
  // when the loop cannot start.
  static ApiResult<Client> create(RuntimeOptions options);
  // Starts a connection; `server_name` (SNI and verification) defaults to tls.server_name.
  // The handshake's outcome comes as an event (kHandshakeCompleted, or kClosed).
  ApiResult<ConnId> connect(const SocketAddress& remote, std::optional<std::string> server_name = {});

 private:
  using Runtime::Runtime;
};

class Server : public Runtime {
 public:
  // Errors: kInvalid for a bad bind address, unreadable certificate or key, unknown
  // scheduler; the message names what failed.
  static ApiResult<Server> create(RuntimeOptions options);
  SocketAddress local_address();
  // SHA-256 of the generated certificate ("AB:CD:..."); empty with a configured one.
  std::string certificate_fingerprint();

 private:
  using Runtime::Runtime;
};

}  // namespace braid

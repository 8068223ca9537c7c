// The server behind `braid server`, `braid perf server` and `braid demo`: hq-interop file
// serving ("GET /path" on each client bidi stream, HTTP/0.9 style), the QUIC perf protocol
// (ALPN "perf", draft-banks-quic-performance) and DATAGRAM echo, on one EndpointDriver.
//
// hq-interop answers that are not a file end with RESET_STREAM carrying one of the
// application error codes below.
#pragma once
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "braid/address.h"
#include "io/crypto_random.h"
#include "io/endpoint_driver.h"
#include "tools/braid/path_actions.h"
#include "transfer/sink.h"

namespace braid::tool {

// RESET_STREAM codes of the hq-interop server.
inline constexpr uint64_t kHqBadRequest = 0x1;  // not "GET /path", or the path leaves --root
inline constexpr uint64_t kHqNotFound = 0x2;    // no such regular file under --root
inline constexpr uint64_t kHqReadError = 0x3;   // the file could not be read
const char* hq_error_name(uint64_t code);

struct FileServerOptions {
  SocketAddress listen;
  std::string root;                    // empty: every GET is answered with kHqNotFound
  std::string cert_file, key_file;     // empty: a self-signed certificate is generated
  std::vector<std::string> alpn{"hq-interop", "perf"};
  std::string qlog_dir;
  std::string keylog_file;
  std::string congestion_controller = "cubic";
  bool ack_frequency = true;             // ConnectionConfig::ack_frequency
  PluginSpec scheduler{"minrtt"};        // the server sends downloads: its scheduler places them
  DuplicationConfig duplication;
  ReinjectionConfig reinjection;
  FailureDetectionConfig failure_detection;
  bool retry = false;
  size_t max_connections = 4096;
  // Multipath paths per connection offered to clients (initial_max_path_id = max_paths - 1);
  // 0 or 1: multipath not offered, clients get single-path QUIC.
  uint64_t max_paths = 4;
  bool log_connections = true;         // one stderr line per connection accepted/closed
  // RFC 9000 §9.6: a second socket here and the preferred_address transport parameter
  // (port 0 picks one); clients move path 0 to it after the handshake.
  std::optional<SocketAddress> preferred_address;
  // Address advertisement (docs/address-advertisement.md): a socket on each of these too
  // (port 0 picks one), told to clients that offer the extension; nothing else is revealed.
  std::vector<SocketAddress> advertise;
  // QUIC-LB (docs/load-balancing.md): connection IDs that carry this server's ID.
  std::optional<LoadBalancerConfig> load_balancer;
  // One of `workers` servers on the same port (--workers, server_workers.cpp): an
  // SO_REUSEPORT socket steered by CID, and CIDs that name `worker_index`.
  uint8_t workers = 1;
  uint8_t worker_index = 0;
  // A certificate given as PEM (the workers share the first one's generated certificate);
  // used when cert_file is empty.
  std::string cert_pem, key_pem;
  // Per connection: --path-status actions (time after its handshake, or bytes sent).
  std::vector<PathAction> path_actions;
  uint64_t key_update_after_packets = 0;   // initiate a key update every N packets (0: off)
  // Uploads (ALPN "braid-xfer", docs/transfer.md): transfers offered by `braid send` are
  // written into this directory (empty: that ALPN is not offered); `overwrite_uploads`
  // lets one replace an existing file. After `stop_after_uploads` uploads ended (0: never)
  // the server stops.
  std::string upload_dir;
  bool overwrite_uploads = false;
  size_t stop_after_uploads = 0;
  // Watchers (--metrics) told of connections, events and closes after the server handled
  // them; their on_service is not called.
  io::DriverCallbacks observer;
};

class FileServer {
 public:
  // Must run on the loop's thread.
  static std::expected<std::unique_ptr<FileServer>, std::string> create(io::EventLoop& loop, FileServerOptions opts);
  ~FileServer();

  SocketAddress local_address() const { return driver_->local_address(); }
  // The bound preferred address, when one was asked for.
  std::optional<SocketAddress> preferred_address() const { return preferred_bound_; }
  // The bound addresses told to clients that offer address advertisement.
  const std::vector<SocketAddress>& advertised_addresses() const { return advertised_bound_; }
  // SHA-256 fingerprint of the generated certificate; empty when --cert was given.
  const std::string& generated_fingerprint() const { return fingerprint_; }
  const std::string& generated_cert_pem() const { return cert_pem_; }
  const std::string& generated_key_pem() const { return key_pem_; }
  void shutdown();  // CONNECTION_CLOSE(NO_ERROR) to every client
  io::EndpointDriver& driver() { return *driver_; }
  uint64_t connections_accepted() const { return accepted_; }
  uint64_t uploads_completed() const { return uploads_ok_; }
  uint64_t uploads_failed() const { return uploads_failed_; }

  struct Job;
  struct ConnState;

 private:
  FileServer() = default;
  void on_connection(Connection& c);
  void on_event(Connection& c, const ConnectionEvent& ev);
  void on_service(Connection& c);
  void on_closed(Connection& c);
  void on_readable(Connection& c, ConnState& cs, StreamId id);
  void start_hq(Connection& c, Job& job, StreamId id);
  bool write_response(Connection& c, Job& job, StreamId id);  // true when the FIN was written

  FileServerOptions opts_;
  io::CryptoRandom rng_;
  std::unique_ptr<io::EndpointDriver> driver_;
  std::string fingerprint_, cert_pem_, key_pem_;
  std::string root_canonical_;
  uint64_t accepted_ = 0;
  uint64_t uploads_ok_ = 0, uploads_failed_ = 0;
  bool stop_pending_ = false;   // stop_after_uploads reached: stop when that connection closes
  std::unique_ptr<transfer::FileSinkFactory> upload_sinks_;
  std::optional<SocketAddress> preferred_bound_;
  std::vector<SocketAddress> advertised_bound_;
  std::unique_ptr<std::unordered_map<const Connection*, ConnState>> conns_;
  std::vector<uint8_t> scratch_;   // file bytes on their way into a stream (write_response)
};

// Runs a FileServer on this thread until SIGINT/SIGTERM or `duration_text` (empty: no
// limit), printing the listen address; failures end the subcommand `cmd` (cmd_server.cpp).
// `metrics_address`: --metrics ADDR:PORT (empty: no exporter).
// Returns the server's upload counts (braid receive exits non-zero after a failed upload).
struct FileServerSummary {
  uint64_t uploads_completed = 0, uploads_failed = 0;
};
FileServerSummary run_file_server(const std::string& cmd, FileServerOptions opts, const std::string& duration_text,
                                  const std::string& metrics_address = {});
// The same with opts.workers > 1: one FileServer and event loop per worker thread on one
// SO_REUSEPORT port (server_workers.cpp).
FileServerSummary run_worker_servers(const std::string& cmd, FileServerOptions opts, std::optional<Duration> duration,
                                     const std::string& metrics_address);

}  // namespace braid::tool

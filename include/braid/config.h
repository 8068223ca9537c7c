// Connection and endpoint configuration with defaults a demanding user can live with.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <expected>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "braid/address.h"
#include "braid/path.h"
#include "braid/plugin_params.h"
#include "braid/time.h"

namespace braid {

class RttPriorStore;   // braid/rtt_prior.h

struct TlsOptions {
  std::vector<std::string> alpn{"hq-interop"};
  std::string server_name = "localhost";  // client: SNI and the name verified
  std::string cert_pem, key_pem;           // server credentials (PEM)
  std::string cert_file, key_file;
  std::string ca_file;                     // client: extra trust anchor
  bool insecure = false;                   // client: skip certificate verification
  std::function<void(const std::string&)> keylog;  // NSS key-log lines; off when empty
};

// Duplication (F-REDUND): copies of data sent on other usable paths, best RTT first. The
// copies read the same stored stream bytes (nothing is cloned); the receiver keeps one.
struct DuplicationConfig {
  bool always = false;              // every stream byte and every DATAGRAM
  bool datagrams = false;           // the DATAGRAM flow
  uint64_t first_bytes = 0;         // the first N bytes of every stream (e.g. requests)
  bool while_potentially_failed = false;   // everything while some usable path is potentially failed
  size_t copies = 1;                // other paths per copy, at most
  bool any() const { return always || datagrams || first_bytes > 0 || while_potentially_failed; }
};
// "off", or a comma list of always | datagrams | first=BYTES | suspect | copies=N.
std::expected<DuplicationConfig, std::string> parse_duplication_policy(std::string_view text);

// Everything a reinjection target hook may look at.
struct ReinjectionContext {
  PathId from = 0;                  // the path that stalled (PTO) or is suspected
  StreamId stream = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
  uint32_t reinjections = 0;        // times this range was already reinjected
  std::span<const PathSnapshot> paths;
};

// Reinjection (F-REDUND): when a path hits a PTO while another path works, the stream data
// in flight on it is queued again on other paths (the originals stay in flight; the first
// ACK of either copy retires both).
struct ReinjectionConfig {
  bool enabled = true;
  Duration delay{};                 // data sent less than this long ago stays where it is
  uint32_t max_per_frame = 2;       // a range is reinjected at most this many times
  size_t queue_limit = 4096;        // frames waiting on one target path, at most
  Duration min_interval{};          // one target path takes a reinjection batch this often
  std::vector<PathId> preferred;    // targets tried first, in order
  // Picks the target (none: resent as an ordinary loss instead); unset: preferred, then
  // lowest RTT. Backup paths are offered only when nothing else can take it.
  std::function<std::optional<PathId>(const ReinjectionContext&)> select_target;
};
// "off", or a comma list of delay=DUR | max=N | queue=N | interval=DUR | prefer=ID[+ID...].
std::expected<ReinjectionConfig, std::string> parse_reinjection_policy(std::string_view text);

// Path failure detection (F-DETECT, docs/failure-detection.md). A detector judges each path
// from its ACK progress; a path silent while ACKs are owed goes SUSPECT (no new data, its
// in-flight data reinjected at once, probed in bursts), then FAILED (path state FAILED or a
// local STANDBY by policy; bonding DEGRADED), and back to ACTIVE once probes are answered.
struct FailureDetectionConfig {
  bool enabled = true;                   // multipath connections only
  PluginSpec detector{"fast"};           // failure_detector_names(): fast, pf, phi
  // Idle and backup paths get a PING this often while another path carries traffic, so a
  // dead backup is known before it is needed (0: no idle probing).
  Duration probe_interval = std::chrono::seconds(1);
  uint32_t probe_burst = 2;              // PINGs per probe round on a suspect or recovering path
  Duration failed_probe_min = std::chrono::milliseconds(100);   // a failed path's probe interval
  Duration failed_probe_max = std::chrono::milliseconds(500);   // grows to this
  uint32_t recover_acks = 3;             // ACKs with progress before a failed path is used again
  enum class OnFailure : uint8_t { kFail, kStandby };
  OnFailure on_failure = OnFailure::kFail;   // kStandby: the path stays, as a local backup
  // A path failed this long while another path works is abandoned (PATH_ABANDON,
  // PATH_UNSTABLE_OR_POOR); the last usable path never is, and the time only counts while an
  // alternative exists, so after an outage of every path each gets the full time to answer
  // again. 0 keeps it, probed, until it answers.
  Duration abandon_after{};
};
// "off" (or "none"), or a detector spec ("fast", "phi:suspect=8,down=16"); checked against
// the registry. On error `cfg` is unchanged.
std::expected<void, std::string> set_failure_detector(FailureDetectionConfig& cfg, std::string_view text);
// "fail" or "standby".
std::expected<FailureDetectionConfig::OnFailure, std::string> parse_on_failure(std::string_view text);

// QUIC-LB (draft-ietf-quic-load-balancers-21): a server's connection IDs carry its server ID
// so a QUIC-LB aware layer-4 load balancer routes every packet of a connection, on every
// path, to this server (docs/load-balancing.md). The CID is first octet || server ID ||
// nonce, the last two encrypted under `key` (AES-128-ECB: one pass when they fill 16 bytes,
// a four-pass Feistel network otherwise) or in the clear without a key.
struct LoadBalancerConfig {
  uint8_t config_id = 0;                       // config rotation bits 0..6 (7: unroutable)
  std::vector<uint8_t> server_id;              // 1..15 bytes
  size_t nonce_length = 4;                     // 4..18; server ID + nonce at most 19 bytes
  std::optional<std::array<uint8_t, 16>> key;  // unset: plaintext CIDs (server ID visible)
  bool encode_length = true;                   // first octet: CID length - 1 in its low 5 bits
  size_t cid_length() const { return 1 + server_id.size() + nonce_length; }
};
// "server-id=HEX,nonce=N[,key=HEX32][,config-id=C][,length=on|off]"; the message says
// what is wrong.
std::expected<LoadBalancerConfig, std::string> parse_load_balancer_config(std::string_view text);
std::expected<void, std::string> check_load_balancer_config(const LoadBalancerConfig& lb);

struct ConnectionConfig {
  TlsOptions tls;

  // Transport parameters we advertise.
  uint64_t initial_max_data = 4u << 20;
  uint64_t initial_max_stream_data = 1u << 20;  // bidi local/remote and uni
  uint64_t initial_max_streams_bidi = 100;
  uint64_t initial_max_streams_uni = 100;
  Duration idle_timeout = std::chrono::seconds(30);
  Duration max_ack_delay = std::chrono::milliseconds(25);
  uint64_t ack_delay_exponent = 3;
  // Ack frequency (draft-ietf-quic-ack-frequency, docs/ack-frequency.md): advertise
  // min_ack_delay, the shortest delay our ACKs honour, so the peer may tune them; and when
  // the peer advertises it too, ask it for about four ACKs per round trip (a quarter of the
  // window in packets, at most ack_frequency_max_threshold and at most 2 on a path that lost
  // packets in its last 8 RTTs, or the peer's max_ack_delay)
  // instead of one every second packet, with IMMEDIATE_ACK on probes. false: neither.
  bool ack_frequency = true;
  Duration min_ack_delay = std::chrono::milliseconds(1);
  uint64_t ack_frequency_max_threshold = 8;
  uint64_t active_connection_id_limit = 4;
  uint64_t max_datagram_frame_size = 65535;     // 0: DATAGRAM not offered
  bool disable_active_migration = false;
  // Multipath: advertise initial_max_path_id = max_paths - 1 (0 = multipath not offered).
  // Peers that do not offer it get ordinary single-path QUIC.
  uint64_t initial_max_path_id = 3;
  // Path scheduler by name plus parameters ("minrtt", {"rr", {{"quota", "4"}}}); see
  // path_scheduler.h for the names. Unknown names or parameters fail the connection's start.
  PluginSpec scheduler{"minrtt"};
  // Latency placement: a stream whose whole content is written (FIN given) and at most this
  // long is a message, not bulk. With two or more usable paths whose RTTs differ (the
  // fastest below 0.8x another), messages go only on the lowest-RTT path and ahead of bulk
  // data there, whatever the scheduler does with bulk. 0 turns this off.
  uint64_t latency_stream_bytes = 16 * 1024;
  DuplicationConfig duplication;
  FailureDetectionConfig failure_detection;
  ReinjectionConfig reinjection;
  enum class AckPath : uint8_t { kSamePath, kLowestRtt };
  AckPath ack_path = AckPath::kSamePath;           // where PATH_ACKs travel
  size_t connection_ids_per_path = 2;
  // Path IDs a peer may use over the connection's life: each abandoned path lets it open
  // another (MAX_PATH_ID) until this many were used, so open/abandon churn stays bounded.
  uint64_t max_path_ids_per_connection = 1024;

  // Receive-window auto-tuning caps.
  uint64_t max_connection_window = 64u << 20;
  uint64_t max_stream_window = 16u << 20;
  uint64_t max_send_buffer_per_stream = 8u << 20;
  // All streams of a connection together: a peer that never reads cannot make the
  // application buffer more than this (stream_write then accepts 0 bytes: would-block).
  uint64_t max_send_buffer_per_connection = 16u << 20;
  // stream_write accepts at most this far beyond what the peer's flow control lets us
  // send on the stream; more is accepted (kStreamWritable) as MAX_STREAM_DATA arrives.
  uint64_t max_send_ahead_of_credit = 1u << 20;
  // Out-of-order STREAM fragments held for reassembly, per stream and for the whole
  // connection; a peer that fragments past either is closed with PROTOCOL_VIOLATION.
  // Adjacent fragments coalesce, so honest loss and reordering use one piece per gap.
  size_t max_reassembly_pieces_per_stream = 4096;
  size_t max_reassembly_pieces = 16384;

  // Server: advertise this address in preferred_address (RFC 9000 §9.6); the client moves
  // path 0 there after the handshake. Client: ignore_preferred_address keeps the original.
  std::optional<SocketAddress> preferred_address;
  bool ignore_preferred_address = false;

  // Address advertisement, braid's own extension (docs/address-advertisement.md), off unless
  // set on both sides. Server: the further addresses of its own it may tell a client about,
  // and nothing else (the allowlist; empty: nothing is revealed); each must be an address it
  // receives on. Sent only to a client that offered the extension. Client: offer it and keep
  // up to this many advertised addresses (0: not offered; the application opens paths to
  // the addresses it is told about, see ConnectionEventType::kAddressAdvertised).
  std::vector<SocketAddress> advertise_addresses;
  size_t accept_advertised_addresses = 0;

  // Server: connection IDs per QUIC-LB (above); connection_id_length must equal its
  // cid_length(). Unset: random connection IDs.
  std::optional<LoadBalancerConfig> load_balancer;

  // Server with several workers on one SO_REUSEPORT port (braid server --workers): the
  // first byte of every connection ID it issues (and of its Retry SCIDs) is congruent to
  // cid_worker_index modulo cid_worker_count, so the kernel's reuseport program steers each
  // packet to the worker that owns the connection (src/io/reuseport_steering.h).
  // cid_worker_count 0 or 1: no constraint. Not combined with load_balancer.
  uint8_t cid_worker_count = 0;
  uint8_t cid_worker_index = 0;

  std::string congestion_controller = "cubic";   // congestion_controller_names()
  // Per path ID, a controller other than congestion_controller (e.g. BBR on a cellular
  // path, CUBIC on a datacenter link). Checked like congestion_controller.
  std::map<PathId, std::string> path_congestion_controllers;
  Duration initial_rtt = std::chrono::milliseconds(333);
  // RTT priors the application keeps across connections (braid/rtt_prior.h): a new path's
  // first RTT comes from the store's best tier instead of initial_rtt, and every path's RTT
  // samples go back into it. Unset: initial_rtt for every new path.
  std::shared_ptr<RttPriorStore> rtt_priors;
  size_t connection_id_length = 8;
  uint64_t max_udp_payload_size = 1452;  // what we accept and what we probe up to
  uint64_t initial_mtu = 1200;
  bool pacing = true;
  // Automatic key update after this many packets under one key (0: only on request or
  // near the AEAD confidentiality limit).
  uint64_t key_update_interval_packets = 0;
  size_t max_datagram_queue = 1024;   // unread received / unsent outgoing DATAGRAM frames
};

// Checks plugin names and parameters (scheduler, congestion controller) and limits that
// must hold for a connection to start; the message says what is wrong and what is known.
std::expected<void, std::string> check_connection_config(const ConnectionConfig& cfg);

// Address advertisement: the most addresses a server lists and a client keeps, and what may
// be advertised at all (an address with a port, neither unspecified nor multicast/broadcast).
inline constexpr size_t kMaxAdvertisedAddresses = 16;
bool is_advertisable(const SocketAddress& a);

}  // namespace braid

// The connection state machine behind braid::Connection: an orchestrator of named parts
// (PathSet, StreamManager, CidManager, KeySchedule, the scheduler) whose behaviour is split
// by concern across connection_*.cpp: handshake and keys, receive path, datagram planning
// (PathSelector → DatagramPlan), packet building and frame sources, redundancy (copies,
// duplication, reinjection), streams, connection IDs, paths and migration, close and timers.
#pragma once
#include <array>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "braid/connection.h"
#include "core/conn/ack_frequency.h"
#include "core/conn/cid_manager.h"
#include "core/conn/datagram_plan.h"
#include "core/conn/flow_control.h"
#include "core/conn/key_schedule.h"
#include "core/conn/local_cids.h"
#include "core/conn/path_set.h"
#include "core/conn/quic_lb.h"
#include "core/conn/recv_buffer.h"
#include "core/conn/send_buffer.h"
#include "core/conn/stream_manager.h"
#include "core/crypto/packet_keys.h"
#include "core/crypto/tls_session.h"
#include "braid/path_scheduler.h"
#include "core/path/bonding.h"
#include "core/path/path.h"
#include "core/qlog/qlog_writer.h"
#include "core/wire/frame.h"
#include "core/wire/frame_codec.h"
#include "core/wire/packet_header.h"
#include "core/wire/transport_params.h"

namespace braid::conn {

inline constexpr size_t kMinInitialDatagram = 1200;
inline constexpr uint32_t kMaxUndecryptable = 16;

// Control frames waiting to be (re)sent. Values are taken at send time so a retransmission
// carries the newest limit.
struct PendingControl {
  bool handshake_done = false;
  bool max_data = false;
  bool max_streams_bidi = false;
  bool max_streams_uni = false;
  bool data_blocked = false;
  bool streams_blocked_bidi = false;
  bool streams_blocked_uni = false;
  bool ping = false;
  std::set<StreamId> max_stream_data;
  std::set<StreamId> stream_data_blocked;
  std::set<StreamId> reset_stream;
  std::set<StreamId> stop_sending;
  std::set<PathSeq> new_cid;         // (path, sequence) of our CIDs to announce
  std::set<PathSeq> retire_cid;      // (path, sequence) of the peer's CIDs we retire
  std::set<PathId> path_abandon;     // PATH_ABANDON to send
  std::set<PathId> path_status;      // PATH_STATUS_* to (re)send with the current value
  std::set<PathId> path_cids_blocked;
  std::set<uint64_t> advertise_address;   // sequence numbers of ADVERTISE_ADDRESS to (re)send
  bool max_path_id = false;
  bool paths_blocked = false;
  bool any() const {
    return handshake_done || max_data || max_streams_bidi || max_streams_uni || data_blocked ||
           streams_blocked_bidi || streams_blocked_uni || ping || !max_stream_data.empty() ||
           !stream_data_blocked.empty() || !reset_stream.empty() || !stop_sending.empty() ||
           !new_cid.empty() || !retire_cid.empty() || !path_abandon.empty() || !path_status.empty() ||
           !path_cids_blocked.empty() || !advertise_address.empty() || max_path_id || paths_blocked;
  }
};

enum class ConnState : uint8_t { kHandshake, kEstablished, kClosing, kDraining, kClosed };

class ConnectionImpl final : public Connection {
 public:
  struct ServerParams {
    ConnectionId original_dcid;             // from the client's first Initial
    ConnectionId client_scid;
    std::optional<ConnectionId> retry_scid; // set when the client came back after a Retry
    ConnectionId initial_dcid;              // DCID of the Initial that created us (keys)
    std::shared_ptr<const crypto::TlsCredentials> credentials;   // the endpoint's, parsed once
  };

  // Client constructor.
  ConnectionImpl(TimePoint now, const ConnectionConfig& cfg, const PathTuple& tuple, Random& rng);
  // Server constructor (used by the endpoint).
  ConnectionImpl(TimePoint now, const ConnectionConfig& cfg, const PathTuple& tuple, Random& rng,
                 const ServerParams& sp, std::array<uint8_t, 32> reset_key);
  ~ConnectionImpl() override;

  Status init(TimePoint now);  // TLS setup; errors mean the connection cannot start

  // braid::Connection
  void handle_datagram(TimePoint now, const PathTuple& tuple, std::span<uint8_t> data,
                       uint8_t ecn) override;
  void handle_timeout(TimePoint now) override;
  std::optional<Transmit> poll_transmit(TimePoint now, std::span<uint8_t> buf,
                                        size_t max_segments) override;
  TimePoint poll_timeout() const override;
  std::optional<ConnectionEvent> poll_event() override;
  ApiResult<StreamId> open_stream(bool bidirectional) override;
  ApiResult<size_t> stream_write(StreamId id, std::span<const uint8_t> data, bool fin) override;
  ApiResult<size_t> stream_writable(StreamId id) override;
  ApiResult<size_t> stream_read(StreamId id, std::span<uint8_t> out, bool& fin) override;
  ApiStatus stream_reset(StreamId id, uint64_t app_error) override;
  ApiStatus stream_stop_sending(StreamId id, uint64_t app_error) override;
  ApiStatus set_stream_duplicate(StreamId id, bool on) override;
  ApiStatus send_datagram(std::span<const uint8_t> data) override;
  std::optional<std::vector<uint8_t>> recv_datagram() override;
  size_t max_datagram_payload() const override;
  ApiStatus initiate_key_update(TimePoint now) override;
  ApiStatus migrate(TimePoint now, const SocketAddress& new_local) override;
  void close(TimePoint now, uint64_t app_error, std::string reason) override;
  ApiResult<PathId> open_path(TimePoint now, const SocketAddress& local, const SocketAddress& remote) override;
  ApiStatus close_path(TimePoint now, PathId id, uint64_t error_code) override;
  ApiStatus set_path_status(TimePoint now, PathId id, bool backup) override;
  ApiStatus set_congestion_controller(TimePoint now, std::string_view name, std::optional<PathId> path) override;
  ApiStatus set_stream_path(StreamId id, std::optional<PathId> path) override;
  void set_datagram_path(std::optional<PathId> path) override { paths_.datagram_path = path; }
  bool is_multipath() const override { return paths_.multipath; }
  BondingState bonding_state() const override { return paths_.bonding.state(); }
  std::vector<PathSnapshot> path_snapshots(TimePoint now) const override;
  void set_qlog_sink(std::function<void(std::string_view)> sink, TimePoint reference_time) override;
  bool is_handshake_complete() const override { return handshake_complete_; }
  bool is_closed() const override { return state_ == ConnState::kClosed; }
  bool is_draining() const override {
    return state_ == ConnState::kClosing || state_ == ConnState::kDraining || state_ == ConnState::kClosed;
  }
  std::optional<TransportError> close_reason() const override { return close_error_; }
  ConnectionStats stats() const override;
  SendPressure send_pressure() const override;
  std::string alpn() const override;
  Perspective perspective() const override { return perspective_; }
  const ConnectionId& original_dcid() const override { return original_dcid_; }
  std::vector<ConnectionId> local_connection_ids() const override;
  uint64_t local_connection_ids_version() const override { return cids_.local.version(); }

  // Endpoint hooks.
  bool matches_reset_token(std::span<const uint8_t> datagram) const;
  void set_qlog(std::unique_ptr<qlog::QlogWriter> q) { qlog_ = std::move(q); }
  qlog::QlogWriter* qlog() const { return qlog_.get(); }
  // Server: the client sent a Retry-validated token, so its address is validated.
  void mark_address_validated();

  // Test hooks for hostile-peer tests: raw frame bytes put into the next packet sent at
  // `level`, and transport parameters sent instead of the configured ones (set before
  // init()). A correct peer never needs these.
  void inject_raw_frame_for_testing(EncryptionLevel level, std::vector<uint8_t> bytes);
  void override_transport_params_for_testing(std::vector<uint8_t> raw) { tp_override_ = std::move(raw); }
  // Pads Initial datagrams with zeros after the packets instead of PADDING frames inside
  // them, to 1252 bytes, as picoquic's client does.
  void pad_initial_outside_packets_for_testing() { pad_initial_outside_ = true; }
  // The peer's CIDs we hold for `path`, by sequence (attack tests retire and target them).
  std::vector<std::pair<uint64_t, ConnectionId>> peer_cids_for_testing(PathId path) const {
    std::vector<std::pair<uint64_t, ConnectionId>> out;
    if (auto* set = cids_.find_remote(path)) {
      for (auto& [seq, c] : set->cids) out.emplace_back(seq, c.cid);
    }
    return out;
  }
#ifdef BRAID_FUZZING
  // Fuzz builds only: handles `payload` as the decrypted frames of a 1-RTT packet that
  // arrived on path 0, skipping packet protection, so the fuzzer reaches frame handling.
  void process_plaintext_for_fuzzing(TimePoint now, std::span<const uint8_t> payload, uint64_t pn);
#endif

 private:
  friend struct ConnectionTestAccess;

  // --- handshake and keys (connection_handshake.cpp)
  std::vector<uint8_t> local_transport_params() const;
  void drive_tls(TimePoint now);
  void install_secret(TimePoint now, const crypto::SecretEvent& ev);
  Status apply_peer_transport_params(TimePoint now, std::span<const uint8_t> raw);
  void on_handshake_complete(TimePoint now);
  void on_handshake_confirmed(TimePoint now);
  void discard_level(TimePoint now, EncryptionLevel level);
  Status process_crypto_frame(TimePoint now, EncryptionLevel level, const wire::CryptoFrame& f);
  void maybe_auto_key_update(TimePoint now);
  void do_key_update(TimePoint now, bool initiated_locally);

  // --- receive (connection_recv.cpp)
  void process_packet(TimePoint now, const PathTuple& tuple, std::span<uint8_t> pkt,
                      const wire::ParsedHeader& hdr, uint8_t ecn, size_t datagram_len,
                      bool& datagram_dropped);
  void handle_version_negotiation(TimePoint now, const wire::ParsedHeader& hdr);
  void handle_retry(TimePoint now, std::span<const uint8_t> pkt, const wire::ParsedHeader& hdr);
  Status process_frames(TimePoint now, path::Path& path, EncryptionLevel level,
                        wire::PacketKind kind, std::span<const uint8_t> payload,
                        bool& ack_eliciting, bool& non_probing, uint64_t pn);
  Status handle_ack(TimePoint now, EncryptionLevel level, const wire::AckFrame& ack);
  // `rate_counted`: the rate sampler already saw these losses (ACK processing counts them
  // before the acknowledged packets, as the sampling draft orders it).
  void on_packets_lost(TimePoint now, path::Path& path, PnSpace space,
                       std::vector<recovery::SentPacket>& lost, bool persistent_congestion,
                       bool rate_counted = false);
  void on_frame_acked(TimePoint now, const recovery::SentFrame& f);
  void requeue_lost_frame(const recovery::SentFrame& f);
  path::Path* path_for_tuple(const PathTuple& tuple);
  void on_peer_address_change(TimePoint now, path::Path& p, const PathTuple& tuple, const ConnectionId& dcid);
  // Server: credits the datagram being processed to the path's anti-amplification budget,
  // once per datagram however many packets it coalesces.
  void credit_datagram(path::Path& p, size_t datagram_len);

  // --- send (connection_send.cpp)
  // --- planning each datagram (connection_plan.cpp)
  std::optional<DatagramPlan> plan_datagram(TimePoint now, size_t room);
  PathChoice ask_scheduler(TimePoint now, const SendIntent& intent);
  SendIntent send_intent() const;
  void on_datagram_sent(TimePoint now, const DatagramPlan& plan, path::Path& p, size_t bytes, bool ack_eliciting);

  size_t build_datagram(TimePoint now, const DatagramPlan& plan, path::Path& path, std::span<uint8_t> out,
                        bool& ack_eliciting,
                        bool allow_long);
  size_t build_packet(TimePoint now, const DatagramPlan& plan, path::Path& path, EncryptionLevel level,
                      std::span<uint8_t> out,
                      size_t min_payload, bool cc_allows, bool& ack_eliciting);
  size_t build_close_datagram(TimePoint now, path::Path& path, std::span<uint8_t> out);
  bool level_wants_send(TimePoint now, const path::Path& path, EncryptionLevel level, bool cc_allows) const;
  void write_app_frames(TimePoint now, path::Path& path, wire::Writer& w,
                        std::vector<recovery::SentFrame>& sent, bool cc_allows, size_t limit);
  // --- redundancy (connection_redundancy.cpp): copies owed to a path, duplication of what
  // a datagram carries, reinjection of what a stalled path holds, duplicate receptions.
  void write_copy_frames(wire::Writer& w, path::Path& p, std::vector<recovery::SentFrame>& sent);
  void write_datagram_frames(const DatagramPlan& plan, wire::Writer& w, path::Path& p,
                             std::vector<recovery::SentFrame>& sent);
  std::vector<path::Path*> duplication_targets(const DatagramPlan& plan, const path::Path& from,
                                               bool policy_wants);
  bool duplicate_stream_frame(const DatagramPlan& plan, path::Path& from, const recovery::SentFrame& f);
  bool duplication_wanted_for(const recovery::SentFrame& f) const;
  // A PTO on `p` while another path works: what p holds goes again elsewhere.
  void reinject_from(TimePoint now, path::Path& p);
  // What `p` holds goes again on the other paths: by the reinjection policy when it is on
  // (the originals stay in flight), else as ordinary losses.
  void resend_elsewhere(TimePoint now, path::Path& p);
  // Takes every packet off `p` (its data is not coming back) and queues their frames again.
  void requeue_all_in_flight(path::Path& p);
  uint64_t duplicate_stream_bytes(const wire::StreamFrame& f) const;
  bool is_duplicate_datagram(TimePoint now, PathId path, std::span<const uint8_t> data);
  struct SeenDatagram {
    PathId path;
    TimePoint at;
  };
  std::unordered_map<uint64_t, SeenDatagram> seen_datagrams_;   // keyed hash of payload
  std::deque<uint64_t> seen_datagram_order_;
  std::array<uint8_t, 16> datagram_hash_key_{};

  void write_stream_frames(const DatagramPlan& plan, wire::Writer& w, path::Path& path,
                           std::vector<recovery::SentFrame>& sent,
                           size_t limit);
  void write_control_frames(TimePoint now, wire::Writer& w, std::vector<recovery::SentFrame>& sent,
                            size_t limit);
  uint64_t send_window_available(const path::Path& p) const;
  uint64_t amplification_budget(const path::Path& p) const;
  uint8_t ecn_for(path::Path& p) const;
  // quic:recovery_metrics_updated for one path: called after every send, ACK, loss and
  // PTO on it; the writer drops fields that did not change, so calling often is cheap.
  void log_path_metrics(TimePoint now, const path::Path& p);
  void validate_ecn(TimePoint now, path::Path& p, const wire::AckFrame& ack,
                    const std::vector<recovery::SentPacket>& newly_acked);

  // --- streams (connection_streams.cpp)
  Result<Stream*> stream_for_frame(StreamId id, bool is_send_frame, uint64_t frame_type);
  // Why an application call on stream `id` (found at `it`) cannot use its send or receive
  // side: no such stream, or the stream has no such side.
  std::optional<ApiError> stream_side_error(StreamId id, StreamManager::Map::iterator it, bool send);
  Stream& create_stream(StreamId id);
  Status on_stream_frame(TimePoint now, const wire::StreamFrame& f);
  Status on_reset_stream(TimePoint now, const wire::ResetStreamFrame& f);
  Status on_stop_sending(TimePoint now, const wire::StopSendingFrame& f);
  Status on_max_stream_data(const wire::MaxStreamDataFrame& f);
  Status on_max_streams(const wire::MaxStreamsFrame& f);
  void on_stream_consumed(TimePoint now, Stream& s);
  void maybe_retire_stream(Stream& s);
  void on_connection_data_read(TimePoint now, uint64_t bytes);
  // Emits kStreamWritable for streams whose writes fell short once they can take more.
  void notify_writable();
  size_t room_ahead_of_credit(const Stream& s) const;   // bytes the app may write past the peer's credit

  // --- connection IDs (connection_cids.cpp)
  void issue_connection_ids();
  Status on_new_connection_id(const wire::NewConnectionIdFrame& f);
  Status on_retire_connection_id(const wire::RetireConnectionIdFrame& f, const ConnectionId& packet_dcid);
  StatelessResetToken reset_token_for(const ConnectionId& cid) const;
  // A connection ID of ours: QUIC-LB encoded on a server with a load balancer config,
  // random otherwise (connection_cids.cpp).
  ConnectionId new_local_cid();
  std::optional<uint64_t> take_unused_remote_cid();

  // --- multipath (connection_multipath.cpp)
  std::optional<PathId> path_of_local_cid(const ConnectionId& dcid) const;
  path::Path* find_path(PathId id);
  path::Path& create_path(TimePoint now, PathId id, const PathTuple& tuple, bool locally_opened);
  void set_path_state(TimePoint now, path::Path& p, PathState to);
  void on_path_validated(TimePoint now, path::Path& p);
  void abandon_path(TimePoint now, path::Path& p, uint64_t error_code, bool by_peer);
  void update_bonding(TimePoint now);
  PathSnapshot snapshot_of(const path::Path& p, TimePoint now) const;
  bool path_can_send(const path::Path& p) const;
  Status on_multipath_frame(TimePoint now, path::Path& path, const wire::Frame& f, uint64_t ftype);
  // Address advertisement (connection_addresses.cpp).
  void negotiate_address_advertisement(const wire::TransportParameters& peer);
  void queue_address_advertisements();
  Status on_advertise_address(const wire::AdvertiseAddressFrame& f, uint64_t ftype);
  void write_address_advertisements(wire::Writer& w, std::vector<recovery::SentFrame>& sent);
  Status check_path_id_limit(PathId id, uint64_t ftype) const;
  void start_queued_paths(TimePoint now);
  void collect_closed_paths(TimePoint now);
  Duration largest_pto() const;
  // RTT that receive-window auto-tuning compares update intervals with: the slowest usable
  // path's, since in-order delivery waits for it (multipath head-of-line blocking).
  Duration window_tuning_rtt() const;
  path::Path* ack_carrier(const path::Path& acked);
  // Data pinned to `pin` must not go out on `here` (the pinned path is still usable).
  bool pinned_elsewhere(std::optional<PathId> pin, const path::Path& here) const;
  // Latency placement (ConnectionConfig::latency_stream_bytes): the path messages use, if
  // paths differ enough in RTT, and whether a stream is such a message.
  std::optional<PathId> latency_path() const;
  bool is_message_stream(const Stream& s) const;
  // Where a stream's data may go: its pin, or the latency path for a message.
  std::optional<PathId> stream_placement(const Stream& s, std::optional<PathId> latency) const;
  // Shared path plumbing: a fresh controller of the configured kind; forgetting RTT and
  // capacity when a path moves to a new network path; starting address validation.
  std::unique_ptr<CongestionController> new_controller(PathId id, uint64_t mtu) const;
  std::unique_ptr<path::HealthTracker> new_health_tracker() const;
  // Whether the path takes part in coupled congestion control's sums now.
  void update_coupling(const path::Path& p) const;
  // The path's in-flight bytes over all its spaces (path 0 carries Initial and Handshake).
  uint64_t path_bytes_in_flight(const path::Path& p) const;
  // Nothing is ready to send: every path with window room is app-limited from here.
  void mark_app_limited_paths();
  bool has_data_ready() const;
  void reset_path_estimates(path::Path& p) const;
  void start_path_challenge(TimePoint now, path::Path& p);
  std::unique_ptr<path::Path> make_initial_path(const PathTuple& tuple, const ConnectionId& dcid) const;

  // --- failure detection (connection_health.cpp)
  // Whether failure detection judges this path now (multipath, confirmed, not abandoned).
  bool health_watched(const path::Path& p) const;
  path::HealthInput health_input(const path::Path& p, TimePoint now) const;
  // An ACK newly acknowledged packets of `p`; `owed_before` is what was owed before it.
  void on_path_progress(TimePoint now, path::Path& p, const recovery::LossDetector::Owed& owed_before);
  // Applies the tracker's transitions and probes for one path / every watched path.
  void update_health(TimePoint now, path::Path& p);
  void on_health_timers(TimePoint now);
  TimePoint health_timeout() const;
  void apply_health_transition(TimePoint now, path::Path& p, const path::HealthTransition& t);
  // A usable path other than `p` that failure detection (and PTO) consider healthy.
  bool other_healthy_path(const path::Path& p) const;
  bool path_healthy(const path::Path& q) const;
  void record_rtt_prior(TimePoint now, path::Path& p);

  // --- close and timers (connection_close.cpp)
  void close_with_error(TimePoint now, const TransportError& err);
  void enter_draining(TimePoint now, const TransportError& err, bool peer_closed);
  void finish_close(TimePoint now);
  void on_loss_timeout(TimePoint now);
  TimePoint loss_timer(PnSpace* which_space, PathId* which_path) const;
  Duration pto_period(const path::Path& p, bool app_space) const;
  Duration idle_timeout() const;
  void reset_idle_timer(TimePoint now);
  void emit(ConnectionEvent ev) { events_.push_back(std::move(ev)); }
  void emit_path_event(PathId id, PathState state, PathChange change, std::string detail);

  // Helpers
  path::PnSpace& space_for(EncryptionLevel level, path::Path& p);
  path::Path& primary_path() { return paths_.primary(); }
  const path::Path& primary_path() const { return paths_.primary(); }
  bool multipath() const { return paths_.multipath; }

  // --- configuration and identity
  ConnectionConfig cfg_;
  Random& rng_;
  Perspective perspective_;
  ConnState state_ = ConnState::kHandshake;
  std::unique_ptr<crypto::TlsSession> tls_;
  std::shared_ptr<const crypto::TlsCredentials> server_credentials_;
  std::unique_ptr<qlog::QlogWriter> qlog_;
  std::array<uint8_t, 32> reset_key_{};
  std::unique_ptr<QuicLbCodec> lb_;   // server with cfg_.load_balancer

  ConnectionId original_dcid_;       // client's first DCID
  ConnectionId initial_dcid_;        // DCID that keyed Initial protection (changes after Retry)
  ConnectionId peer_initial_scid_;   // peer's SCID from its first long-header packet
  std::optional<ConnectionId> retry_scid_;
  std::vector<uint8_t> retry_token_;
  bool retry_received_ = false;
  bool version_negotiation_done_ = false;
  bool peer_scid_known_ = false;

  // --- crypto
  KeySchedule keys_;
  path::PnSpace initial_space_{true, Duration::zero()};
  path::PnSpace handshake_space_{true, Duration::zero()};
  bool handshake_complete_ = false;
  bool handshake_confirmed_ = false;
  bool peer_params_applied_ = false;
  wire::TransportParameters peer_params_;
  std::vector<std::vector<uint8_t>> undecryptable_;   // datagrams waiting for keys
  std::vector<PathTuple> undecryptable_tuples_;

  // --- paths
  PathSet paths_;
  std::unique_ptr<PathScheduler> scheduler_;
  std::shared_ptr<CoupledGroup> cc_group_ = std::make_shared<CoupledGroup>();

  // --- connection IDs
  CidManager cids_;
  ConnectionId last_packet_dcid_;   // DCID of the packet being processed
  bool datagram_credit_pending_ = false;   // the received datagram is not yet credited
  bool replaying_buffered_ = false;        // handling packets buffered until keys arrived
  bool packet_from_new_tuple_ = false;     // the packet being processed came from elsewhere
  std::vector<std::array<uint8_t, 8>> challenges_from_new_tuple_;

  // --- preferred address (RFC 9000 §9.6)
  std::optional<SocketAddress> peer_preferred_address_;
  // Address advertisement: negotiated, how many sequence numbers the peer takes (server), and
  // the addresses by sequence number (received on a client, sent on a server).
  bool address_advertisement_ = false;
  uint64_t peer_address_limit_ = 0;

  // --- ack frequency (connection_ack_frequency.cpp)
  AckFrequencySender ack_freq_;                         // our requests to the peer
  Duration peer_min_ack_delay_{};
  std::optional<AckFrequencyRequest> peer_ack_request_; // the peer's latest request of us
  std::optional<uint64_t> peer_ack_frequency_seq_;
  bool immediate_ack_asked_ = false;                    // the packet being processed has IMMEDIATE_ACK
  void negotiate_ack_frequency(const wire::TransportParameters& peer);
  Status on_ack_frequency(const wire::AckFrequencyFrame& f, uint64_t ftype);
  Status on_immediate_ack(uint64_t ftype);
  void apply_peer_ack_request(path::Path& p) const;
  void update_ack_frequency(TimePoint now);
  void write_ack_frequency(wire::Writer& w, std::vector<recovery::SentFrame>& sent);
  Duration peer_max_ack_delay() const;
  std::map<uint64_t, SocketAddress> advertised_addresses_;
  void move_to_preferred_address(TimePoint now);

  // --- probing other tuples (connection_probe.cpp)
  bool peer_can_answer_on(PathId pid, bool tuple_change) const;
  void release_cid_waiters(TimePoint now);
  Status start_tuple_probe(TimePoint now, path::Path& p, const PathTuple& tuple, path::TupleProbe::Purpose purpose,
                           uint64_t remote_cid_seq);
  void abandon_tuple_probe(TimePoint now, path::Path& p, std::string_view why);
  void commit_tuple_probe(TimePoint now, path::Path& p);
  void flush_deferred_retire(path::Path& p);
  void on_probe_timers(TimePoint now);
  TimePoint probe_timeout() const;
  std::optional<Transmit> poll_probe_transmit(TimePoint now, std::span<uint8_t> buf);
  size_t build_lone_packet(TimePoint now, path::Path& p, const ConnectionId& dcid, std::span<uint8_t> out,
                           size_t min_total, const std::function<void(wire::Writer&)>& frames,
                           recovery::SentFrame::Kind kind);
  ConnectionId off_path_cid(path::Path& p);

  // --- streams and flow control
  StreamManager streams_;
  PendingControl pending_;
  // open_path requests waiting for the handshake, the peer's path ID limit or connection
  // IDs for their path ID; started by start_queued_paths() as soon as those allow.
  struct QueuedPathOpen {
    PathId id = 0;
    PathTuple tuple;
    bool backup = false;              // set_path_status before the path started
    bool paths_blocked_sent = false;  // PATHS_BLOCKED / PATH_CIDS_BLOCKED said once each
    bool cids_blocked_sent = false;
  };
  std::vector<QueuedPathOpen> queued_paths_;

  // --- datagrams
  std::deque<std::shared_ptr<const std::vector<uint8_t>>> datagrams_out_;   // shared with copies
  std::deque<std::vector<uint8_t>> datagrams_in_;

  // --- timers and close
  TimePoint idle_deadline_ = kNever;
  TimePoint last_activity_{};
  TimePoint close_deadline_ = kNever;
  bool close_send_pending_ = false;
  std::optional<TransportError> close_error_;
  std::optional<TransportError> local_close_;    // what we send in CONNECTION_CLOSE
  TimePoint created_;
  TimePoint now_{};   // latest time handed in (for calls that carry no time)
  TimePoint health_checked_at_{};   // last on_health_timers run (a stuck deadline waits 1 ms)


  // --- test hooks
  std::array<std::vector<std::vector<uint8_t>>, 3> injected_frames_;
  std::optional<std::vector<uint8_t>> tp_override_;
  bool pad_initial_outside_ = false;

  // --- events and stats
  std::deque<ConnectionEvent> events_;
  ConnectionStats stats_;
};

}  // namespace braid::conn

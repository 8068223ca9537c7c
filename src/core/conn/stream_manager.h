// The connection's streams and everything counted across them: the streams by ID, the
// round-robin queue of streams with data to send, streams owed a writable event, the
// shared send-buffer and reassembly budgets, stream-ID allocation and the stream limits of
// both ends (per direction), and connection-level flow control (RFC 9000 §4).
#pragma once
#include <deque>
#include <map>
#include <optional>
#include <set>

#include "braid/types.h"
#include "core/conn/flow_control.h"
#include "core/conn/recv_buffer.h"
#include "core/conn/send_buffer.h"

namespace braid::conn {

struct Stream {
  StreamId id = 0;
  // Send half (absent on a receive-only stream).
  std::optional<SendBuffer> send;
  SendFlowLimit send_limit{0};
  bool reset_sent = false;        // we abandoned sending (RESET_STREAM)
  uint64_t reset_code = 0;
  uint64_t reset_final_size = 0;
  bool reset_acked = false;
  bool stop_sending_received = false;
  bool finished_reported = false;
  bool in_send_queue = false;
  bool blocked_signalled = false;
  // Receive half (absent on a send-only stream).
  std::optional<RecvBuffer> recv;
  std::optional<RecvFlowWindow> recv_window;
  bool reset_received = false;
  bool stop_sending_sent = false;
  uint64_t stop_sending_code = 0;
  bool recv_done = false;         // everything read or reset: counts towards MAX_STREAMS
  bool duplicate = false;         // every byte also sent on another path (set_stream_duplicate)
};

inline bool is_bidi_stream(StreamId id) { return (id & 0x2) == 0; }
inline bool is_client_stream(StreamId id) { return (id & 0x1) == 0; }

class StreamManager {
 public:
  using Map = std::map<StreamId, Stream>;
  explicit StreamManager(Perspective self) : self_(self) {}

  // Map-like access to the streams, in ID order.
  Map::iterator begin() { return streams_.begin(); }
  Map::iterator end() { return streams_.end(); }
  Map::const_iterator begin() const { return streams_.begin(); }
  Map::const_iterator end() const { return streams_.end(); }
  Map::iterator find(StreamId id) { return streams_.find(id); }
  Map::const_iterator find(StreamId id) const { return streams_.find(id); }
  size_t count(StreamId id) const { return streams_.count(id); }
  size_t size() const { return streams_.size(); }
  size_t erase(StreamId id) { return streams_.erase(id); }
  Stream* get(StreamId id);
  const Stream* get(StreamId id) const;
  Stream& insert(Stream s);

  // Opened by this end (by the ID's initiator bit).
  bool is_local(StreamId id) const { return is_client_stream(id) == (self_ == Perspective::kClient); }
  // The ID of the next local stream of a kind, without taking it.
  StreamId next_local_id(bool bidi) const;

  // Streams with something to send, served round-robin; a stream appears at most once.
  void queue_send(Stream& s);
  std::deque<StreamId> send_queue;
  std::set<StreamId> write_blocked;     // stream_write fell short: a writable event is owed
  bool any_duplicated = false;          // some stream asked for duplication

  SendPool pool;        // every stream's send buffer charges it (before the streams: they point in)
  PieceBudget pieces;   // out-of-order pieces of every stream

  // Stream counts of one direction: local IDs handed out and the peer's limit for them;
  // our limit for the peer's streams, how many it opened and how many are done.
  struct Counts {
    uint64_t next_local = 0, peer_max = 0;
    uint64_t local_max = 0, remote_opened = 0, remote_done = 0;
    bool blocked_signalled = false;
  };
  Counts bidi, uni;
  Counts& counts(bool bidirectional) { return bidirectional ? bidi : uni; }

  // Connection-level flow control.
  SendFlowLimit conn_send_limit{0};
  uint64_t conn_bytes_sent = 0;          // fresh stream bytes sent (credit used)
  std::optional<RecvFlowWindow> conn_recv_window;
  uint64_t conn_bytes_received = 0;      // sum of the highest offsets across streams
  uint64_t conn_bytes_read = 0;

 private:
  Perspective self_;
  Map streams_;
};

}  // namespace braid::conn

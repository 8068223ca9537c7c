// StreamManager: stream lookup, local ID allocation and the send queue.
#include "core/conn/stream_manager.h"

namespace braid::conn {

Stream* StreamManager::get(StreamId id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : &it->second;
}

const Stream* StreamManager::get(StreamId id) const {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : &it->second;
}

Stream& StreamManager::insert(Stream s) {
  StreamId id = s.id;
  return streams_.emplace(id, std::move(s)).first->second;
}

StreamId StreamManager::next_local_id(bool bidi_stream) const {
  uint64_t index = bidi_stream ? bidi.next_local : uni.next_local;
  return (index << 2) | (self_ == Perspective::kServer ? 1 : 0) | (bidi_stream ? 0 : 2);
}

void StreamManager::queue_send(Stream& s) {
  if (s.in_send_queue || !s.send || s.reset_sent) return;
  s.in_send_queue = true;
  send_queue.push_back(s.id);
}

}  // namespace braid::conn

// Payloads of datagrams travelling through Links, keyed by packet id (the Link only sees
// sizes). A payload is released when its last copy is delivered or the link discards it;
// buffers are recycled so steady-state transfers allocate nothing per packet.
#pragma once
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "braid/address.h"

namespace braid::sim {

struct StoredPacket {
  std::vector<uint8_t> bytes;
  uint8_t ecn = 0;
  bool to_server = false;
  size_t client = 0, path = 0;  // the path it travels on (client side of the tuple)
};

class PacketStore {
 public:
  // Stores a copy of `data`; returns its new id.
  uint64_t put(std::span<const uint8_t> data, uint8_t ecn, bool to_server, size_t client, size_t path) {
    StoredPacket p;
    if (!free_.empty()) {
      p.bytes = std::move(free_.back());
      free_.pop_back();
    }
    p.bytes.assign(data.begin(), data.end());
    p.ecn = ecn;
    p.to_server = to_server;
    p.client = client;
    p.path = path;
    uint64_t id = next_id_++;
    packets_.emplace(id, std::move(p));
    return id;
  }
  StoredPacket* find(uint64_t id) {
    auto it = packets_.find(id);
    return it == packets_.end() ? nullptr : &it->second;
  }
  void release(uint64_t id) {
    auto it = packets_.find(id);
    if (it == packets_.end()) return;
    if (free_.size() < 4096) free_.push_back(std::move(it->second.bytes));
    packets_.erase(it);
  }
  size_t size() const { return packets_.size(); }

 private:
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, StoredPacket> packets_;
  std::vector<std::vector<uint8_t>> free_;
};

}  // namespace braid::sim

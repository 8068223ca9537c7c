// What a transfer reports while it runs (F-XFER metrics), on either side.
#pragma once
#include <cstdint>
#include <string>

#include "braid/time.h"
#include "transfer/mode_detector.h"

namespace braid::transfer {

struct TransferMetrics {
  uint64_t total_bytes = 0;        // 0 while a byte stream's size is unknown
  uint64_t confirmed_bytes = 0;    // written and verified at the receiver (resumed ones too)
  uint64_t resumed_bytes = 0;      // confirmed before this connection began
  uint64_t bytes_sent = 0;         // chunk bytes written to streams by this side (resends count)
  uint64_t bytes_received = 0;     // chunk bytes read from streams by this side
  uint32_t active_streams = 0;     // chunk streams open now
  uint32_t total_streams = 0;      // chunk streams opened so far
  uint64_t chunks_confirmed = 0;
  uint64_t chunk_size = 0;         // what new chunks get now (sender)
  double throughput_bits_per_second = 0;   // confirmed bytes of this connection / time since start
  Duration average_latency{};      // chunk: first byte written → CHUNK_OK (sender)
  double loss_rate = 0;            // packets lost / sent on the connection
  TransferMode mode = TransferMode::kHybrid;
  double mode_confidence = 0;
  uint32_t mode_switches = 0;
  std::string congestion_controller;
  uint32_t streams_target = 0;     // the profile's parallel streams
  std::string health;              // "healthy", or e.g. "1/2 paths healthy"
  Duration since_health_check{};   // since the paths were last looked at
  bool complete = false;
};

}  // namespace braid::transfer

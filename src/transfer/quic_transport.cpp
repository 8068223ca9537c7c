#include <algorithm>

#include "transfer/transport.h"

namespace braid::transfer {

size_t QuicTransport::writable(StreamId id) {
  auto w = c_.stream_writable(id);
  return w ? *w : 0;
}

TransportStatus QuicTransport::status(TimePoint now) const {
  // From the path snapshots alone (the transfer asks after every input; stats() would copy
  // every counter and walk every stream): packets of the paths the connection has now.
  TransportStatus s;
  for (const PathSnapshot& p : c_.path_snapshots(now)) {
    s.packets_sent += p.packets_sent;
    s.packets_lost += p.packets_lost;
    TransportPath t;
    t.id = p.path_id;
    t.health = p.health;
    t.usable = p.state == PathState::kActive && !p.abandoned && p.health == PathHealth::kHealthy;
    t.smoothed_rtt = p.has_rtt_sample ? p.smoothed_rtt : Duration::zero();
    uint64_t bytes_per_second = std::max(p.delivery_rate_bytes_per_second, p.bottleneck_bandwidth_bytes_per_second);
    t.bandwidth_bits_per_second = 8.0 * static_cast<double>(bytes_per_second);
    s.paths.push_back(t);
  }
  return s;
}

bool QuicTransport::set_congestion_controller(TimePoint now, const std::string& name, std::string& error) {
  auto r = c_.set_congestion_controller(now, name);
  if (!r) error = r.error().reason;
  return r.has_value();
}

std::optional<TransportEvent> QuicTransport::translate(const ConnectionEvent& ev) {
  TransportEvent t;
  t.stream = ev.stream_id;
  t.code = ev.error_code;
  switch (ev.type) {
    case ConnectionEventType::kStreamOpened: t.kind = TransportEventKind::kStreamOpened; break;
    case ConnectionEventType::kStreamReadable: t.kind = TransportEventKind::kStreamReadable; break;
    case ConnectionEventType::kStreamWritable: t.kind = TransportEventKind::kStreamWritable; break;
    case ConnectionEventType::kStreamReset: t.kind = TransportEventKind::kStreamReset; break;
    case ConnectionEventType::kStreamStopSending: t.kind = TransportEventKind::kStreamStopSending; break;
    case ConnectionEventType::kConnectionClosed:
      t.kind = TransportEventKind::kClosed;
      if (ev.error) t.reason = ev.error->reason;
      break;
    default:
      return std::nullopt;
  }
  return t;
}

}  // namespace braid::transfer

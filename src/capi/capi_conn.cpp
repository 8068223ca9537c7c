// Connection commands of the C API (streams, DATAGRAMs, paths, stats, close): argument
// checks, then one call into the owning Runtime, whose thread-safety they inherit.
#include <fmt/format.h>

#include <algorithm>

#include "capi/capi_enums.h"
#include "capi/capi_internal.h"

using braid::capi::from_api;
using braid::capi::guarded;
using braid::capi::invalid;

namespace {

template <typename F>
braid_status with_conn(braid_conn conn, F&& fn) {
  if (!conn.owner || conn.id == 0) return invalid("not a connection (braid_conn is empty)");
  return guarded([&] { return fn(conn.owner->runtime()); });
}

template <typename T>
braid_status status_of(const braid::ApiResult<T>& r) {
  return r ? BRAID_OK : from_api(r.error());
}

uint64_t us(braid::Duration d) { return static_cast<uint64_t>(std::max<int64_t>(0, braid::to_us(d))); }

void fill_path(const braid::PathStats& p, braid_path_stats& out) {
  out = braid_path_stats{};
  out.id = p.path_id;
  out.state = braid::capi::to_c_path_state(p.state);
  out.health = braid::capi::to_c_health(p.health);
  out.backup = p.backup ? 1 : 0;
  braid::capi::copy_out(p.tuple.local.to_string(), out.local, sizeof out.local);
  braid::capi::copy_out(p.tuple.remote.to_string(), out.remote, sizeof out.remote);
  out.smoothed_rtt_us = us(p.smoothed_rtt);
  out.min_rtt_us = us(p.min_rtt);
  out.latest_rtt_us = us(p.latest_rtt);
  out.rtt_variance_us = us(p.rtt_variance);
  out.congestion_window = p.congestion_window;
  out.bytes_in_flight = p.bytes_in_flight;
  out.bytes_sent = p.bytes_sent;
  out.bytes_received = p.bytes_received;
  out.stream_bytes_sent = p.stream_bytes_sent;
  out.stream_bytes_received = p.stream_bytes_received;
  out.packets_sent = p.packets_sent;
  out.packets_received = p.packets_received;
  out.packets_lost = p.packets_lost;
  out.mtu = p.max_datagram_size;
}

}  // namespace

extern "C" {

braid_status braid_stream_open(braid_conn conn, int bidirectional, uint64_t* stream) {
  if (!stream) return invalid("stream output is NULL");
  return with_conn(conn, [&](braid::Runtime& rt) {
    auto r = rt.open_stream(conn.id, bidirectional != 0);
    if (r) *stream = *r;
    return status_of(r);
  });
}

braid_status braid_stream_write(braid_conn conn, uint64_t stream, const uint8_t* data, size_t len, int fin,
                                size_t* written) {
  if (written) *written = 0;
  if (!data && len > 0) return invalid("data is NULL");
  return with_conn(conn, [&](braid::Runtime& rt) {
    auto r = rt.write(conn.id, stream, std::span<const uint8_t>(data, len), fin != 0);
    if (r && written) *written = *r;
    return status_of(r);
  });
}

braid_status braid_stream_finish(braid_conn conn, uint64_t stream) {
  return with_conn(conn, [&](braid::Runtime& rt) { return status_of(rt.finish(conn.id, stream)); });
}

braid_status braid_stream_reset(braid_conn conn, uint64_t stream, uint64_t app_error) {
  return with_conn(conn, [&](braid::Runtime& rt) { return status_of(rt.reset_stream(conn.id, stream, app_error)); });
}

braid_status braid_datagram_send(braid_conn conn, const uint8_t* data, size_t len) {
  if (!data && len > 0) return invalid("data is NULL");
  return with_conn(conn, [&](braid::Runtime& rt) {
    return status_of(rt.send_datagram(conn.id, std::span<const uint8_t>(data, len)));
  });
}

braid_status braid_path_open(braid_conn conn, const char* local, const char* remote, uint32_t* path) {
  return with_conn(conn, [&](braid::Runtime& rt) {
    auto l = braid::capi::parse_address(local);
    if (!l) return invalid(fmt::format("'{}' is not a local address (e.g. 127.0.0.2)", local ? local : "(null)"));
    std::optional<braid::SocketAddress> r;
    if (remote) {
      r = braid::SocketAddress::parse(remote);
      if (!r || r->port == 0) return invalid(fmt::format("'{}' is not a remote address with a port", remote));
    }
    auto id = rt.open_path(conn.id, *l, r);
    if (id && path) *path = *id;
    return status_of(id);
  });
}

braid_status braid_path_close(braid_conn conn, uint32_t path) {
  return with_conn(conn, [&](braid::Runtime& rt) { return status_of(rt.close_path(conn.id, path)); });
}

braid_status braid_path_set_backup(braid_conn conn, uint32_t path, int backup) {
  return with_conn(conn, [&](braid::Runtime& rt) { return status_of(rt.set_path_backup(conn.id, path, backup != 0)); });
}

braid_status braid_path_set_congestion_controller(braid_conn conn, uint32_t path, const char* name) {
  if (!name) return invalid("congestion controller name is NULL");
  return with_conn(conn, [&](braid::Runtime& rt) { return status_of(rt.set_congestion_controller(conn.id, name, path)); });
}

braid_status braid_stream_read(braid_conn conn, uint64_t stream, uint8_t* buf, size_t len, size_t* read, int* fin) {
  if (!read || !fin || (!buf && len > 0)) return invalid("buffer or output pointer is NULL");
  *read = 0;
  *fin = 0;
  return with_conn(conn, [&](braid::Runtime& rt) {
    auto r = rt.read(conn.id, stream, std::span<uint8_t>(buf, len));
    if (!r) return from_api(r.error());
    *read = r->bytes;
    *fin = r->fin ? 1 : 0;
    return BRAID_OK;
  });
}

braid_status braid_conn_stats_get(braid_conn conn, braid_conn_stats* out) {
  if (!out) return invalid("stats output is NULL");
  return with_conn(conn, [&](braid::Runtime& rt) {
    auto st = rt.stats(conn.id);
    if (!st) return from_api(st.error());
    *out = braid_conn_stats{};
    out->packets_sent = st->packets_sent;
    out->packets_received = st->packets_received;
    out->packets_lost = st->packets_lost;
    out->bytes_sent = st->bytes_sent;
    out->bytes_received = st->bytes_received;
    out->stream_bytes_sent = st->stream_bytes_sent;
    out->stream_bytes_received = st->stream_bytes_received;
    out->multipath = st->multipath ? 1 : 0;
    out->bonding = braid::capi::to_c_bonding(st->bonding);
    out->paths_total = st->paths.size();
    out->path_count = std::min<size_t>(st->paths.size(), BRAID_MAX_PATH_STATS);
    for (size_t i = 0; i < out->path_count; ++i) fill_path(st->paths[i], out->paths[i]);
    return BRAID_OK;
  });
}

braid_status braid_path_status(braid_conn conn, uint32_t path, braid_path_stats* out) {
  if (!out) return invalid("stats output is NULL");
  return with_conn(conn, [&](braid::Runtime& rt) {
    auto st = rt.stats(conn.id);
    if (!st) return from_api(st.error());
    for (const auto& p : st->paths) {
      if (p.path_id == path) {
        fill_path(p, *out);
        return BRAID_OK;
      }
    }
    return braid::capi::set_error(BRAID_ERR_NOT_FOUND, fmt::format("no path {} on this connection", path));
  });
}

braid_status braid_conn_close(braid_conn conn, uint64_t app_error, const char* reason) {
  return with_conn(conn, [&](braid::Runtime& rt) {
    return status_of(rt.close(conn.id, app_error, reason ? reason : ""));
  });
}

}  // extern "C"

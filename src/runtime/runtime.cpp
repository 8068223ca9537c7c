// Client, Server and their shared commands: each command is one round trip to the loop
// thread through RuntimeCore::with_connection.
#include <fmt/format.h>

#include "io/monotonic_clock.h"
#include "runtime/runtime_core.h"

namespace braid {

const char* runtime_event_name(RuntimeEventType t) {
  switch (t) {
    case RuntimeEventType::kAccepted: return "accepted";
    case RuntimeEventType::kEvent: return "event";
    case RuntimeEventType::kStreamData: return "stream_data";
    case RuntimeEventType::kDatagram: return "datagram";
    case RuntimeEventType::kClosed: return "closed";
  }
  return "unknown";
}

Runtime::Runtime(std::unique_ptr<RuntimeCore> core) : core_(std::move(core)) {}
Runtime::~Runtime() = default;
Runtime::Runtime(Runtime&&) noexcept = default;
Runtime& Runtime::operator=(Runtime&&) noexcept = default;

std::optional<RuntimeEvent> Runtime::poll_event() { return core_->queue().pop(); }
std::optional<RuntimeEvent> Runtime::wait_event(std::chrono::milliseconds timeout) {
  return core_->queue().wait(timeout);
}
int Runtime::event_fd() const { return core_->queue().fd(); }

ApiResult<StreamId> Runtime::open_stream(ConnId c, bool bidirectional) {
  return core_->with_connection<StreamId>(c, [&](io::EndpointDriver&, Connection& conn) {
    return conn.open_stream(bidirectional);
  });
}

ApiResult<size_t> Runtime::write(ConnId c, StreamId s, std::span<const uint8_t> data, bool fin) {
  return core_->with_connection<size_t>(c, [&](io::EndpointDriver&, Connection& conn) {
    return conn.stream_write(s, data, fin);
  });
}

ApiResult<size_t> Runtime::write(ConnId c, StreamId s, std::string_view text, bool fin) {
  return write(c, s, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()), fin);
}

ApiStatus Runtime::finish(ConnId c, StreamId s) {
  auto r = write(c, s, std::span<const uint8_t>{}, true);
  if (!r) return std::unexpected(r.error());
  return {};
}

ApiResult<ReadResult> Runtime::read(ConnId c, StreamId s, std::span<uint8_t> out) {
  if (core_->options().deliver_stream_data) {
    return api_fail(ApiErrorCode::kInvalid, "stream bytes arrive as kStreamData events (deliver_stream_data is on)");
  }
  return core_->with_connection<ReadResult>(c, [&](io::EndpointDriver&, Connection& conn) -> ApiResult<ReadResult> {
    ReadResult r;
    auto n = conn.stream_read(s, out, r.fin);
    if (!n) return std::unexpected(n.error());
    r.bytes = *n;
    return r;
  });
}

ApiStatus Runtime::reset_stream(ConnId c, StreamId s, uint64_t app_error) {
  return core_->with_connection<void>(c, [&](io::EndpointDriver&, Connection& conn) {
    return conn.stream_reset(s, app_error);
  });
}

ApiResult<PathId> Runtime::open_path(ConnId c, const SocketAddress& local, std::optional<SocketAddress> remote) {
  if (!local.valid()) return api_fail(ApiErrorCode::kInvalid, "open_path needs a local address");
  return core_->with_connection<PathId>(c, [&](io::EndpointDriver& d, Connection& conn) -> ApiResult<PathId> {
    auto bound = d.add_socket(local);
    if (!bound) return api_fail(ApiErrorCode::kInvalid, bound.error());
    SocketAddress to;
    if (remote) {
      to = *remote;
    } else {
      auto st = conn.stats();
      if (st.paths.empty()) return api_fail(ApiErrorCode::kNotReady, "the connection has no path yet");
      to = st.paths.front().tuple.remote;
    }
    return conn.open_path(io::monotonic_now(), *bound, to);
  });
}

ApiStatus Runtime::close_path(ConnId c, PathId p) {
  return core_->with_connection<void>(c, [&](io::EndpointDriver&, Connection& conn) {
    return conn.close_path(io::monotonic_now(), p);
  });
}

ApiStatus Runtime::set_path_backup(ConnId c, PathId p, bool backup) {
  return core_->with_connection<void>(c, [&](io::EndpointDriver&, Connection& conn) {
    return conn.set_path_status(io::monotonic_now(), p, backup);
  });
}

ApiStatus Runtime::set_congestion_controller(ConnId c, std::string_view name, std::optional<PathId> p) {
  return core_->with_connection<void>(c, [&](io::EndpointDriver&, Connection& conn) {
    return conn.set_congestion_controller(io::monotonic_now(), name, p);
  });
}

ApiStatus Runtime::send_datagram(ConnId c, std::span<const uint8_t> data) {
  return core_->with_connection<void>(c, [&](io::EndpointDriver&, Connection& conn) {
    return conn.send_datagram(data);
  });
}

ApiResult<ConnectionStats> Runtime::stats(ConnId c) {
  return core_->with_connection<ConnectionStats>(
      c, [&](io::EndpointDriver&, Connection& conn) -> ApiResult<ConnectionStats> { return conn.stats(); });
}

ApiStatus Runtime::close(ConnId c, uint64_t app_error, std::string reason) {
  return core_->with_connection<void>(c, [&](io::EndpointDriver&, Connection& conn) -> ApiStatus {
    if (!conn.is_draining()) conn.close(io::monotonic_now(), app_error, std::move(reason));
    return {};
  });
}

ApiStatus Runtime::run(ConnId c, const std::function<void(Connection&)>& fn) {
  return core_->with_connection<void>(c, [&](io::EndpointDriver&, Connection& conn) -> ApiStatus {
    fn(conn);
    return {};
  });
}

std::vector<SocketAddress> Runtime::local_addresses() { return core_->local_addresses(); }

ApiResult<Client> Client::create(RuntimeOptions options) {
  auto core = RuntimeCore::start(std::move(options), Perspective::kClient);
  if (!core) return std::unexpected(core.error());
  return Client(std::move(*core));
}

ApiResult<ConnId> Client::connect(const SocketAddress& remote, std::optional<std::string> server_name) {
  return core_->connect(remote, std::move(server_name));
}

ApiResult<Server> Server::create(RuntimeOptions options) {
  auto core = RuntimeCore::start(std::move(options), Perspective::kServer);
  if (!core) return std::unexpected(core.error());
  return Server(std::move(*core));
}

SocketAddress Server::local_address() {
  auto a = core_->local_addresses();
  return a.empty() ? SocketAddress{} : a.front();
}

std::string Server::certificate_fingerprint() { return core_->fingerprint; }

}  // namespace braid

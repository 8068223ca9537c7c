// RuntimeCore: the loop-thread half of Client and Server. Core events become queue
// entries here; stream bytes are read as they arrive while the queue has room; extra paths
// configured for a client are asked for at connect (the core queues them until the
// handshake, the peer's path IDs and CIDs allow, or reports kNotOpened).
#include "runtime/runtime_core.h"

#include <fmt/format.h>

#include "io/monotonic_clock.h"
#include "runtime/server_credentials.h"

namespace braid {

namespace {
constexpr size_t kReadChunkBytes = 64 * 1024;
}  // namespace

RuntimeCore::RuntimeCore(RuntimeOptions options, Perspective role) : opts_(std::move(options)), role_(role) {}

ApiResult<std::unique_ptr<RuntimeCore>> RuntimeCore::start(RuntimeOptions options, Perspective role) {
  std::unique_ptr<RuntimeCore> core(new RuntimeCore(std::move(options), role));
  RuntimeOptions& o = core->opts_;
  if (role == Perspective::kServer) {
    if (!o.bind) return api_fail(ApiErrorCode::kInvalid, "a server needs a bind address to listen on");
    auto creds = runtime::prepare_server_credentials(o.connection.tls, *o.bind, o.generate_certificate, core->rng_);
    if (!creds) return std::unexpected(creds.error());
    core->fingerprint = *creds;
  }
  ConnectionConfig checked = o.connection;
  checked.advertise_addresses.clear();   // checked once bound (port 0 picks one), in make_driver
  if (auto ok = check_connection_config(checked); !ok) return api_fail(ApiErrorCode::kInvalid, ok.error());
  RuntimeCore* self = core.get();
  core->queue_ = std::make_unique<runtime::EventQueue>(o.max_queued_bytes, [self] {
    self->thread_->post([self] { self->resume_reading(); });
  });
  if (!core->queue_->valid()) return api_fail(ApiErrorCode::kClosed, "cannot create the event queue's eventfd");
  core->read_buf_.resize(kReadChunkBytes);
  auto t = io::LoopThread::start();
  if (!t) return api_fail(ApiErrorCode::kClosed, "cannot start the event loop: " + t.error().message());
  core->thread_ = std::move(*t);
  if (o.bind) {
    SocketAddress bind = *o.bind;
    if (auto ok = core->thread_->call([&] { return self->make_driver(bind); }); !ok) return std::unexpected(ok.error());
  }
  return core;
}

RuntimeCore::~RuntimeCore() {
  if (!thread_) return;
  thread_->call([this] {
    if (driver_) driver_->close_all(0, "closed by the application");
    driver_.reset();   // connections still draining go with it; nobody reads the queue now
    conns_.clear();
  });
  thread_->stop();
}

io::DriverCallbacks RuntimeCore::callbacks() {
  io::DriverCallbacks cb;
  cb.on_connection = [this](Connection& c) {
    ConnId id = driver_->id_of(&c);
    conns_[id];
    if (role_ == Perspective::kServer) queue_->push(RuntimeEvent{.type = RuntimeEventType::kAccepted, .conn = id});
  };
  cb.on_event = [this](Connection& c, const ConnectionEvent& ev) { on_event(c, ev); };
  cb.on_service = [this](Connection& c) { on_service(c); };
  cb.on_closed = [this](Connection& c) {
    ConnId id = driver_->id_of(&c);
    conns_.erase(id);
    queue_->push(RuntimeEvent{.type = RuntimeEventType::kClosed, .conn = id, .error = c.close_reason()});
  };
  return cb;
}

ApiStatus RuntimeCore::make_driver(const SocketAddress& bind) {
  io::EndpointDriverOptions o;
  o.bind = bind;
  o.qlog_dir = opts_.qlog_dir;
  o.endpoint.connection = opts_.connection;
  o.endpoint.accept_connections = role_ == Perspective::kServer;
  auto d = io::EndpointDriver::create(thread_->loop(), rng_, std::move(o), callbacks());
  if (!d) return api_fail(ApiErrorCode::kInvalid, d.error());
  driver_ = std::move(*d);
  if (role_ == Perspective::kServer && !opts_.connection.advertise_addresses.empty()) {
    auto bound = driver_->bind_advertised_addresses(opts_.connection.advertise_addresses);
    if (!bound) {
      driver_.reset();
      return api_fail(ApiErrorCode::kInvalid, "advertised address " + bound.error());
    }
    opts_.connection.advertise_addresses = std::move(*bound);
  }
  if (role_ == Perspective::kClient) {
    // Bound now so that a bad path address fails here, not silently after the handshake.
    for (const auto& a : opts_.path_addresses) {
      if (auto b = driver_->add_socket(a); !b) {
        driver_.reset();
        return api_fail(ApiErrorCode::kInvalid, "path address: " + b.error());
      }
    }
  }
  return {};
}

ApiResult<ConnId> RuntimeCore::connect(const SocketAddress& remote, std::optional<std::string> server_name) {
  if (!remote.valid() || remote.port == 0) {
    return api_fail(ApiErrorCode::kInvalid, fmt::format("'{}' is not a server address with a port", remote.to_string()));
  }
  return thread_->call([&]() -> ApiResult<ConnId> {
    if (!driver_) {
      auto src = io::EndpointDriver::source_address_for(remote);
      if (!src) return api_fail(ApiErrorCode::kInvalid, "no route to " + remote.to_string());
      if (auto ok = make_driver(*src); !ok) return std::unexpected(ok.error());
    }
    ConnectionConfig cfg = opts_.connection;
    if (server_name) cfg.tls.server_name = *server_name;
    auto c = driver_->connect(cfg, remote);
    if (!c) return api_fail(ApiErrorCode::kInvalid, "cannot start the connection: " + c.error().reason);
    ConnId id = driver_->id_of(*c);
    auto locals = driver_->local_addresses();
    TimePoint now = io::monotonic_now();
    for (const auto& want : opts_.path_addresses) {
      for (const auto& have : locals) {
        if (have.same_ip(want) && (want.port == 0 || want.port == have.port) && have != locals.front()) {
          // Refused only for a bad request (e.g. an address family the remote lacks);
          // a peer without multipath is reported later as a kPathEvent kNotOpened.
          if (auto p = (*c)->open_path(now, have, remote); !p) {
            (*c)->close(now, 0, "path request refused");
            driver_->service(**c);
            return api_fail(p.error().code, "path from " + have.to_string() + ": " + p.error().reason);
          }
          break;
        }
      }
    }
    driver_->service(**c);
    return id;
  });
}

std::vector<SocketAddress> RuntimeCore::local_addresses() {
  return thread_->call([this] { return driver_ ? driver_->local_addresses() : std::vector<SocketAddress>{}; });
}

void RuntimeCore::on_event(Connection& c, const ConnectionEvent& ev) {
  ConnId id = driver_->id_of(&c);
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  ConnState& st = it->second;
  switch (ev.type) {
    case ConnectionEventType::kStreamOpened:
    case ConnectionEventType::kStreamReadable:
      if (opts_.deliver_stream_data) {
        st.readable.insert(ev.stream_id);
        if (ev.type == ConnectionEventType::kStreamReadable) return;   // the bytes are the event
      }
      break;
    case ConnectionEventType::kDatagramReceived:
      while (auto d = c.recv_datagram()) {
        queue_->push(RuntimeEvent{.type = RuntimeEventType::kDatagram, .conn = id, .data = std::move(*d)});
      }
      return;
    case ConnectionEventType::kConnectionClosed:
      return;   // kClosed follows once the connection is gone, with the reason
    default:
      break;
  }
  queue_->push(RuntimeEvent{.type = RuntimeEventType::kEvent, .conn = id, .event = ev});
}

void RuntimeCore::on_service(Connection& c) {
  auto it = conns_.find(driver_->id_of(&c));
  if (it == conns_.end()) return;
  if (!it->second.readable.empty()) read_streams(c, it->second);
}

void RuntimeCore::read_streams(Connection& c, ConnState& st) {
  ConnId id = driver_->id_of(&c);
  for (auto s = st.readable.begin(); s != st.readable.end();) {
    bool done = false;
    while (!done) {
      if (queue_->full()) return;   // resume_reading() comes back once the application drained
      bool fin = false;
      auto n = c.stream_read(*s, read_buf_, fin);
      if (!n) {
        done = true;   // reset, or not a stream we may read
        break;
      }
      if (*n > 0 || fin) {
        RuntimeEvent ev{.type = RuntimeEventType::kStreamData, .conn = id, .stream = *s, .fin = fin};
        ev.data.assign(read_buf_.begin(), read_buf_.begin() + static_cast<std::ptrdiff_t>(*n));
        queue_->push(std::move(ev));
      }
      if (fin || *n == 0) done = true;
    }
    s = st.readable.erase(s);
  }
}

void RuntimeCore::resume_reading() {
  if (!driver_) return;
  std::vector<ConnId> ids;   // service() may close a connection and erase its state
  for (const auto& [id, st] : conns_) {
    if (!st.readable.empty()) ids.push_back(id);
  }
  for (ConnId id : ids) {
    if (Connection* c = driver_->find(id)) driver_->service(*c);   // on_service reads
  }
}

}  // namespace braid

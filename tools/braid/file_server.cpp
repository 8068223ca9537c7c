// FileServer: per-stream jobs for hq-interop (file responses read with pread) and perf
// (N zero bytes after an 8-byte big-endian length, upload discarded), DATAGRAM echo.
#include "tools/braid/file_server.h"
#include "tools/braid/hq_request.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <unordered_map>

#include "braid/certificate.h"
#include "io/monotonic_clock.h"
#include "io/sockaddr_conv.h"
#include "tools/braid/tool_support.h"
#include "tools/braid/upload_session.h"
#include "transfer/transfer_wire.h"

namespace braid::tool {

namespace fs = std::filesystem;

const char* hq_error_name(uint64_t code) {
  switch (code) {
    case kHqBadRequest: return "bad request";
    case kHqNotFound: return "not found";
    case kHqReadError: return "read error";
    default: return "unknown error";
  }
}

namespace {
constexpr size_t kMaxRequestBytes = 4096;
constexpr size_t kChunkBytes = 256 * 1024;
}  // namespace

struct FileServer::Job {
  enum class Kind : uint8_t { kHq, kPerf } kind = Kind::kHq;
  std::string request;          // hq: request bytes so far
  uint8_t perf_header[8]{};
  size_t perf_header_len = 0;
  bool responding = false;      // response size known, writing
  bool response_done = false;   // FIN or RESET_STREAM written
  bool request_done = false;    // request FIN read (or reset)
  int fd = -1;
  uint64_t size = 0, offset = 0;     // response size and bytes accepted by the stream
  ~Job() {
    if (fd >= 0) ::close(fd);
  }
  Job() = default;
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;
};

struct FileServer::ConnState {
  uint64_t id = 0;
  TimePoint handshake{};
  std::unique_ptr<PathActionRunner> actions;
  std::string alpn;
  std::map<StreamId, std::unique_ptr<Job>> jobs;
  std::vector<StreamId> senders;  // jobs with response bytes left to write
  std::unique_ptr<UploadSession> upload;   // ALPN braid-xfer
  io::EventLoop::TimerId upload_timer = io::EventLoop::kNoTimer;
};

std::expected<std::unique_ptr<FileServer>, std::string> FileServer::create(io::EventLoop& loop, FileServerOptions opts) {
  std::unique_ptr<FileServer> s(new FileServer());
  s->conns_ = std::make_unique<std::unordered_map<const Connection*, ConnState>>();
  if (!opts.root.empty()) {
    std::error_code ec;
    auto canon = fs::canonical(opts.root, ec);
    if (ec || !fs::is_directory(canon)) return std::unexpected(fmt::format("--root {}: not a directory", opts.root));
    s->root_canonical_ = canon.string();
  }

  if (!opts.upload_dir.empty()) {
    std::error_code ec;
    if (!fs::is_directory(opts.upload_dir, ec)) {
      return std::unexpected(fmt::format("upload directory {}: not a directory", opts.upload_dir));
    }
    if (::access(opts.upload_dir.c_str(), W_OK) != 0) {
      return std::unexpected(fmt::format("upload directory {}: not writable", opts.upload_dir));
    }
    if (std::find(opts.alpn.begin(), opts.alpn.end(), transfer::kTransferAlpn) == opts.alpn.end()) {
      opts.alpn.push_back(transfer::kTransferAlpn);
    }
    s->upload_sinks_ = std::make_unique<transfer::FileSinkFactory>(opts.upload_dir, opts.overwrite_uploads);
  }
  io::EndpointDriverOptions o;
  o.bind = opts.listen;
  o.qlog_dir = opts.qlog_dir;
  auto& cc = o.endpoint.connection;
  cc.tls.alpn = opts.alpn;
  cc.congestion_controller = opts.congestion_controller;
  cc.scheduler = opts.scheduler;
  cc.duplication = opts.duplication;
  cc.reinjection = opts.reinjection;
  cc.failure_detection = opts.failure_detection;
  cc.initial_max_path_id = opts.max_paths > 0 ? opts.max_paths - 1 : 0;
  cc.key_update_interval_packets = opts.key_update_after_packets;
  cc.ack_frequency = opts.ack_frequency;
  if (opts.load_balancer) {
    cc.load_balancer = opts.load_balancer;
    cc.connection_id_length = opts.load_balancer->cid_length();
  }
  if (opts.workers > 1) {
    o.socket.reuseport_workers = opts.workers;
    cc.cid_worker_count = opts.workers;
    cc.cid_worker_index = opts.worker_index;
  }
  if (opts.cert_file.empty() && opts.key_file.empty() && !opts.cert_pem.empty()) {
    cc.tls.cert_pem = opts.cert_pem;
    cc.tls.key_pem = opts.key_pem;
  } else if (!opts.cert_file.empty() || !opts.key_file.empty()) {
    if (opts.cert_file.empty() || opts.key_file.empty()) return std::unexpected("--cert and --key go together");
    cc.tls.cert_file = opts.cert_file;
    cc.tls.key_file = opts.key_file;
  } else {
    std::vector<std::string> names{"localhost"};
    if (io::is_wildcard(opts.listen)) {
      names.push_back(opts.listen.family == SocketAddress::Family::kV6 ? "::1" : "127.0.0.1");
    } else {
      names.push_back(opts.listen.ip_string());
    }
    auto cert = generate_self_signed_certificate(names, s->rng_.next_u64() >> 1, std::time(nullptr) - 3600, 30);
    if (!cert) return std::unexpected(cert.error().reason);
    cc.tls.cert_pem = cert->cert_pem;
    cc.tls.key_pem = cert->key_pem;
    s->fingerprint_ = cert->sha256_fingerprint;
    s->cert_pem_ = cert->cert_pem;
    s->key_pem_ = cert->key_pem;
  }
  try {
    cc.tls.keylog = keylog_to_file(opts.keylog_file);
  } catch (const std::exception& e) {
    return std::unexpected(e.what());
  }
  o.endpoint.require_retry = opts.retry;
  o.endpoint.max_connections = opts.max_connections;

  io::DriverCallbacks cb;
  FileServer* self = s.get();
  const io::DriverCallbacks watch = opts.observer;  // told after the server's own handling
  cb.on_connection = [self, watch](Connection& c) {
    self->on_connection(c);
    if (watch.on_connection) watch.on_connection(c);
  };
  cb.on_event = [self, watch](Connection& c, const ConnectionEvent& ev) {
    self->on_event(c, ev);
    if (watch.on_event) watch.on_event(c, ev);
  };
  cb.on_service = [self](Connection& c) { self->on_service(c); };
  cb.on_closed = [self, watch](Connection& c) {
    self->on_closed(c);
    if (watch.on_closed) watch.on_closed(c);
  };
  auto d = io::EndpointDriver::create(loop, s->rng_, std::move(o), std::move(cb));
  if (!d) return std::unexpected(d.error());
  s->driver_ = std::move(*d);
  if (opts.preferred_address) {
    if (opts.preferred_address->family != opts.listen.family) {
      return std::unexpected("--preferred-address must be of the --listen address family");
    }
    if (io::is_wildcard(*opts.preferred_address)) {
      return std::unexpected("--preferred-address needs a concrete address: clients are told to send there");
    }
    auto bound = s->driver_->add_socket(*opts.preferred_address);
    if (!bound) return std::unexpected("--preferred-address: " + bound.error());
    auto cfg = s->driver_->endpoint().connection_config();
    cfg.preferred_address = *bound;
    s->driver_->endpoint().set_connection_config(cfg);
    s->preferred_bound_ = *bound;
  }
  if (!opts.advertise.empty()) {
    auto bound = s->driver_->bind_advertised_addresses(opts.advertise);
    if (!bound) return std::unexpected("--advertise " + bound.error());
    s->advertised_bound_ = std::move(*bound);
  }
  s->opts_ = std::move(opts);
  return s;
}

FileServer::~FileServer() {
  driver_.reset();  // callbacks may still touch conns_ while connections are destroyed
}

void FileServer::shutdown() { driver_->close_all(0, "server shutting down"); }

void FileServer::on_connection(Connection& c) {
  auto& cs = (*conns_)[&c];
  cs.id = ++accepted_;
  if (opts_.log_connections) {
    auto st = c.stats();
    fmt::print(stderr, "[conn {}] from {}\n", cs.id, st.paths.empty() ? "?" : st.paths[0].tuple.remote.to_string());
  }
}

void FileServer::on_closed(Connection& c) {
  auto it = conns_->find(&c);
  if (it == conns_->end()) return;
  if (stop_pending_ && it->second.upload) driver_->loop().stop();
  if (opts_.log_connections) {
    auto st = c.stats();
    auto reason = c.close_reason();
    fmt::print(stderr, "[conn {}] closed ({}): sent {} in {} packets, {} lost; {}, key_updates={}\n", it->second.id,
               reason ? describe_error(*reason) : std::string("no reason"), format_bytes(st.stream_bytes_sent),
               st.packets_sent, st.packets_lost, st.multipath ? "multipath" : "single-path", st.key_updates);
    // Per path, in key=value form for scripts (paths abandoned long enough ago are gone).
    for (const auto& p : st.paths) {
      fmt::print(stderr, "[conn {}] path {} {} -> {} ({}{}): stream_bytes_sent={} packets_sent={} packets_lost={}\n",
                 it->second.id, p.path_id, p.tuple.local.to_string(), p.tuple.remote.to_string(), path_state_name(p.state),
                 p.backup ? ", backup" : "", p.stream_bytes_sent, p.packets_sent, p.packets_lost);
    }
  }
  conns_->erase(it);
}

void FileServer::on_event(Connection& c, const ConnectionEvent& ev) {
  auto it = conns_->find(&c);
  if (it == conns_->end()) return;
  ConnState& cs = it->second;
  if (ev.type == ConnectionEventType::kHandshakeCompleted && upload_sinks_ && c.alpn() == transfer::kTransferAlpn) {
    cs.upload = std::make_unique<UploadSession>(*upload_sinks_, cs.id, opts_.log_connections, [this](const UploadReport& r) {
      (r.ok ? uploads_ok_ : uploads_failed_)++;
      if (opts_.stop_after_uploads && uploads_ok_ + uploads_failed_ >= opts_.stop_after_uploads && !stop_pending_) {
        // The sender closes once it has read DONE (or the ERROR); stop then, or after a
        // grace period for a sender that does not.
        stop_pending_ = true;
        driver_->loop().add_timer(io::monotonic_now() + std::chrono::seconds(2), [this] { driver_->loop().stop(); });
      }
    });
  }
  if (cs.upload) {
    cs.upload->on_event(c, ev);
    return;
  }
  switch (ev.type) {
    case ConnectionEventType::kHandshakeCompleted:
      cs.alpn = c.alpn();
      cs.handshake = io::monotonic_now();
      if (!opts_.path_actions.empty()) {
        // The client opens its paths when it likes: a status for a path it has not opened
        // yet waits for it, up to 30 s after it was due.
        cs.actions = std::make_unique<PathActionRunner>(opts_.path_actions, std::chrono::seconds(30));
        for (auto& a : opts_.path_actions) {
          if (!a.when.after) continue;
          uint64_t conn_id = driver_->id_of(&c);
          driver_->loop().add_timer(cs.handshake + *a.when.after, [this, conn_id] {
            if (auto* conn = driver_->find(conn_id)) driver_->service(*conn);
          });
        }
      }
      break;
    case ConnectionEventType::kPathEvent:
      if (cs.actions && !cs.actions->finished()) {
        // A path the client just opened may be one an action waits for.
        uint64_t conn_id = driver_->id_of(&c);
        driver_->loop().add_timer(io::monotonic_now(), [this, conn_id] {
          if (auto* conn = driver_->find(conn_id)) driver_->service(*conn);
        });
      }
      break;
    case ConnectionEventType::kStreamOpened:
    case ConnectionEventType::kStreamReadable:
      on_readable(c, cs, ev.stream_id);
      break;
    case ConnectionEventType::kStreamReset:
    case ConnectionEventType::kStreamStopSending: {
      auto j = cs.jobs.find(ev.stream_id);
      if (j == cs.jobs.end()) break;
      if (ev.type == ConnectionEventType::kStreamReset) j->second->request_done = true;
      if (ev.type == ConnectionEventType::kStreamStopSending || !j->second->responding) {
        // The core answers STOP_SENDING with RESET_STREAM itself; a request abandoned
        // before it was complete gets no answer.
        if (!j->second->responding) (void)c.stream_reset(ev.stream_id, kHqBadRequest);
        j->second->response_done = true;
      }
      if (j->second->response_done && j->second->request_done) cs.jobs.erase(j);
      break;
    }
    case ConnectionEventType::kStreamFinished: {
      auto j = cs.jobs.find(ev.stream_id);
      if (j != cs.jobs.end() && j->second->request_done) cs.jobs.erase(j);
      break;
    }
    case ConnectionEventType::kDatagramReceived:
      while (auto d = c.recv_datagram()) (void)c.send_datagram(*d);
      break;
    default:
      break;
  }
}

void FileServer::on_readable(Connection& c, ConnState& cs, StreamId id) {
  if ((id & 0x3) != 0) return;  // only client-initiated bidirectional streams carry requests
  auto& slot = cs.jobs[id];
  if (!slot) {
    slot = std::make_unique<Job>();
    if (cs.alpn.empty()) cs.alpn = c.alpn();
    slot->kind = cs.alpn == "perf" ? Job::Kind::kPerf : Job::Kind::kHq;
  }
  Job& job = *slot;
  uint8_t buf[16384];
  for (;;) {
    bool fin = false;
    auto n = c.stream_read(id, buf, fin);
    if (!n) return;
    if (job.kind == Job::Kind::kPerf) {
      size_t used = 0;
      while (job.perf_header_len < 8 && used < *n) job.perf_header[job.perf_header_len++] = buf[used++];
      if (job.perf_header_len == 8 && !job.responding) {
        uint64_t v = 0;
        for (uint8_t b : job.perf_header) v = (v << 8) | b;
        job.size = v;
        job.responding = true;
        cs.senders.push_back(id);
      }
    } else if (!job.responding && !job.response_done) {
      job.request.append(reinterpret_cast<const char*>(buf), *n);
      if (job.request.size() > kMaxRequestBytes) {
        (void)c.stream_reset(id, kHqBadRequest);
        (void)c.stream_stop_sending(id, kHqBadRequest);
        job.response_done = job.request_done = true;
        return;
      }
      if (fin || job.request.find('\n') != std::string::npos) start_hq(c, job, id);
    }
    if (fin) {
      job.request_done = true;
      if (job.kind == Job::Kind::kPerf && !job.responding) {
        (void)c.stream_reset(id, kHqBadRequest);  // FIN before the 8-byte length
        job.response_done = true;
      } else if (job.kind == Job::Kind::kHq && !job.responding && !job.response_done) {
        start_hq(c, job, id);
      }
      return;
    }
    if (*n == 0) return;
  }
}

void FileServer::start_hq(Connection& c, Job& job, StreamId id) {
  auto reject = [&](uint64_t code) {
    (void)c.stream_reset(id, code);
    job.response_done = true;
  };
  auto path = hq_request_path(job.request);
  if (!path) return reject(path.error());
  auto file = resolve_under_root(root_canonical_, *path);
  if (!file) return reject(file.error());
  const std::string& fs_str = *file;
  // O_NONBLOCK: opening a FIFO (or a device) under --root must not block the event loop;
  // anything that is not a regular file is refused right after.
  int fd = ::open(fs_str.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return reject(kHqNotFound);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return reject(kHqNotFound);
  }
  job.fd = fd;
  job.size = static_cast<uint64_t>(st.st_size);
  job.responding = true;
  auto& cs = conns_->at(&c);
  cs.senders.push_back(id);
}

bool FileServer::write_response(Connection& c, Job& job, StreamId id) {
  static const std::vector<uint8_t> zeros(kChunkBytes, 0);
  while (true) {
    // Read only what the stream takes now, into one buffer shared by all responses: a
    // server with many slow readers holds no file bytes outside the connections' bounded
    // send buffers. At 0, a kStreamWritable event brings us back.
    auto room = c.stream_writable(id);
    if (!room) return true;  // stream reset or connection closing
    size_t want = static_cast<size_t>(std::min<uint64_t>({job.size - job.offset, kChunkBytes, *room}));
    if (want == 0 && job.offset < job.size) return false;
    std::span<const uint8_t> data;
    if (job.kind == Job::Kind::kHq) {
      scratch_.resize(kChunkBytes);
      ssize_t r = want == 0 ? 0 : ::pread(job.fd, scratch_.data(), want, static_cast<off_t>(job.offset));
      if (r < 0 || (r == 0 && want > 0)) {
        (void)c.stream_reset(id, kHqReadError);
        return true;
      }
      data = std::span<const uint8_t>(scratch_).first(static_cast<size_t>(r));
    } else {
      data = std::span<const uint8_t>(zeros).first(want);
    }
    bool fin = job.offset + data.size() == job.size;
    auto n = c.stream_write(id, data, fin);
    if (!n) return true;
    job.offset += *n;
    if (fin && *n == data.size()) return true;
    if (*n < data.size()) return false;  // cannot happen after stream_writable; kept safe
  }
}

void FileServer::on_service(Connection& c) {
  auto it = conns_->find(&c);
  if (it == conns_->end()) return;
  ConnState& cs = it->second;
  if (cs.upload) {
    TimePoint wake = cs.upload->service(c);
    if (wake != kNever && cs.upload_timer == io::EventLoop::kNoTimer) {
      uint64_t conn_id = driver_->id_of(&c);
      cs.upload_timer = driver_->loop().add_timer(wake, [this, conn_id] {
        if (auto* conn = driver_->find(conn_id)) {
          if (auto st = conns_->find(conn); st != conns_->end()) st->second.upload_timer = io::EventLoop::kNoTimer;
          driver_->service(*conn);
        }
      });
    }
    return;
  }
  if (cs.actions && !cs.actions->finished()) {
    TimePoint now = io::monotonic_now();
    cs.actions->run(c, now, cs.handshake, c.stats().stream_bytes_sent);
    if (opts_.log_connections) {
      for (auto& r : cs.actions->results()) {
        if (r.done && r.at && !r.reported) {
          fmt::print(stderr, "[conn {}] {} done at {:.3f} s\n", cs.id, r.spec, std::chrono::duration<double>(*r.at).count());
        } else if (!r.error.empty() && !r.reported) {
          fmt::print(stderr, "[conn {}] {} not done: {}\n", cs.id, r.spec, r.error);
        }
      }
    }
    cs.actions->mark_reported();
  }
  for (size_t i = 0; i < cs.senders.size();) {
    StreamId id = cs.senders[i];
    auto j = cs.jobs.find(id);
    bool done = true;
    if (j != cs.jobs.end() && !j->second->response_done) {
      done = write_response(c, *j->second, id);
      if (done) {
        j->second->response_done = true;
        if (j->second->fd >= 0) {
          ::close(j->second->fd);
          j->second->fd = -1;
        }
      }
    }
    if (done) {
      cs.senders.erase(cs.senders.begin() + static_cast<long>(i));
    } else {
      ++i;
    }
  }
}

}  // namespace braid::tool

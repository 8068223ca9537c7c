// What a Client or Server is inside: a LoopThread, the EndpointDriver that lives on it
// (created, used and destroyed only on that thread), per-connection runtime state (streams
// with unread bytes) and the event queue the application reads.
#pragma once
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "braid/runtime.h"
#include "io/crypto_random.h"
#include "io/endpoint_driver.h"
#include "io/loop_thread.h"
#include "runtime/event_queue.h"

namespace braid {

class RuntimeCore {
 public:
  // Starts the loop thread; a server (or a client with options.bind) binds right away.
  static ApiResult<std::unique_ptr<RuntimeCore>> start(RuntimeOptions options, Perspective role);
  ~RuntimeCore();   // closes every connection, destroys the driver on the loop, joins
  RuntimeCore(const RuntimeCore&) = delete;
  RuntimeCore& operator=(const RuntimeCore&) = delete;

  runtime::EventQueue& queue() { return *queue_; }
  const RuntimeOptions& options() const { return opts_; }
  std::string fingerprint;   // of a generated server certificate

  ApiResult<ConnId> connect(const SocketAddress& remote, std::optional<std::string> server_name);
  std::vector<SocketAddress> local_addresses();

  // Runs fn(driver, connection) on the loop thread, then services the connection.
  template <typename R, typename F>
  ApiResult<R> with_connection(ConnId id, F&& fn) {
    return thread_->call([&]() -> ApiResult<R> {
      Connection* c = driver_ ? driver_->find(id) : nullptr;
      if (!c) return api_fail(ApiErrorCode::kNotFound, "no such connection (closed or never existed)");
      ApiResult<R> r = fn(*driver_, *c);
      driver_->service(*c);
      return r;
    });
  }

 private:
  struct ConnState {
    std::set<StreamId> readable;   // may have unread bytes
  };

  RuntimeCore(RuntimeOptions options, Perspective role);
  ApiStatus make_driver(const SocketAddress& bind);   // on the loop thread
  io::DriverCallbacks callbacks();
  void on_event(Connection& c, const ConnectionEvent& ev);
  void on_service(Connection& c);
  void read_streams(Connection& c, ConnState& st);
  void resume_reading();

  RuntimeOptions opts_;
  Perspective role_;
  io::CryptoRandom rng_;
  std::unique_ptr<runtime::EventQueue> queue_;
  std::unique_ptr<io::LoopThread> thread_;
  // Loop-thread state.
  std::unique_ptr<io::EndpointDriver> driver_;
  std::unordered_map<ConnId, ConnState> conns_;
  std::vector<uint8_t> read_buf_;
};

}  // namespace braid

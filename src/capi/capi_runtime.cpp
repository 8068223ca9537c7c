// braid_client / braid_server: creation from a config, callbacks, the event fd and
// process(), connect, and the server's address.
#include <fmt/format.h>

#include "capi/capi_internal.h"

using braid::capi::from_api;
using braid::capi::guarded;
using braid::capi::invalid;

namespace {

template <typename Handle, typename Object>
braid_status create(const braid_config* cfg, Handle** out, bool server) {
  if (!out) return invalid("output pointer is NULL");
  *out = nullptr;
  if (!cfg) return invalid("config is NULL");
  return guarded([&] {
    braid::RuntimeOptions o = cfg->options;
    if (server && !o.bind) return invalid("a server needs braid_config_set_bind (e.g. 127.0.0.1:0)");
    auto obj = Object::create(std::move(o));
    if (!obj) return from_api(obj.error());
    *out = new Handle{braid_runtime{std::move(*obj), {}, {}, nullptr}};
    return BRAID_OK;
  });
}

braid_status set_callbacks(braid_runtime& rt, const braid_callbacks* cb, void* user) {
  std::lock_guard lock(rt.callbacks_mutex);
  rt.callbacks = cb ? *cb : braid_callbacks{};
  rt.user = user;
  return BRAID_OK;
}

}  // namespace

extern "C" {

braid_status braid_client_new(const braid_config* cfg, braid_client** out) {
  return create<braid_client, braid::Client>(cfg, out, false);
}

void braid_client_free(braid_client* client) {
  try {
    delete client;
  } catch (...) {
    // Destructors do not throw here; nothing may cross into C either way.
  }
}

braid_status braid_client_set_callbacks(braid_client* client, const braid_callbacks* cb, void* user) {
  if (!client) return invalid("client is NULL");
  return guarded([&] { return set_callbacks(client->rt, cb, user); });
}

braid_status braid_client_connect(braid_client* client, const char* remote, braid_conn* out) {
  if (!client || !out) return invalid("client or output pointer is NULL");
  *out = braid_conn{nullptr, 0};
  return guarded([&] {
    auto a = braid::capi::parse_address(remote);
    if (!a || a->port == 0) {
      return invalid(fmt::format("'{}' is not a server address with a port (e.g. 127.0.0.1:4433)",
                                 remote ? remote : "(null)"));
    }
    auto id = std::get<braid::Client>(client->rt.object).connect(*a);
    if (!id) return from_api(id.error());
    *out = braid_conn{&client->rt, *id};
    return BRAID_OK;
  });
}

int braid_client_fd(const braid_client* client) {
  return client ? std::get<braid::Client>(client->rt.object).event_fd() : -1;
}

braid_status braid_client_process(braid_client* client, int timeout_ms, size_t* dispatched) {
  if (!client) return invalid("client is NULL");
  return guarded([&] { return braid::capi::process(client->rt, timeout_ms, dispatched); });
}

braid_status braid_server_new(const braid_config* cfg, braid_server** out) {
  return create<braid_server, braid::Server>(cfg, out, true);
}

void braid_server_free(braid_server* server) {
  try {
    delete server;
  } catch (...) {
  }
}

braid_status braid_server_set_callbacks(braid_server* server, const braid_callbacks* cb, void* user) {
  if (!server) return invalid("server is NULL");
  return guarded([&] { return set_callbacks(server->rt, cb, user); });
}

uint16_t braid_server_port(const braid_server* server) {
  if (!server) return 0;
  try {
    return const_cast<braid::Server&>(std::get<braid::Server>(server->rt.object)).local_address().port;
  } catch (...) {
    return 0;
  }
}

braid_status braid_server_address(const braid_server* server, char* buf, size_t len) {
  if (!server || !buf || len == 0) return invalid("server or buffer is NULL");
  return guarded([&] {
    auto a = const_cast<braid::Server&>(std::get<braid::Server>(server->rt.object)).local_address();
    braid::capi::copy_out(a.to_string(), buf, len);
    return BRAID_OK;
  });
}

int braid_server_fd(const braid_server* server) {
  return server ? std::get<braid::Server>(server->rt.object).event_fd() : -1;
}

braid_status braid_server_process(braid_server* server, int timeout_ms, size_t* dispatched) {
  if (!server) return invalid("server is NULL");
  return guarded([&] { return braid::capi::process(server->rt, timeout_ms, dispatched); });
}

}  // extern "C"

// Event translation and dispatch: RuntimeEvents from the queue become calls of the
// application's C callbacks on the thread inside braid_*_process().
#include <string>
#include <string_view>

#include "braid/path.h"
#include "capi/capi_internal.h"
#include "capi/capi_enums.h"

namespace braid::capi {

namespace {

// `address` holds the text `out.address` points to while the callback runs.
braid_event to_c_event(const ConnectionEvent& ev, std::string& address) {
  braid_event out{};
  out.address = "";
  out.stream = ev.stream_id;
  out.path = ev.path_id;
  out.error_code = ev.error_code;
  out.path_state = BRAID_PATH_UNKNOWN;
  out.health = BRAID_HEALTH_HEALTHY;
  out.bonding = BRAID_BONDING_UNKNOWN;
  out.detail = ev.detail.c_str();
  switch (ev.type) {
    case ConnectionEventType::kHandshakeCompleted: out.type = BRAID_EVENT_HANDSHAKE_DONE; break;
    case ConnectionEventType::kStreamOpened: out.type = BRAID_EVENT_STREAM_OPENED; break;
    case ConnectionEventType::kStreamWritable: out.type = BRAID_EVENT_STREAM_WRITABLE; break;
    case ConnectionEventType::kStreamFinished: out.type = BRAID_EVENT_STREAM_FINISHED; break;
    case ConnectionEventType::kStreamReset: out.type = BRAID_EVENT_STREAM_RESET; break;
    case ConnectionEventType::kStreamStopSending: out.type = BRAID_EVENT_STREAM_STOP_SENDING; break;
    case ConnectionEventType::kPathEvent:
      out.type = BRAID_EVENT_PATH_STATE;
      out.path_state = to_c_path_state(ev.path_state);
      break;
    case ConnectionEventType::kPathHealthChanged:
      out.type = BRAID_EVENT_PATH_HEALTH;
      out.health = to_c_health(ev.health);
      break;
    case ConnectionEventType::kBondingChanged:
      out.type = BRAID_EVENT_BONDING;
      out.bonding = to_c_bonding(ev.bonding);
      break;
    case ConnectionEventType::kKeyUpdated: out.type = BRAID_EVENT_KEY_UPDATED; break;
    case ConnectionEventType::kStreamReadable: out.type = BRAID_EVENT_STREAM_READABLE; break;
    case ConnectionEventType::kAddressAdvertised:
      out.type = BRAID_EVENT_ADDRESS_ADVERTISED;
      address = ev.address.to_string();
      out.address = address.c_str();
      break;
    default: out.type = BRAID_EVENT_OTHER; break;
  }
  return out;
}

void dispatch(braid_runtime& rt, const braid_callbacks& cb, void* user, const RuntimeEvent& ev) {
  braid_conn conn{&rt, ev.conn};
  switch (ev.type) {
    case RuntimeEventType::kAccepted:
      if (cb.on_connection) cb.on_connection(user, conn);
      break;
    case RuntimeEventType::kEvent:
      if (cb.on_event) {
        std::string address;
        braid_event e = to_c_event(ev.event, address);
        cb.on_event(user, conn, &e);
      }
      break;
    case RuntimeEventType::kStreamData:
      if (cb.on_stream_data) cb.on_stream_data(user, conn, ev.stream, ev.data.data(), ev.data.size(), ev.fin ? 1 : 0);
      break;
    case RuntimeEventType::kDatagram:
      if (cb.on_datagram) cb.on_datagram(user, conn, ev.data.data(), ev.data.size());
      break;
    case RuntimeEventType::kClosed:
      if (cb.on_closed) {
        uint64_t code = ev.error ? ev.error->code : 0;
        std::string reason = ev.error ? ev.error->reason : std::string();
        cb.on_closed(user, conn, code, reason.c_str());
      }
      break;
  }
}

// Events handled per process() call at most, so a busy connection cannot keep the
// application inside it forever.
constexpr size_t kMaxEventsPerProcess = 4096;

}  // namespace

braid_status process(braid_runtime& rt, int timeout_ms, size_t* dispatched) {
  if (dispatched) *dispatched = 0;
  Runtime& r = rt.runtime();
  std::optional<RuntimeEvent> ev;
  if (timeout_ms == 0) {
    ev = r.poll_event();
  } else if (timeout_ms > 0) {
    ev = r.wait_event(std::chrono::milliseconds(timeout_ms));
  } else {
    while (!(ev = r.wait_event(std::chrono::hours(1)))) {
    }
  }
  size_t n = 0;
  while (ev) {
    braid_callbacks cb;
    void* user;
    {
      std::lock_guard lock(rt.callbacks_mutex);
      cb = rt.callbacks;
      user = rt.user;
    }
    dispatch(rt, cb, user, *ev);
    if (++n == kMaxEventsPerProcess) break;
    ev = r.poll_event();
  }
  if (dispatched) *dispatched = n;
  return BRAID_OK;
}

}  // namespace braid::capi

// What the C API's opaque handles are, and the guard every entry point runs in: C++
// results and exceptions become braid_status codes plus a thread-local message.
#pragma once
#include <exception>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <variant>

#include "braid/braid.h"
#include "braid/runtime.h"

struct braid_config {
  braid::RuntimeOptions options;
};

// One client or server plus the callbacks its process() call dispatches to.
struct braid_runtime {
  std::variant<braid::Client, braid::Server> object;
  std::mutex callbacks_mutex;
  braid_callbacks callbacks{};
  void* user = nullptr;
  braid::Runtime& runtime() {
    return std::visit([](auto& o) -> braid::Runtime& { return o; }, object);
  }
};
struct braid_client {
  braid_runtime rt;
};
struct braid_server {
  braid_runtime rt;
};

namespace braid::capi {

braid_status set_error(braid_status status, std::string message);   // returns status
braid_status from_api(const ApiError& e);                            // code + reason
braid_status invalid(std::string message);

// Runs `fn` (returning braid_status); exceptions become BRAID_ERR_INTERNAL.
template <typename F>
braid_status guarded(F&& fn) noexcept {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return set_error(BRAID_ERR_INTERNAL, "out of memory");
  } catch (const std::exception& e) {
    return set_error(BRAID_ERR_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return set_error(BRAID_ERR_INTERNAL, "internal error");
  }
}

std::optional<SocketAddress> parse_address(const char* text);
// Copies `text` into buf (NUL-terminated, truncated); returns text's length.
size_t copy_out(const std::string& text, char* buf, size_t len);
braid_status process(braid_runtime& rt, int timeout_ms, size_t* dispatched);

}  // namespace braid::capi

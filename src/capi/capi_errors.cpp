// braid_status texts, the thread-local last-error message, and the mapping from the C++
// API's ApiErrorCode to braid_status.
#include <algorithm>
#include <cstring>

#include "capi/capi_internal.h"

namespace braid::capi {

namespace {
thread_local std::string last_error;
}

braid_status set_error(braid_status status, std::string message) {
  try {
    last_error = std::move(message);
  } catch (...) {
    // Out of memory for the message: keep the code, lose the text.
  }
  return status;
}

braid_status invalid(std::string message) { return set_error(BRAID_ERR_INVALID, std::move(message)); }

braid_status from_api(const ApiError& e) {
  braid_status s = BRAID_ERR_INTERNAL;
  switch (e.code) {
    case ApiErrorCode::kInvalid: s = BRAID_ERR_INVALID; break;
    case ApiErrorCode::kNotFound: s = BRAID_ERR_NOT_FOUND; break;
    case ApiErrorCode::kNotReady: s = BRAID_ERR_NOT_READY; break;
    case ApiErrorCode::kLimit: s = BRAID_ERR_LIMIT; break;
    case ApiErrorCode::kWouldBlock: s = BRAID_ERR_WOULD_BLOCK; break;
    case ApiErrorCode::kClosed: s = BRAID_ERR_CLOSED; break;
    case ApiErrorCode::kUnsupported: s = BRAID_ERR_UNSUPPORTED; break;
  }
  return set_error(s, e.reason);
}

std::optional<SocketAddress> parse_address(const char* text) {
  if (!text) return std::nullopt;
  return SocketAddress::parse(text);
}

size_t copy_out(const std::string& text, char* buf, size_t len) {
  if (buf && len > 0) {
    size_t n = std::min(text.size(), len - 1);
    std::memcpy(buf, text.data(), n);
    buf[n] = '\0';
  }
  return text.size();
}

}  // namespace braid::capi

extern "C" {

const char* braid_strerror(braid_status status) {
  switch (status) {
    case BRAID_OK: return "ok";
    case BRAID_ERR_INVALID: return "invalid argument";
    case BRAID_ERR_NOT_FOUND: return "not found";
    case BRAID_ERR_NOT_READY: return "not ready";
    case BRAID_ERR_LIMIT: return "limit reached";
    case BRAID_ERR_WOULD_BLOCK: return "would block";
    case BRAID_ERR_CLOSED: return "closed";
    case BRAID_ERR_UNSUPPORTED: return "unsupported";
    case BRAID_ERR_SYSTEM: return "system error";
    case BRAID_ERR_INTERNAL: return "internal error";
  }
  return "unknown status";
}

const char* braid_last_error(void) { return braid::capi::last_error.c_str(); }

}  // extern "C"

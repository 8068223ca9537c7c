// Transport and application error codes (RFC 9000 §20, draft-ietf-quic-multipath §10) and the
// Result type every fallible core operation returns. No exceptions cross the core.
#pragma once
#include <cstdint>
#include <expected>
#include <string>

namespace braid {

enum class TransportErrorCode : uint64_t {
  kNoError = 0x00,
  kInternalError = 0x01,
  kConnectionRefused = 0x02,
  kFlowControlError = 0x03,
  kStreamLimitError = 0x04,
  kStreamStateError = 0x05,
  kFinalSizeError = 0x06,
  kFrameEncodingError = 0x07,
  kTransportParameterError = 0x08,
  kConnectionIdLimitError = 0x09,
  kProtocolViolation = 0x0a,
  kInvalidToken = 0x0b,
  kApplicationError = 0x0c,
  kCryptoBufferExceeded = 0x0d,
  kKeyUpdateError = 0x0e,
  kAeadLimitReached = 0x0f,
  kNoViablePath = 0x10,
  kCryptoErrorBase = 0x0100,  // + TLS alert
  // draft-ietf-quic-multipath-21 §10.4 (connection errors) and path error codes
  kMpProtocolViolation = 0x1001d76d3ded42f3ULL,
};

// Error codes carried in PATH_ABANDON (draft-ietf-quic-multipath-21 §10.5).
enum class PathErrorCode : uint64_t {
  kApplicationAbandonPath = 0x3e,
  kPathResourceLimitReached = 0x3e75,
  kPathUnstableOrPoor = 0x3e76,
  kNoCidAvailableForPath = 0x3e77,
};

struct TransportError {
  uint64_t code = 0;           // TransportErrorCode, crypto error, or application code
  uint64_t frame_type = 0;     // frame that triggered it, 0 if none
  std::string reason;
  bool application = false;    // true: CONNECTION_CLOSE 0x1d with an application code

  static TransportError make(TransportErrorCode c, std::string why, uint64_t frame = 0) {
    return TransportError{static_cast<uint64_t>(c), frame, std::move(why), false};
  }
  bool operator==(const TransportError&) const = default;
};

template <typename T>
using Result = std::expected<T, TransportError>;
using Status = std::expected<void, TransportError>;

inline std::unexpected<TransportError> fail(TransportErrorCode c, std::string why, uint64_t frame = 0) {
  return std::unexpected(TransportError::make(c, std::move(why), frame));
}

const char* error_code_name(uint64_t code);

// Why an application call was refused: misuse or a state that does not allow it yet. These
// never go on the wire (peer errors are TransportErrors, in close_reason() and events), so
// callers branch on `code` and show `reason` to people.
enum class ApiErrorCode : uint8_t {
  kInvalid,       // bad argument: unknown name, wrong stream direction, too large, duplicate
  kNotFound,      // no such stream or path (never existed, or already gone)
  kNotReady,      // not yet: handshake unconfirmed, transport parameters not known
  kLimit,         // a limit the peer or the configuration sets (streams, path IDs, queue)
  kWouldBlock,    // nothing fits now; an event says when to try again
  kClosed,        // the connection (or that stream side) is closing or closed
  kUnsupported,   // the peer did not negotiate it, or this role cannot do it
};
const char* api_error_name(ApiErrorCode code);

struct ApiError {
  ApiErrorCode code = ApiErrorCode::kInvalid;
  std::string reason;
  bool operator==(const ApiError&) const = default;
};

template <typename T>
using ApiResult = std::expected<T, ApiError>;
using ApiStatus = std::expected<void, ApiError>;

inline std::unexpected<ApiError> api_fail(ApiErrorCode c, std::string why) {
  return std::unexpected(ApiError{c, std::move(why)});
}

}  // namespace braid

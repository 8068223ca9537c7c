// Human-readable names for transport error codes (for logs, qlog and CLI messages).
#include "braid/error.h"

namespace braid {

const char* error_code_name(uint64_t code) {
  if (code >= 0x0100 && code <= 0x01ff) return "CRYPTO_ERROR";
  switch (static_cast<TransportErrorCode>(code)) {
    case TransportErrorCode::kNoError: return "NO_ERROR";
    case TransportErrorCode::kInternalError: return "INTERNAL_ERROR";
    case TransportErrorCode::kConnectionRefused: return "CONNECTION_REFUSED";
    case TransportErrorCode::kFlowControlError: return "FLOW_CONTROL_ERROR";
    case TransportErrorCode::kStreamLimitError: return "STREAM_LIMIT_ERROR";
    case TransportErrorCode::kStreamStateError: return "STREAM_STATE_ERROR";
    case TransportErrorCode::kFinalSizeError: return "FINAL_SIZE_ERROR";
    case TransportErrorCode::kFrameEncodingError: return "FRAME_ENCODING_ERROR";
    case TransportErrorCode::kTransportParameterError: return "TRANSPORT_PARAMETER_ERROR";
    case TransportErrorCode::kConnectionIdLimitError: return "CONNECTION_ID_LIMIT_ERROR";
    case TransportErrorCode::kProtocolViolation: return "PROTOCOL_VIOLATION";
    case TransportErrorCode::kInvalidToken: return "INVALID_TOKEN";
    case TransportErrorCode::kApplicationError: return "APPLICATION_ERROR";
    case TransportErrorCode::kCryptoBufferExceeded: return "CRYPTO_BUFFER_EXCEEDED";
    case TransportErrorCode::kKeyUpdateError: return "KEY_UPDATE_ERROR";
    case TransportErrorCode::kAeadLimitReached: return "AEAD_LIMIT_REACHED";
    case TransportErrorCode::kNoViablePath: return "NO_VIABLE_PATH";
    case TransportErrorCode::kCryptoErrorBase: return "CRYPTO_ERROR";
    case TransportErrorCode::kMpProtocolViolation: return "MP_PROTOCOL_VIOLATION";
  }
  return "UNKNOWN";
}

const char* api_error_name(ApiErrorCode code) {
  switch (code) {
    case ApiErrorCode::kInvalid: return "invalid";
    case ApiErrorCode::kNotFound: return "not_found";
    case ApiErrorCode::kNotReady: return "not_ready";
    case ApiErrorCode::kLimit: return "limit";
    case ApiErrorCode::kWouldBlock: return "would_block";
    case ApiErrorCode::kClosed: return "closed";
    case ApiErrorCode::kUnsupported: return "unsupported";
  }
  return "unknown";
}

}  // namespace braid

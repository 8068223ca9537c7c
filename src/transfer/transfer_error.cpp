#include "transfer/transfer_error.h"

namespace braid::transfer {

const char* to_string(TransferErrorCode c) {
  switch (c) {
    case TransferErrorCode::kProtocol: return "protocol error";
    case TransferErrorCode::kRejected: return "rejected";
    case TransferErrorCode::kChecksumMismatch: return "checksum mismatch";
    case TransferErrorCode::kIo: return "I/O error";
    case TransferErrorCode::kDiskFull: return "disk full";
    case TransferErrorCode::kSizeMismatch: return "size mismatch";
    case TransferErrorCode::kConnectionClosed: return "connection closed";
    case TransferErrorCode::kCancelled: return "cancelled";
    case TransferErrorCode::kNotAFile: return "not a file";
  }
  return "unknown error";
}

}  // namespace braid::transfer

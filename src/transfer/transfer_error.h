// Why a transfer ended without success. The same codes travel in ERROR and REJECT
// messages, so both ends report the same reason.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace braid::transfer {

enum class TransferErrorCode : uint16_t {
  kProtocol = 1,          // a malformed or out-of-order message, a peer that lies about sizes
  kRejected = 2,          // the receiver refused the offer (bad name, exists, too big)
  kChecksumMismatch = 3,  // a chunk's or the whole transfer's SHA-256 differs
  kIo = 4,                // reading the source or writing the destination failed
  kDiskFull = 5,          // no space for the destination (ENOSPC, EFBIG, EDQUOT)
  kSizeMismatch = 6,      // the source changed size, or the final size differs from the offer
  kConnectionClosed = 7,  // the connection ended first (the transfer can be resumed)
  kCancelled = 8,
  kNotAFile = 9,          // the source path is a directory or another non-regular file
};

const char* to_string(TransferErrorCode c);

struct TransferError {
  TransferErrorCode code = TransferErrorCode::kProtocol;
  std::string message;
  std::string describe() const { return std::string(to_string(code)) + ": " + message; }
};

// The application error code a transfer closes its connection with after a fatal error.
inline constexpr uint64_t kTransferAppError = 0x4258;   // "BX"
// After sending ERROR or REJECT, how long a side waits for its peer to close the connection
// (so the message arrives, rather than being cut off by CONNECTION_CLOSE) before closing.
inline constexpr std::chrono::milliseconds kCloseGrace{1000};

}  // namespace braid::transfer

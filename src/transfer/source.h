// Where a sender's bytes come from: a buffer, a regular file, a byte stream (a pipe,
// stdin), or deterministic pattern bytes for tests and the simulator. Random-access
// sources are read at any offset; a byte stream only at its current position (the sender
// reads each of its chunks whole, in order).
#pragma once
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "transfer/transfer_error.h"

namespace braid::transfer {

class Source {
 public:
  virtual ~Source() = default;
  virtual std::optional<uint64_t> size() const = 0;   // nullopt: a byte stream
  virtual bool random_access() const = 0;
  // Up to out.size() bytes at `offset` (a byte stream: its position); 0 at the end.
  virtual std::expected<size_t, TransferError> read_at(uint64_t offset, std::span<uint8_t> out) = 0;
  // Called once every byte is confirmed: a file checks it did not change size meanwhile.
  virtual std::expected<void, TransferError> verify_unchanged() { return {}; }
};

// Bytes the caller keeps alive for the transfer.
std::unique_ptr<Source> buffer_source(std::span<const uint8_t> bytes);
// A regular file (kNotAFile for directories and devices, kIo when it cannot be opened).
std::expected<std::unique_ptr<Source>, TransferError> file_source(const std::string& path);
// A byte stream from a file descriptor the source does not own (e.g. 0 for stdin).
std::unique_ptr<Source> fd_stream_source(int fd);
// `size` bytes of a deterministic, non-periodic pattern; pattern_byte says what each is.
std::unique_ptr<Source> pattern_source(uint64_t size, uint64_t seed);
void fill_pattern(uint64_t seed, uint64_t offset, std::span<uint8_t> out);

}  // namespace braid::transfer

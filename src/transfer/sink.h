// Where a receiver writes: chunks land at their offsets as they arrive, in any order. A
// sink that can be resumed remembers the chunks it confirmed; the destination becomes
// visible only at commit (files: a hidden partial file renamed into place after fsync), so
// a failed or interrupted transfer never leaves something that looks complete.
#pragma once
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "transfer/range_set.h"
#include "transfer/sha256.h"
#include "transfer/transfer_error.h"
#include "transfer/transfer_wire.h"

namespace braid::transfer {

class Sink {
 public:
  virtual ~Sink() = default;
  virtual std::expected<void, TransferError> write_at(uint64_t offset, std::span<const uint8_t> data) = 0;
  virtual std::expected<size_t, TransferError> read_at(uint64_t offset, std::span<uint8_t> out) = 0;
  // A chunk was written and its checksum verified: a resumable sink records it.
  virtual std::expected<void, TransferError> confirm(Range r, const Digest& d) = 0;
  // Every byte arrived and the end-to-end checksum matched: durable, then visible.
  virtual std::expected<void, TransferError> commit(uint64_t size) = 0;
  // The transfer failed for good: nothing of it stays.
  virtual void discard() = 0;
  // The connection went before the end: what was confirmed stays for a resume.
  virtual void suspend() = 0;
  virtual std::string location() const = 0;   // for messages
};

struct OpenedSink {
  std::unique_ptr<Sink> sink;
  RangeSet confirmed;   // chunks a previous connection delivered (verified again)
};

// Opens the destination of an offer, or refuses it with the reason (kRejected, kDiskFull).
class SinkFactory {
 public:
  virtual ~SinkFactory() = default;
  virtual std::expected<OpenedSink, TransferError> open(const OfferMsg& offer) = 0;
};

// In memory, for the simulator and tests: completed transfers and the partial state of
// interrupted ones (per transfer ID) outlive the connection, like files would.
class MemorySinkStore final : public SinkFactory {
 public:
  struct Entry {
    std::vector<uint8_t> bytes;
    RangeSet confirmed;
    bool complete = false;
    uint64_t size = 0;
  };
  // capacity: the largest total the store accepts (kDiskFull above it).
  explicit MemorySinkStore(uint64_t capacity = UINT64_MAX) : capacity_(capacity) {}
  std::expected<OpenedSink, TransferError> open(const OfferMsg& offer) override;
  const Entry* find(const TransferId& id) const;
  const std::map<TransferId, Entry>& entries() const { return entries_; }

 private:
  uint64_t capacity_;
  std::map<TransferId, Entry> entries_;
};

// Files in a directory. The partial file is `.NAME.ID.part` beside its journal
// `.NAME.ID.journal` (one record per confirmed chunk: offset, length, SHA-256). A resumed
// transfer re-reads every journalled chunk and keeps only those whose bytes still match.
// An existing NAME is refused unless `overwrite`.
class FileSinkFactory final : public SinkFactory {
 public:
  FileSinkFactory(std::string dir, bool overwrite) : dir_(std::move(dir)), overwrite_(overwrite) {}
  std::expected<OpenedSink, TransferError> open(const OfferMsg& offer) override;

 private:
  std::string dir_;
  bool overwrite_;
};

}  // namespace braid::transfer

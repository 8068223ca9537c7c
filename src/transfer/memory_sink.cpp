// MemorySinkStore: the in-memory sink of the simulator and the tests.
#include <algorithm>
#include <cstring>

#include "transfer/sink.h"

namespace braid::transfer {
namespace {

class MemorySink final : public Sink {
 public:
  explicit MemorySink(MemorySinkStore::Entry& e) : e_(e) {}
  std::expected<void, TransferError> write_at(uint64_t offset, std::span<const uint8_t> data) override {
    if (offset + data.size() > e_.bytes.size()) {
      if (e_.size != 0 && offset + data.size() > e_.size) {
        return std::unexpected(TransferError{TransferErrorCode::kSizeMismatch, "write beyond the offered size"});
      }
      e_.bytes.resize(offset + data.size());
    }
    std::memcpy(e_.bytes.data() + offset, data.data(), data.size());
    return {};
  }
  std::expected<size_t, TransferError> read_at(uint64_t offset, std::span<uint8_t> out) override {
    if (offset >= e_.bytes.size()) return 0;
    size_t n = std::min<size_t>(out.size(), e_.bytes.size() - offset);
    std::memcpy(out.data(), e_.bytes.data() + offset, n);
    return n;
  }
  std::expected<void, TransferError> confirm(Range r, const Digest&) override {
    e_.confirmed.add(r);
    return {};
  }
  std::expected<void, TransferError> commit(uint64_t size) override {
    e_.bytes.resize(size);
    e_.size = size;
    e_.complete = true;
    return {};
  }
  void discard() override {
    e_.bytes.clear();
    e_.bytes.shrink_to_fit();
    e_.confirmed.clear();
  }
  void suspend() override {}
  std::string location() const override { return "memory"; }

 private:
  MemorySinkStore::Entry& e_;
};

}  // namespace

std::expected<OpenedSink, TransferError> MemorySinkStore::open(const OfferMsg& offer) {
  if (offer.size && *offer.size > capacity_) {
    return std::unexpected(TransferError{TransferErrorCode::kDiskFull, "the transfer is larger than the store"});
  }
  Entry& e = entries_[offer.id];
  if (e.complete) {
    return std::unexpected(TransferError{TransferErrorCode::kRejected, "transfer already complete"});
  }
  if (offer.size && e.size != *offer.size) {
    e = Entry{};
    e.size = *offer.size;
    e.bytes.resize(*offer.size);
  }
  return OpenedSink{std::make_unique<MemorySink>(e), e.confirmed};
}

const MemorySinkStore::Entry* MemorySinkStore::find(const TransferId& id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace braid::transfer

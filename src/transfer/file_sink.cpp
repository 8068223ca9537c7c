// FileSinkFactory: partial files written in place with a journal, renamed on success.
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "transfer/sink.h"

namespace braid::transfer {
namespace {

constexpr uint8_t kJournalMagic[4] = {'B', 'X', 'J', '1'};
constexpr size_t kJournalHeader = 4 + 16 + 8;
constexpr size_t kJournalRecord = 8 + 8 + 32;

TransferError errno_error(const std::string& what) {
  int e = errno;
  bool full = e == ENOSPC || e == EFBIG || e == EDQUOT;
  return TransferError{full ? TransferErrorCode::kDiskFull : TransferErrorCode::kIo, what + ": " + std::strerror(e)};
}

void put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
}
uint64_t get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

bool write_all(int fd, const uint8_t* p, size_t n, off_t at) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, n, at);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
    at += w;
  }
  return true;
}

class FileSink final : public Sink {
 public:
  FileSink(int fd, int journal, std::string dir, std::string part, std::string journal_path, std::string final_path,
           bool overwrite)
      : fd_(fd), journal_(journal), dir_(std::move(dir)), part_(std::move(part)), journal_path_(std::move(journal_path)),
        final_(std::move(final_path)), overwrite_(overwrite) {
    journal_end_ = ::lseek(journal_, 0, SEEK_END);
  }
  ~FileSink() override {
    if (fd_ >= 0) ::close(fd_);
    if (journal_ >= 0) ::close(journal_);
  }

  std::expected<void, TransferError> write_at(uint64_t offset, std::span<const uint8_t> data) override {
    if (!write_all(fd_, data.data(), data.size(), static_cast<off_t>(offset))) {
      return std::unexpected(errno_error("writing " + part_));
    }
    return {};
  }
  std::expected<size_t, TransferError> read_at(uint64_t offset, std::span<uint8_t> out) override {
    for (;;) {
      ssize_t n = ::pread(fd_, out.data(), out.size(), static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return std::unexpected(errno_error("reading " + part_));
      return static_cast<size_t>(n);
    }
  }
  std::expected<void, TransferError> confirm(Range r, const Digest& d) override {
    uint8_t rec[kJournalRecord];
    put64(rec, r.offset);
    put64(rec + 8, r.length);
    std::memcpy(rec + 16, d.data(), 32);
    // The journal is a hint: a resume re-verifies every record against the bytes on disk,
    // so it needs no fsync per chunk.
    if (!write_all(journal_, rec, sizeof rec, journal_end_)) return std::unexpected(errno_error("writing " + journal_path_));
    journal_end_ += static_cast<off_t>(sizeof rec);
    return {};
  }
  std::expected<void, TransferError> commit(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return std::unexpected(errno_error("truncating " + part_));
    if (::fsync(fd_) != 0) return std::unexpected(errno_error("fsync " + part_));
    int rc = overwrite_ ? ::rename(part_.c_str(), final_.c_str())
                        : ::renameat2(AT_FDCWD, part_.c_str(), AT_FDCWD, final_.c_str(), RENAME_NOREPLACE);
    if (rc != 0) return std::unexpected(errno_error("renaming " + part_ + " to " + final_));
    ::unlink(journal_path_.c_str());
    int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);   // the rename itself durable
      ::close(dfd);
    }
    committed_ = true;
    return {};
  }
  void discard() override {
    if (committed_) return;
    ::unlink(part_.c_str());
    ::unlink(journal_path_.c_str());
  }
  void suspend() override {
    ::fdatasync(fd_);
    ::fdatasync(journal_);
  }
  std::string location() const override { return final_; }

 private:
  int fd_, journal_;
  off_t journal_end_ = 0;
  std::string dir_, part_, journal_path_, final_;
  bool overwrite_;
  bool committed_ = false;
};

// Records of an existing journal whose chunk bytes still hash to what was recorded.
RangeSet verified_records(int journal, int fd, const TransferId& id, uint64_t size) {
  RangeSet ok;
  struct stat st{};
  if (::fstat(journal, &st) != 0 || static_cast<size_t>(st.st_size) < kJournalHeader) return ok;
  std::vector<uint8_t> j(static_cast<size_t>(st.st_size));
  if (::pread(journal, j.data(), j.size(), 0) != static_cast<ssize_t>(j.size())) return ok;
  if (std::memcmp(j.data(), kJournalMagic, 4) != 0 || std::memcmp(j.data() + 4, id.data(), 16) != 0 ||
      get64(j.data() + 20) != size) {
    return ok;
  }
  std::vector<uint8_t> buf;
  for (size_t at = kJournalHeader; at + kJournalRecord <= j.size(); at += kJournalRecord) {
    Range r{get64(j.data() + at), get64(j.data() + at + 8)};
    if (r.length == 0 || r.length > kMaxChunkLength || r.end() > size || r.end() < r.offset) continue;
    buf.resize(r.length);
    if (::pread(fd, buf.data(), buf.size(), static_cast<off_t>(r.offset)) != static_cast<ssize_t>(buf.size())) continue;
    if (std::memcmp(Sha256::of(buf).data(), j.data() + at + 16, 32) == 0) ok.add(r);
  }
  return ok;
}

}  // namespace

std::expected<OpenedSink, TransferError> FileSinkFactory::open(const OfferMsg& offer) {
  if (!valid_file_name(offer.name)) {
    return std::unexpected(TransferError{TransferErrorCode::kRejected, "not an acceptable file name"});
  }
  std::string final_path = dir_ + "/" + offer.name;
  struct stat st{};
  if (!overwrite_ && ::lstat(final_path.c_str(), &st) == 0) {
    return std::unexpected(TransferError{TransferErrorCode::kRejected, offer.name + " exists on the receiver"});
  }
  std::string stem = dir_ + "/." + offer.name + "." + to_hex(std::span(offer.id).first(8));
  std::string part = stem + ".part", journal_path = stem + ".journal";
  int fd = ::open(part.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return std::unexpected(errno_error("creating " + part));
  int jfd = ::open(journal_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (jfd < 0) {
    auto e = errno_error("creating " + journal_path);
    ::close(fd);
    ::unlink(part.c_str());
    return std::unexpected(e);
  }
  uint64_t size = offer.size.value_or(0);
  OpenedSink out;
  if (offer.size) out.confirmed = verified_records(jfd, fd, offer.id, size);
  if (out.confirmed.empty()) {
    // A fresh start: an empty journal with this transfer's header, the file pre-allocated.
    uint8_t h[kJournalHeader];
    std::memcpy(h, kJournalMagic, 4);
    std::memcpy(h + 4, offer.id.data(), 16);
    put64(h + 20, size);
    bool ok = ::ftruncate(jfd, 0) == 0 && write_all(jfd, h, sizeof h, 0) && ::ftruncate(fd, 0) == 0;
    int rc = ok && size > 0 ? ::posix_fallocate(fd, 0, static_cast<off_t>(size)) : 0;
    if (rc == EOPNOTSUPP || rc == EINVAL) rc = ::ftruncate(fd, static_cast<off_t>(size)) == 0 ? 0 : errno;
    if (!ok || rc != 0) {
      if (rc != 0) errno = rc;
      auto e = errno_error("allocating " + std::to_string(size) + " bytes for " + part);
      ::close(fd);
      ::close(jfd);
      ::unlink(part.c_str());
      ::unlink(journal_path.c_str());
      return std::unexpected(e);
    }
  }
  out.sink = std::make_unique<FileSink>(fd, jfd, dir_, part, journal_path, final_path, overwrite_);
  return out;
}

}  // namespace braid::transfer

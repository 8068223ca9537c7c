#include "transfer/source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace braid::transfer {
namespace {

TransferError io_error(const std::string& what) {
  return TransferError{TransferErrorCode::kIo, what + ": " + std::strerror(errno)};
}

class BufferSource final : public Source {
 public:
  explicit BufferSource(std::span<const uint8_t> b) : b_(b) {}
  std::optional<uint64_t> size() const override { return b_.size(); }
  bool random_access() const override { return true; }
  std::expected<size_t, TransferError> read_at(uint64_t offset, std::span<uint8_t> out) override {
    if (offset >= b_.size()) return 0;
    size_t n = std::min<size_t>(out.size(), b_.size() - offset);
    std::memcpy(out.data(), b_.data() + offset, n);
    return n;
  }

 private:
  std::span<const uint8_t> b_;
};

class FileSource final : public Source {
 public:
  FileSource(int fd, uint64_t size, std::string path) : fd_(fd), size_(size), path_(std::move(path)) {}
  ~FileSource() override { ::close(fd_); }
  std::optional<uint64_t> size() const override { return size_; }
  bool random_access() const override { return true; }
  std::expected<size_t, TransferError> read_at(uint64_t offset, std::span<uint8_t> out) override {
    size_t want = static_cast<size_t>(std::min<uint64_t>(out.size(), offset < size_ ? size_ - offset : 0));
    size_t got = 0;
    while (got < want) {
      ssize_t n = ::pread(fd_, out.data() + got, want - got, static_cast<off_t>(offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return std::unexpected(io_error("reading " + path_));
      if (n == 0) {
        return std::unexpected(TransferError{TransferErrorCode::kSizeMismatch, path_ + " shrank while it was sent"});
      }
      got += static_cast<size_t>(n);
    }
    return got;
  }
  std::expected<void, TransferError> verify_unchanged() override {
    struct stat st{};
    if (::fstat(fd_, &st) != 0) return std::unexpected(io_error("stat " + path_));
    if (static_cast<uint64_t>(st.st_size) != size_) {
      return std::unexpected(TransferError{TransferErrorCode::kSizeMismatch, path_ + " changed size while it was sent"});
    }
    return {};
  }

 private:
  int fd_;
  uint64_t size_;
  std::string path_;
};

class FdStreamSource final : public Source {
 public:
  explicit FdStreamSource(int fd) : fd_(fd) {}
  std::optional<uint64_t> size() const override { return std::nullopt; }
  bool random_access() const override { return false; }
  std::expected<size_t, TransferError> read_at(uint64_t offset, std::span<uint8_t> out) override {
    if (offset != position_) {
      return std::unexpected(TransferError{TransferErrorCode::kIo, "a byte stream is read in order only"});
    }
    size_t got = 0;
    while (got < out.size()) {
      ssize_t n = ::read(fd_, out.data() + got, out.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return std::unexpected(io_error("reading the input stream"));
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    position_ += got;
    return got;
  }

 private:
  int fd_;
  uint64_t position_ = 0;
};

class PatternSource final : public Source {
 public:
  PatternSource(uint64_t size, uint64_t seed) : size_(size), seed_(seed) {}
  std::optional<uint64_t> size() const override { return size_; }
  bool random_access() const override { return true; }
  std::expected<size_t, TransferError> read_at(uint64_t offset, std::span<uint8_t> out) override {
    if (offset >= size_) return 0;
    size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), size_ - offset));
    fill_pattern(seed_, offset, out.first(n));
    return n;
  }

 private:
  uint64_t size_, seed_;
};

uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

std::unique_ptr<Source> buffer_source(std::span<const uint8_t> bytes) { return std::make_unique<BufferSource>(bytes); }

std::expected<std::unique_ptr<Source>, TransferError> file_source(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(io_error("cannot open " + path));
  struct stat st{};
  if (::fstat(fd, &st) != 0) {
    auto e = io_error("stat " + path);
    ::close(fd);
    return std::unexpected(e);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::unexpected(TransferError{TransferErrorCode::kNotAFile, path + " is not a regular file"});
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::make_unique<FileSource>(fd, static_cast<uint64_t>(st.st_size), path);
}

std::unique_ptr<Source> fd_stream_source(int fd) { return std::make_unique<FdStreamSource>(fd); }

std::unique_ptr<Source> pattern_source(uint64_t size, uint64_t seed) {
  return std::make_unique<PatternSource>(size, seed);
}

void fill_pattern(uint64_t seed, uint64_t offset, std::span<uint8_t> out) {
  // Byte o is byte (o % 8) of splitmix(seed ^ (o / 8)): no period a misplaced chunk could hide in.
  size_t i = 0;
  while (i < out.size()) {
    uint64_t o = offset + i;
    uint64_t word = splitmix(seed ^ (o >> 3));
    for (unsigned b = static_cast<unsigned>(o & 7); b < 8 && i < out.size(); ++b, ++i) {
      out[i] = static_cast<uint8_t>(word >> (8 * b));
    }
  }
}

}  // namespace braid::transfer

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/support/temp_dir.h"
#include "transfer/sink.h"
#include "transfer/source.h"

namespace braid::transfer {
namespace {

namespace fs = std::filesystem;

// Named for this test's leftovers.
struct TempDir : test::TempDir {
  TempDir() : test::TempDir("braid-sink") {}
};

OfferMsg offer(const std::string& name, uint64_t size, uint8_t id = 1) {
  OfferMsg o;
  o.id[0] = id;
  o.name = name;
  o.size = size;
  return o;
}

std::vector<uint8_t> bytes(size_t n, uint64_t seed) {
  std::vector<uint8_t> v(n);
  fill_pattern(seed, 0, v);
  return v;
}

size_t count_entries(const fs::path& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

TEST(FileSink, WritesInPlaceAndAppearsOnlyAtCommit) {
  TempDir d;
  FileSinkFactory f(d.path.string(), false);
  auto data = bytes(300'000, 1);
  auto s = f.open(offer("out.bin", data.size()));
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_TRUE(s->confirmed.empty());
  // Out of order, as chunks arrive.
  ASSERT_TRUE(s->sink->write_at(200'000, std::span(data).subspan(200'000)));
  ASSERT_TRUE(s->sink->write_at(0, std::span(data).first(200'000)));
  EXPECT_FALSE(fs::exists(d.path / "out.bin"));
  // The partial file is pre-allocated to the full size.
  bool found_part = false;
  for (auto& e : fs::directory_iterator(d.path)) {
    if (e.path().extension() == ".part") {
      found_part = true;
      EXPECT_EQ(fs::file_size(e.path()), data.size());
    }
  }
  EXPECT_TRUE(found_part);
  ASSERT_TRUE(s->sink->commit(data.size()));
  std::ifstream in(d.path / "out.bin", std::ios::binary);
  std::vector<uint8_t> got((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(got, data);
  EXPECT_EQ(count_entries(d.path), 1u);   // no partial file or journal left
}

TEST(FileSink, ResumeKeepsOnlyJournalledChunksThatStillMatch) {
  TempDir d;
  auto data = bytes(400'000, 2);
  {
    FileSinkFactory f(d.path.string(), false);
    auto s = f.open(offer("r.bin", data.size()));
    ASSERT_TRUE(s);
    for (uint64_t off : {0u, 100'000u, 200'000u}) {
      auto piece = std::span(data).subspan(off, 100'000);
      ASSERT_TRUE(s->sink->write_at(off, piece));
      ASSERT_TRUE(s->sink->confirm({off, 100'000}, Sha256::of(piece)));
    }
    s->sink->suspend();
  }
  // Damage the second chunk on disk: it must not be trusted.
  for (auto& e : fs::directory_iterator(d.path)) {
    if (e.path().extension() == ".part") {
      std::fstream io(e.path(), std::ios::in | std::ios::out | std::ios::binary);
      io.seekp(150'000);
      io.put('\0');
      io.put('\1');
    }
  }
  FileSinkFactory f(d.path.string(), false);
  auto s = f.open(offer("r.bin", data.size()));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->confirmed.bytes(), 200'000u);
  EXPECT_TRUE(s->confirmed.contains({0, 100'000}));
  EXPECT_TRUE(s->confirmed.contains({200'000, 100'000}));
  EXPECT_FALSE(s->confirmed.overlaps({100'000, 100'000}));
  // Another transfer ID with the same name starts afresh.
  auto other = f.open(offer("r.bin", data.size(), 2));
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->confirmed.empty());
}

TEST(FileSink, DiscardLeavesNothing) {
  TempDir d;
  FileSinkFactory f(d.path.string(), false);
  auto s = f.open(offer("gone.bin", 1000));
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->sink->write_at(0, bytes(1000, 3)));
  s->sink->discard();
  EXPECT_EQ(count_entries(d.path), 0u);
}

TEST(FileSink, RefusesBadNamesAndExistingFiles) {
  TempDir d;
  std::ofstream(d.path / "taken.bin") << "x";
  FileSinkFactory f(d.path.string(), false);
  for (const char* bad : {"../escape", "a/b", ".hidden", ""}) {
    auto s = f.open(offer(bad, 10));
    ASSERT_FALSE(s) << bad;
    EXPECT_EQ(s.error().code, TransferErrorCode::kRejected);
  }
  auto s = f.open(offer("taken.bin", 10));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, TransferErrorCode::kRejected);
  FileSinkFactory overwrite(d.path.string(), true);
  auto o = overwrite.open(offer("taken.bin", 3));
  ASSERT_TRUE(o);
  ASSERT_TRUE(o->sink->write_at(0, std::vector<uint8_t>{'a', 'b', 'c'}));
  ASSERT_TRUE(o->sink->commit(3));
  EXPECT_EQ(fs::file_size(d.path / "taken.bin"), 3u);
}

TEST(FileSink, FullDiskIsAClearErrorAndLeavesNothing) {
  TempDir d;
  // A file-size limit stands in for a full disk: allocation fails with EFBIG.
  std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  struct rlimit lim = old;
  lim.rlim_cur = 1 << 20;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &lim), 0);
  FileSinkFactory f(d.path.string(), false);
  auto s = f.open(offer("big.bin", 8 << 20));
  ::setrlimit(RLIMIT_FSIZE, &old);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, TransferErrorCode::kDiskFull) << s.error().describe();
  EXPECT_EQ(count_entries(d.path), 0u);
}

TEST(FileSource, RefusesWhatIsNotARegularFile) {
  TempDir d;
  auto s = file_source(d.path.string());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, TransferErrorCode::kNotAFile);
  auto missing = file_source((d.path / "nope").string());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, TransferErrorCode::kIo);
}

TEST(FileSource, NoticesASizeChange) {
  TempDir d;
  auto p = d.path / "grow.bin";
  std::ofstream(p) << "12345";
  auto s = file_source(p.string());
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->size(), 5u);
  std::ofstream(p, std::ios::app) << "678";
  auto v = (*s)->verify_unchanged();
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, TransferErrorCode::kSizeMismatch);
}

}  // namespace
}  // namespace braid::transfer

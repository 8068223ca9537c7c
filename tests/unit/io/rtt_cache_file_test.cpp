// The RTT prior cache file: save/load round trip, missing and corrupt files, no .tmp left behind.
#include "io/rtt_cache_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace braid::io {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A fresh directory per test, removed afterwards.
struct TempDir {
  fs::path dir;
  TempDir() {
    auto* info = testing::UnitTest::GetInstance()->current_test_info();
    dir = fs::path(testing::TempDir()) / ("braid_rtt_cache_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string file(const char* name) const { return (dir / name).string(); }
};

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

RttPriorStore::Options one_sample() {
  RttPriorStore::Options o;
  o.min_samples = 1;
  return o;
}

TEST(RttCacheFile, SaveThenLoadRoundTrip) {
  TempDir tmp;
  const std::string path = tmp.file("rtt.cache");
  RttPriorStore s(one_sample());
  auto peer6 = *SocketAddress::parse("[2001:db8::7]:443");
  auto local4 = *SocketAddress::parse("198.51.100.7:40000");
  ASSERT_TRUE(s.record(peer6, local4, 40ms, 4ms));
  ASSERT_TRUE(s.record(*SocketAddress::parse("192.0.2.1:443"), local4, 20ms, 2ms));
  auto saved = save_rtt_cache(path, s);
  ASSERT_TRUE(saved.has_value()) << saved.error();
  EXPECT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".tmp"));

  RttPriorStore loaded(one_sample());
  auto r = load_rtt_cache(path, loaded);
  ASSERT_TRUE(r.has_value()) << r.error();
  EXPECT_EQ(loaded.size(), 5u);
  EXPECT_EQ(loaded.to_text(), s.to_text());
  RttPrior p = loaded.lookup(peer6, local4);
  EXPECT_EQ(p.tier, RttPriorTier::kPeerAndLocal);
  EXPECT_EQ(p.smoothed_rtt, 40ms);
  EXPECT_EQ(p.rtt_variance, 4ms);
  EXPECT_EQ(p.samples, 1u);

  // Saving again replaces the file atomically and still leaves no .tmp.
  ASSERT_TRUE(s.record(peer6, local4, 80ms, 8ms));
  ASSERT_TRUE(save_rtt_cache(path, s).has_value());
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  ASSERT_TRUE(load_rtt_cache(path, loaded).has_value());
  EXPECT_EQ(loaded.lookup(peer6, local4).smoothed_rtt, 50ms);  // 0.75*40 + 0.25*80
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.dir), fs::directory_iterator()), 1);
}

TEST(RttCacheFile, MissingFileIsEmptyStore) {
  TempDir tmp;
  RttPriorStore s;
  auto r = load_rtt_cache(tmp.file("does-not-exist"), s);
  ASSERT_TRUE(r.has_value()) << r.error();
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.lookup(*SocketAddress::parse("192.0.2.1"), *SocketAddress::parse("198.51.100.7")).tier,
            RttPriorTier::kDefault);
}

TEST(RttCacheFile, CorruptFileIsErrorAndStoreUnchanged) {
  TempDir tmp;
  const std::string path = tmp.file("rtt.cache");
  write_file(path, "braid-rtt-cache 1\npeer 192.0.2.1 1000 100 1\npeer 192.0.2.1 oops\n");
  RttPriorStore s(one_sample());
  ASSERT_TRUE(s.record(*SocketAddress::parse("10.0.0.1"), SocketAddress{}, 5ms, 1ms));
  auto r = load_rtt_cache(path, s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), path + ": line 3: 'peer' needs 4 fields, got 2");
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s.lookup(*SocketAddress::parse("10.0.0.1"), SocketAddress{}).smoothed_rtt, 5ms);

  write_file(path, "");
  r = load_rtt_cache(path, s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), path + ": line 1: missing 'braid-rtt-cache' header");

  // A directory where the file should be is an error, not a crash.
  r = load_rtt_cache(tmp.dir.string(), s);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), tmp.dir.string() + ": not a regular file");
}

TEST(RttCacheFile, SaveFailureLeavesNoTmp) {
  TempDir tmp;
  RttPriorStore s;
  // The target is a non-empty directory: the .tmp is written, the rename fails, the .tmp is removed.
  const std::string path = tmp.file("taken");
  fs::create_directories(fs::path(path) / "child");
  auto r = save_rtt_cache(path, s);
  ASSERT_FALSE(r.has_value());
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  // A directory that does not exist cannot hold the .tmp.
  r = save_rtt_cache(tmp.file("no-such-dir/rtt.cache"), s);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("cannot create"), std::string::npos) << r.error();
}

}  // namespace
}  // namespace braid::io

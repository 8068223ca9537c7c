// hq-interop request lines and paths under the served root.
#include "tools/braid/hq_request.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tools/braid/file_server.h"

namespace braid::tool {
namespace {

TEST(HqRequest, PathOfARequestLine) {
  EXPECT_EQ(hq_request_path("GET /a/b.bin\r\n").value(), "/a/b.bin");
  EXPECT_EQ(hq_request_path("GET /x HTTP/1.0\r\nHost: y\r\n").value(), "/x");
  EXPECT_EQ(hq_request_path("GET /q?x=1#frag").value(), "/q");
  EXPECT_EQ(hq_request_path("GET /").value(), "/");
  EXPECT_EQ(hq_request_path("POST /x").error(), kHqBadRequest);
  EXPECT_EQ(hq_request_path("GET x").error(), kHqBadRequest);
  EXPECT_EQ(hq_request_path("").error(), kHqBadRequest);
  EXPECT_EQ(hq_request_path(std::string_view("GET /a\0b", 8)).error(), kHqBadRequest);
}

TEST(HqRequest, ResolvesOnlyUnderTheRoot) {
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("braid-hq-root-" + std::to_string(::getpid()));
  fs::create_directories(root / "d");
  std::ofstream(root / "d" / "f") << "x";
  std::string canon = fs::canonical(root).string();
  EXPECT_EQ(resolve_under_root(canon, "/d/f").value(), canon + "/d/f");
  EXPECT_EQ(resolve_under_root(canon, "/d/../d/f").value(), canon + "/d/f");
  EXPECT_EQ(resolve_under_root(canon, "/../etc/passwd").error(), kHqBadRequest);
  EXPECT_EQ(resolve_under_root("", "/d/f").error(), kHqNotFound);
  fs::create_symlink("/etc", root / "out");
  EXPECT_EQ(resolve_under_root(canon, "/out/passwd").error(), kHqBadRequest);
  fs::remove_all(root);
}

}  // namespace
}  // namespace braid::tool

// A fresh directory under the system temp directory (mkdtemp), removed with everything in
// it when the object goes; `prefix` names it so a leftover says which test made it.
#pragma once
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace braid::test {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(std::string_view prefix = "braid") {
    std::string t = (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    path = ::mkdtemp(t.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace braid::test

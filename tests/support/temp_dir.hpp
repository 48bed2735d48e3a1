#pragma once
// A fresh folder under the system temp dir, removed with everything in it on destruction.

#include <filesystem>
#include <string>

namespace feedd::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes `text` to `path` (creating folders); returns path.
std::filesystem::path write_file(const std::filesystem::path& path, const std::string& text);
// Whole file as a string; "" when missing.
std::string read_file(const std::filesystem::path& path);

}  // namespace feedd::test

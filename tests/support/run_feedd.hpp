#pragma once
// Runs the built `feedd` binary as a user would, through the shell, capturing its streams.

#include <filesystem>
#include <string>

#include "support/temp_dir.hpp"

namespace feedd::test {

struct Ran {
  int exit_code = -1;  // -1 when it did not exit normally
  std::string out;
  std::string err;
};

// `feedd ARGS` with standard input from /dev/null; `env` ("NAME=value ...") is put before
// the command. The streams are kept in files in `dir`.
Ran run_feedd(const std::string& args, const TempDir& dir, const std::string& env = "");

// Any shell command, captured the same way (for the tools tests check feedd with).
Ran run_shell(const std::string& command, const TempDir& dir);

// A path quoted for the shell.
std::string quoted(const std::filesystem::path& path);

}  // namespace feedd::test

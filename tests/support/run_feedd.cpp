#include "support/paths.hpp"
#include "support/run_feedd.hpp"

#include <sys/wait.h>

#include <cstdlib>

namespace feedd::test {

Ran run_feedd(const std::string& args, const TempDir& dir, const std::string& env) {
  return run_shell(env + " " + std::string(::feedd::test::kFeeddBinary) + " " + args, dir);
}

Ran run_shell(const std::string& command_line, const TempDir& dir) {
  const auto out = dir / "stdout.txt";
  const auto err = dir / "stderr.txt";
  const std::string command = command_line + " >" + out.string() + " 2>" + err.string() + " </dev/null";
  const int status = std::system(command.c_str());
  Ran ran;
  ran.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  ran.out = read_file(out);
  ran.err = read_file(err);
  return ran;
}

std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

}  // namespace feedd::test

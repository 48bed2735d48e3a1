#pragma once
// The built `feedd` binary as a child process the test can signal and wait for, with its
// standard error kept in a file (for the log lines a test reads).

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace feedd::test {

class FeeddProcess {
 public:
  // Starts `feedd ARGS` with `env` ("NAME=value") added to this process's environment,
  // standard input from /dev/null and standard error into `stderr_file`. With
  // `listen_socket` the child gets it as systemd's socket activation passes one: as
  // descriptor 3, with LISTEN_FDS=1 and LISTEN_PID set to the child's own pid.
  FeeddProcess(const std::vector<std::string>& args, const std::vector<std::string>& env,
               std::filesystem::path stderr_file, std::optional<int> listen_socket = std::nullopt);
  // Kills the child (SIGKILL) if it is still running.
  ~FeeddProcess();
  FeeddProcess(const FeeddProcess&) = delete;
  FeeddProcess& operator=(const FeeddProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int number) const;

  // The exit status once the child exits normally within `limit`; nullopt when it is still
  // running then (or was killed by a signal: `killed_by()` tells).
  std::optional<int> wait_exit(std::chrono::milliseconds limit);
  std::optional<int> killed_by() const { return killed_by_; }

  // Standard error so far.
  std::string log() const;
  // Polls the log until it contains `text`; false after `limit`.
  bool wait_for_log(const std::string& text, std::chrono::milliseconds limit) const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::optional<int> killed_by_;
  std::filesystem::path stderr_file_;
};

// The value of `SELECT ...` (first column of the first row) on a SQLite file, as text;
// "" when there is no row.
std::string sqlite_scalar(const std::filesystem::path& database, const std::string& sql);

}  // namespace feedd::test

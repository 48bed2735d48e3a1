#pragma once
// The real `feedd` binary as a child process the test can signal (SIGKILL, SIGHUP, SIGTERM)
// and wait for, with its standard error in a file. For the tests that crash, fault or
// reload a running daemon.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace feedd::test {

class DaemonProcess {
 public:
  // Starts `feedd ARGS` with standard input from /dev/null and standard error (where the
  // log goes) written to `log_file`. `env` entries ("NAME=value") are added to the
  // environment.
  DaemonProcess(const std::vector<std::string>& args, const std::filesystem::path& log_file,
                const std::vector<std::string>& env = {});
  // Kills it with SIGKILL if it is still running.
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int number) const;
  // Waits at most `limit` for it to exit; its exit status (0–255), -N when signal N ended
  // it, or nothing when it is still running.
  std::optional<int> wait(std::chrono::milliseconds limit);
  // The log written so far.
  std::string log() const;
  // Waits at most `limit` until the log contains `text`.
  bool wait_for_log(const std::string& text, std::chrono::milliseconds limit) const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_;
  std::filesystem::path log_file_;
};

}  // namespace feedd::test

#include "support/daemon_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "support/paths.hpp"
#include "support/temp_dir.hpp"

namespace feedd::test {

DaemonProcess::DaemonProcess(const std::vector<std::string>& args, const std::filesystem::path& log_file,
                             const std::vector<std::string>& env)
    : log_file_(log_file) {
  // Everything the child needs is built before fork(): only async-signal-safe calls after.
  std::vector<std::string> strings(args);
  std::vector<char*> argv{const_cast<char*>(kFeeddBinary)};
  for (auto& a : strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings(env);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());  // first: getenv() takes the first of a name
  for (char** e = environ; *e; ++e) envp.push_back(*e);
  envp.push_back(nullptr);
  const std::string log_path = log_file.string();
  pid_ = ::fork();
  if (pid_ == 0) {
    const int in = ::open("/dev/null", O_RDONLY);
    const int err = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || err < 0) ::_exit(127);
    ::dup2(in, STDIN_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::dup2(err, STDOUT_FILENO);
    ::execve(kFeeddBinary, argv.data(), envp.data());
    ::_exit(127);
  }
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0 && !exit_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

void DaemonProcess::signal(int number) const {
  if (pid_ > 0 && !exit_) ::kill(pid_, number);
}

std::optional<int> DaemonProcess::wait(std::chrono::milliseconds limit) {
  if (exit_ || pid_ <= 0) return exit_;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      return exit_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string DaemonProcess::log() const { return read_file(log_file_); }

bool DaemonProcess::wait_for_log(const std::string& text, std::chrono::milliseconds limit) const {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (log().find(text) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace feedd::test

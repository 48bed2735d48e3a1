#include "support/feedd_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <thread>

#include <sqlite3.h>

#include "support/paths.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace feedd::test {

FeeddProcess::FeeddProcess(const std::vector<std::string>& args, const std::vector<std::string>& env,
                           std::filesystem::path stderr_file, std::optional<int> listen_socket)
    : stderr_file_(std::move(stderr_file)) {
  // Everything the child needs is built before fork(): the test process has threads, so
  // the child may only call async-signal-safe functions until execve.
  std::vector<std::string> strings{kFeeddBinary};
  strings.insert(strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& mine : env) replaced = replaced || mine.substr(0, mine.find('=')) == name;
    if (!replaced) environment.push_back(entry);
  }
  environment.insert(environment.end(), env.begin(), env.end());
  // LISTEN_PID is the child's pid, known only after fork: the child writes its digits into
  // room kept for them here.
  constexpr std::size_t kPidDigits = 20;
  if (listen_socket) {
    environment.push_back("LISTEN_FDS=1");
    environment.push_back("LISTEN_PID=" + std::string(kPidDigits, '\0'));
  }
  std::vector<char*> envp;
  for (auto& s : environment) envp.push_back(s.data());
  envp.push_back(nullptr);
  char* pid_digits = listen_socket ? environment.back().data() + std::strlen("LISTEN_PID=") : nullptr;
  const int err = ::open(stderr_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (err < 0 || null < 0) throw std::runtime_error("cannot open the child's stderr file or /dev/null");
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(null, STDIN_FILENO);
    ::dup2(err, STDERR_FILENO);
    if (listen_socket) {
      constexpr int kFirstPassed = 3;  // SD_LISTEN_FDS_START
      if (*listen_socket == kFirstPassed) {
        ::fcntl(kFirstPassed, F_SETFD, ::fcntl(kFirstPassed, F_GETFD) & ~FD_CLOEXEC);
      } else {
        ::dup2(*listen_socket, kFirstPassed);  // the copy is not close-on-exec
      }
      char reversed[kPidDigits];
      std::size_t n = 0;
      for (pid_t p = ::getpid(); p > 0 && n < kPidDigits; p /= 10) reversed[n++] = static_cast<char>('0' + p % 10);
      for (std::size_t i = 0; i < n; ++i) pid_digits[i] = reversed[n - 1 - i];
      pid_digits[n] = '\0';
    }
    ::execve(kFeeddBinary, argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(err);
  ::close(null);
  if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
}

FeeddProcess::~FeeddProcess() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

void FeeddProcess::signal(int number) const {
  if (!reaped_) ::kill(pid_, number);
}

std::optional<int> FeeddProcess::wait_exit(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!reaped_) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      reaped_ = true;
      if (WIFSIGNALED(status)) killed_by_ = WTERMSIG(status);
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return std::nullopt;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return std::nullopt;
}

std::string FeeddProcess::log() const { return read_file(stderr_file_); }

bool FeeddProcess::wait_for_log(const std::string& text, std::chrono::milliseconds limit) const {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  do {
    if (log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

std::string sqlite_scalar(const std::filesystem::path& database, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    const std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + database.string() + ": " + message);
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  std::string value;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    const std::string message = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw std::runtime_error(sql + ": " + message);
  }
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    if (text) value = reinterpret_cast<const char*>(text);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

}  // namespace feedd::test

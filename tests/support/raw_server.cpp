#include "support/raw_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace feedd::test {

namespace {
constexpr std::chrono::milliseconds kTick{10};
constexpr std::size_t kMaxRequest = 64 * 1024;
}  // namespace

std::string RawConnection::target() const {
  const auto first = request_.find(' ');
  if (first == std::string::npos) return {};
  const auto second = request_.find(' ', first + 1);
  return request_.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
}

bool RawConnection::read_request() {
  char buffer[4096];
  while (request_.find("\r\n\r\n") == std::string::npos && request_.size() < kMaxRequest) {
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(kTick.count()));
    if (stopping_) return false;
    if (ready <= 0) continue;
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    request_.append(buffer, static_cast<std::size_t>(n));
  }
  return true;
}

bool RawConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    if (stopping_) return false;
    pollfd p{fd_, POLLOUT, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(kTick.count()));
    if (ready < 0 && errno != EINTR) return false;
    if (ready <= 0) continue;
    if (p.revents & (POLLERR | POLLHUP)) return false;
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool RawConnection::pause(std::chrono::milliseconds how_long) {
  const auto until = std::chrono::steady_clock::now() + how_long;
  while (std::chrono::steady_clock::now() < until) {
    if (stopping_) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(kTick, until - std::chrono::steady_clock::now()));
  }
  return !stopping_;
}

// The close after the script returns is what sends the RST: a shutdown() here would send
// a FIN first.
void RawConnection::reset() {
  linger l{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

void RawConnection::close_write() { ::shutdown(fd_, SHUT_WR); }

struct RawServer::Impl {
  Script script;
  std::string address;
  int listener = -1;
  std::uint16_t port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> accepted{0};
  std::mutex mutex;
  std::vector<std::thread> sessions;
  std::thread acceptor;

  void accept_loop() {
    while (!stopping) {
      pollfd p{listener, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(kTick.count())) <= 0) continue;
      const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++accepted;
      std::lock_guard lock(mutex);
      sessions.emplace_back([this, fd] { serve(fd); });
    }
  }

  void serve(int fd) {
    RawConnection connection(fd, stopping);
    // An exception must not escape a thread (std::terminate): a broken script ends its
    // connection, and the test sees the client's error.
    try {
      if (connection.read_request()) script(connection);
    } catch (...) {
    }
    ::close(fd);
  }
};

RawServer::RawServer(Script script, std::string address) : impl_(std::make_unique<Impl>()) {
  impl_->script = std::move(script);
  impl_->address = std::move(address);
  impl_->listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (impl_->listener < 0) throw std::runtime_error("socket failed");
  const int on = 1;
  ::setsockopt(impl_->listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in where{};
  where.sin_family = AF_INET;
  where.sin_port = 0;
  if (::inet_pton(AF_INET, impl_->address.c_str(), &where.sin_addr) != 1) {
    throw std::runtime_error("not an IPv4 address: " + impl_->address);
  }
  if (::bind(impl_->listener, reinterpret_cast<sockaddr*>(&where), sizeof where) != 0 ||
      ::listen(impl_->listener, 128) != 0) {
    ::close(impl_->listener);
    throw std::runtime_error("bind/listen on " + impl_->address + " failed");
  }
  socklen_t length = sizeof where;
  ::getsockname(impl_->listener, reinterpret_cast<sockaddr*>(&where), &length);
  impl_->port = ntohs(where.sin_port);
  impl_->acceptor = std::thread([impl = impl_.get()] { impl->accept_loop(); });
}

RawServer::~RawServer() {
  impl_->stopping = true;
  impl_->acceptor.join();
  ::close(impl_->listener);
  std::vector<std::thread> sessions;
  {
    std::lock_guard lock(impl_->mutex);
    sessions.swap(impl_->sessions);
  }
  for (std::thread& t : sessions) t.join();
}

std::uint16_t RawServer::port() const { return impl_->port; }

std::string RawServer::url(std::string_view path) const {
  return "http://" + impl_->address + ":" + std::to_string(impl_->port) + std::string(path);
}

std::size_t RawServer::connections() const { return impl_->accepted; }

std::string http_head(int status, const std::string& headers) {
  return "HTTP/1.1 " + std::to_string(status) + " Whatever\r\n" + headers + "\r\n";
}

}  // namespace feedd::test

#pragma once
// A TCP server on 127.0.0.1:<free port> that answers HTTP requests by running a script on
// the raw connection: it writes whatever bytes it likes, pauses, closes or resets. For the
// servers that break HTTP on purpose (a drip, a stall, a lie in Content-Length, a reset
// mid-body), which a real HTTP library would not let a test write. One thread per
// connection; the destructor stops every script within ~10 ms of its next send or pause.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace feedd::test {

// One accepted connection, as a script sees it. Every call is safe once the client left:
// sends then fail.
class RawConnection {
 public:
  RawConnection(int fd, const std::atomic<bool>& stopping) : fd_(fd), stopping_(stopping) {}

  // The request's start line and headers, read before the script runs.
  const std::string& request() const { return request_; }
  std::string target() const;  // "/path?query" of the start line
  // Writes all of `bytes`; false when the client is gone or the server is stopping.
  bool send(std::string_view bytes);
  // Waits; false when the server is stopping.
  bool pause(std::chrono::milliseconds how_long);
  // The connection ends with an RST instead of a FIN (SO_LINGER 0) when the script
  // returns, which it should do at once.
  void reset();
  // Closes the sending side (FIN) without waiting for the script to end.
  void close_write();

  bool read_request();  // the server's, before the script

 private:
  int fd_;
  const std::atomic<bool>& stopping_;
  std::string request_;
};

class RawServer {
 public:
  using Script = std::function<void(RawConnection&)>;

  // Listens at once on `address` (a loopback address), port chosen by the kernel.
  explicit RawServer(Script script, std::string address = "127.0.0.1");
  ~RawServer();
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  std::uint16_t port() const;
  std::string url(std::string_view path) const;  // "http://ADDRESS:PORT" + path
  std::size_t connections() const;              // accepted so far

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "HTTP/1.1 STATUS Reason\r\n" + headers + "\r\n" (no body), for scripts.
std::string http_head(int status, const std::string& headers = "");

}  // namespace feedd::test

#pragma once
// An HTTP/1.1 server on 127.0.0.1:<free port>, in the test process, on its own thread.
// Each request is answered by the test's handler; every request is logged so tests can
// assert what a client sent (validators, User-Agent, how many requests).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace feedd::test {

struct FixtureRequest {
  std::string method;
  std::string target;                          // path and query, "/feed.xml?x=1"
  std::map<std::string, std::string> headers;  // lower-case names
};

struct FixtureResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Length is added
  std::string body;
  bool gzip = false;     // compress body and send Content-Encoding: gzip
  bool chunked = false;  // send body with Transfer-Encoding: chunked
  // Wait this long before answering, on a timer: other connections are served meanwhile.
  std::chrono::milliseconds delay{0};
};

class FixtureServer {
 public:
  using Handler = std::function<FixtureResponse(const FixtureRequest&)>;

  // Starts listening at once; the handler runs on the server's thread.
  explicit FixtureServer(Handler handler);
  ~FixtureServer();  // stops the thread and closes connections
  FixtureServer(const FixtureServer&) = delete;
  FixtureServer& operator=(const FixtureServer&) = delete;

  std::uint16_t port() const;
  std::string url(std::string_view path) const;  // "http://127.0.0.1:PORT" + path
  std::vector<FixtureRequest> requests() const;  // thread-safe copy of the log
  std::size_t request_count(std::string_view target) const;
  // Most requests ever between read and response written at the same time (counts a
  // response's `delay`): what a client's concurrency limit looks like from the server.
  std::size_t max_concurrent_requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace feedd::test

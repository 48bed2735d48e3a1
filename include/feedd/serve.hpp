#pragma once
// serve: the HTTP server (Boost.Beast) for the unified feeds, and the atomic writer of the
// output files. The server only ever reads rendered bytes from its FeedCache: it never
// touches the database.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "feedd/render.hpp"
#include "feedd/status.hpp"

namespace feedd {

// The rendered answers by path ("/feed.atom"). Used on the io thread only.
class FeedCache {
 public:
  void put(std::string path, RenderedFeed feed);
  // nullptr when nothing is rendered for that path.
  std::shared_ptr<const RenderedFeed> get(std::string_view path) const;

 private:
  std::map<std::string, std::shared_ptr<const RenderedFeed>, std::less<>> feeds_;
};

struct HttpAnswer {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // empty for HEAD and 304
};

// The whole request-to-answer logic, apart from any socket: GET and HEAD of cached feeds
// with ETag / Last-Modified and 304s, 404 for unknown paths, 405 for other methods.
// `headers` holds the request's header fields with lower-case names.
HttpAnswer handle_request(std::string_view method, std::string_view target,
                          const std::map<std::string, std::string>& headers, const FeedCache& cache);

class HttpServer {
 public:
  // `io` and `cache` must outlive the server.
  HttpServer(boost::asio::io_context& io, const FeedCache& cache);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting on "HOST:PORT" (port 0 picks a free one).
  Status listen(std::string_view address);
  std::uint16_t port() const;
  // Stops accepting and closes open connections.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Writes `bytes` to a temporary file beside `path`, flushes it, and renames it over
// `path`, so a reader sees the old file or the new one, never half of one. Creates the
// folder when missing.
Status write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace feedd

#pragma once
// serve: the HTTP server (Boost.Beast) for the unified feeds, and the atomic writer of the
// output files. The server only ever reads rendered bytes from its FeedCache: it never
// touches the database.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "feedd/render.hpp"
#include "feedd/status.hpp"

namespace feedd {

// A request for an older page of a feed: "/feed.atom?before=CURSOR".
struct PageRequest {
  std::string path;    // "/feed.atom"
  std::string cursor;  // as the client sent it (percent-decoding is not needed: cursors are digits and '-')
};
// The page a target asks for, if it has a "before" query parameter.
std::optional<PageRequest> page_request(std::string_view target);
// The FeedCache key of an older page: "/feed.atom?before=CURSOR".
std::string page_key(std::string_view path, std::string_view cursor);

// The rendered answers by key: the path for first pages ("/feed.atom"), page_key() for
// older pages. One thread writes (the daemon's io thread); the HTTP server's threads read
// at the same time. Each change publishes a new immutable snapshot, swapped in atomically:
// a reader sees the old snapshot or the new one, never half of a change, and never waits
// for the writer. Renders themselves are immutable and shared.
class FeedCache {
 public:
  // Older pages are rendered on demand and kept up to this many; a new render of the
  // first pages drops them all (the store changed, so might they).
  static constexpr std::size_t kMaxPages = 512;

  // Writers: one thread at a time.
  void put(std::string path, RenderedFeed feed);
  void put_page(std::string key, RenderedFeed feed);
  void clear_pages();
  // What /healthz reports: empty while healthy, else why not ("database not writable:
  // ..."). Set by the Aggregator on the io thread, so answering it proves the loop turns.
  void set_health_problem(std::string problem);

  // Readers: any thread, while writers write. nullptr when nothing is rendered for that key.
  std::shared_ptr<const RenderedFeed> get(std::string_view key) const;
  std::string health_problem() const;

 private:
  using Renders = std::map<std::string, std::shared_ptr<const RenderedFeed>, std::less<>>;
  // First pages, metrics and the status page change with every fetch; older pages with
  // every page rendered on demand: apart, so that neither change copies the other's map.
  struct Snapshot {
    Renders feeds;
    std::string health_problem;
  };
  std::shared_ptr<const Snapshot> snapshot() const;
  std::shared_ptr<const Renders> pages() const;
  // Read and swapped only through std::atomic_load / std::atomic_store.
  std::shared_ptr<const Snapshot> snapshot_ = std::make_shared<const Snapshot>();
  std::shared_ptr<const Renders> pages_ = std::make_shared<const Renders>();
};

struct HttpAnswer {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // empty for HEAD and 304
  // A feed answer's body is not copied: it is the cached render itself (its gzip copy
  // when `gzip`), kept alive while the answer is written.
  std::shared_ptr<const RenderedFeed> feed;
  bool gzip = false;

  // The bytes to send: the feed's body (or gzip copy) when set, else `body`.
  std::string_view payload() const;
};

// The whole request-to-answer logic, apart from any socket: GET and HEAD of cached feeds
// (older pages by page_key) with ETag / Last-Modified and 304s, the gzip copy for
// clients that accept it (Vary: Accept-Encoding), 404 for unknown paths, 405 for other
// methods; /healthz is 200 "ok" or 503 with the cache's health problem.
// `headers` holds the request's header fields with lower-case names.
HttpAnswer handle_request(std::string_view method, std::string_view target,
                          const std::map<std::string, std::string>& headers, const FeedCache& cache);

// The request header fields handle_request reads, as the client sent them (repeated
// fields joined with ", "); nullopt when absent. Views: the caller keeps the bytes.
struct RequestFields {
  std::optional<std::string_view> if_none_match;
  std::optional<std::string_view> if_modified_since;
  std::optional<std::string_view> accept_encoding;
};
// handle_request() from those fields alone: the server's path, which copies no header.
HttpAnswer handle_fields(std::string_view method, std::string_view target, const RequestFields& fields,
                          const FeedCache& cache);

// Renders an older page that is not cached yet, off the io thread, puts it in the cache,
// and then calls `done` on the io thread. Called on the server's threads, several at
// once. The server waits for it without blocking (up to write_timeout; then it answers
// from the cache as it is).
using PageLoader = std::function<void(const PageRequest& page, std::function<void()> done)>;

// What a client may cost the server. The defaults are the daemon's; tests shorten them.
struct HttpServerOptions {
  // One deadline from the moment a connection waits for a request until the whole
  // request (headers and body) has arrived; bytes trickling in never extend it. It is
  // also how long an idle keep-alive connection stays open.
  std::chrono::milliseconds request_timeout{15'000};
  // To write one whole answer to a client that does not read.
  std::chrono::milliseconds write_timeout{15'000};
  // The request line and header fields together; more is 431 (414 when the request line
  // alone is longer).
  std::uint32_t header_limit = 8 * 1024;
  // Every path is read-only, so a body is only tolerated, up to this; more is 413.
  std::uint64_t body_limit = 4 * 1024;
  // Connections open at once ([daemon] max_connections). A connection accepted at the cap
  // closes the one that has waited longest for a request (an idle keep-alive or a client
  // still sending its request); connections being answered are never closed for it. When
  // every connection is being answered, the new one is closed at once.
  std::size_t max_connections = 512;
  // Threads that answer HTTP, each with its own event loop; connections are handed to them
  // in turn. 0: one per core (std::thread::hardware_concurrency()), at least 2.
  unsigned threads = 0;
};

// Connections are accepted on one of the server's own threads and answered on all of
// them in turn (HttpServerOptions::threads): the daemon's io thread does no HTTP work.
// `io` (the daemon's loop) is kept running while the server listens, for stop() and the
// page loader's callbacks.
class HttpServer {
 public:
  // `io` and `cache` must outlive the server.
  HttpServer(boost::asio::io_context& io, const FeedCache& cache, HttpServerOptions options = {});
  // Without a loader, pages not in the cache are 404. Before listen() or adopt().
  void set_page_loader(PageLoader loader);
  // Stops, and waits for the server's threads to end. On the io thread or after its loop
  // stopped.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting on "HOST:PORT" (port 0 picks a free one).
  Status listen(std::string_view address);
  // Starts accepting on `listening_fd`, a TCP socket already bound and listening (handed
  // over by systemd's socket activation). The server owns the descriptor from now on.
  Status adopt(int listening_fd);
  std::uint16_t port() const;
  // Connections open now, on all threads (any thread).
  std::size_t connections() const;
  // The threads answering HTTP while listening, 0 when not (on the io thread, or while
  // no other thread calls listen() or stop()).
  std::size_t threads() const;
  // Stops accepting and closes open connections; on the io thread it is done (the
  // listening socket closed, the server's threads ended) when this returns, from any
  // other thread it is done on the io thread soon after.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Writes `bytes` to a temporary file beside `path`, flushes it, and renames it over
// `path`, so a reader sees the old file or the new one, never half of one. Creates the
// folder when missing.
Status write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// Removes the temporaries that write_file_atomically leaves beside `path` when the
// process dies between creating and renaming one (".NAME.tmp-XXXXXX"); nothing else.
// Returns how many it removed. Meant for start-up: a live writer's temporary beside the
// same path would be removed too.
std::size_t remove_abandoned_temporaries(const std::filesystem::path& path);

}  // namespace feedd

#include <catch2/catch.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sys/stat.h>

#include <future>
#include <thread>

#include "feedd/serve.hpp"
#include "support/temp_dir.hpp"

namespace feedd {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Headers = std::map<std::string, std::string>;

const Timestamp kModified = Timestamp{std::chrono::sys_days{std::chrono::year{2024} / 3 / 10}} + std::chrono::hours{8};

RenderedFeed sample_feed() {
  RenderedFeed feed;
  feed.body = "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"/>";
  feed.content_type = "application/atom+xml; charset=utf-8";
  feed.etag = "\"0123456789abcdef0123456789abcdef\"";
  feed.last_modified = kModified;
  return feed;
}

FeedCache sample_cache() {
  FeedCache cache;
  cache.put("/feed.atom", sample_feed());
  return cache;
}

std::optional<std::string> header_of(const HttpAnswer& answer, std::string_view name) {
  for (const auto& [key, value] : answer.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("GET of a cached feed answers 200 with its body and validators", "[serve]") {
  const FeedCache cache = sample_cache();
  const HttpAnswer answer = handle_request("GET", "/feed.atom", {}, cache);
  CHECK(answer.status == 200);
  CHECK(answer.payload() == sample_feed().body);
  CHECK(header_of(answer, "Content-Type") == "application/atom+xml; charset=utf-8");
  CHECK(header_of(answer, "ETag") == sample_feed().etag);
  CHECK(header_of(answer, "Last-Modified") == "Sun, 10 Mar 2024 08:00:00 GMT");
  CHECK(header_of(answer, "Cache-Control") == "no-cache");
  CHECK(header_of(answer, "Content-Length") == std::to_string(sample_feed().body.size()));
}

TEST_CASE("A query string does not stop a cached feed from being found", "[serve]") {
  const FeedCache cache = sample_cache();
  CHECK(handle_request("GET", "/feed.atom?utm_source=reader", {}, cache).status == 200);
}

TEST_CASE("If-None-Match with the current ETag answers 304 without a body", "[serve]") {
  const FeedCache cache = sample_cache();
  const std::string etag = sample_feed().etag;
  for (const std::string& field : {etag, "\"stale\", " + etag, "W/" + etag, std::string("*")}) {
    INFO(field);
    const HttpAnswer answer = handle_request("GET", "/feed.atom", {{"if-none-match", field}}, cache);
    CHECK(answer.status == 304);
    CHECK(answer.payload().empty());
    CHECK(header_of(answer, "ETag") == etag);
  }
}

TEST_CASE("A stale ETag gets the full feed even when If-Modified-Since is recent", "[serve]") {
  const FeedCache cache = sample_cache();
  const Headers headers = {{"if-none-match", "\"00000000000000000000000000000000\""},
                           {"if-modified-since", "Mon, 11 Mar 2024 00:00:00 GMT"}};
  const HttpAnswer answer = handle_request("GET", "/feed.atom", headers, cache);
  CHECK(answer.status == 200);
  CHECK(answer.payload() == sample_feed().body);
}

TEST_CASE("If-Modified-Since at or after the last change answers 304, before it 200", "[serve]") {
  const FeedCache cache = sample_cache();
  CHECK(handle_request("GET", "/feed.atom", {{"if-modified-since", "Sun, 10 Mar 2024 08:00:00 GMT"}}, cache).status ==
        304);
  CHECK(handle_request("GET", "/feed.atom", {{"if-modified-since", "Mon, 11 Mar 2024 00:00:00 GMT"}}, cache).status ==
        304);
  CHECK(handle_request("GET", "/feed.atom", {{"if-modified-since", "Sun, 10 Mar 2024 07:59:59 GMT"}}, cache).status ==
        200);
  CHECK(handle_request("GET", "/feed.atom", {{"if-modified-since", "not a date"}}, cache).status == 200);
}

TEST_CASE("HEAD answers the GET's headers without a body", "[serve]") {
  const FeedCache cache = sample_cache();
  const HttpAnswer answer = handle_request("HEAD", "/feed.atom", {}, cache);
  CHECK(answer.status == 200);
  CHECK(answer.payload().empty());
  CHECK(header_of(answer, "Content-Length") == std::to_string(sample_feed().body.size()));
  CHECK(header_of(answer, "ETag") == sample_feed().etag);
}

TEST_CASE("Unknown path answers 404 and health check answers ok", "[serve]") {
  const FeedCache cache = sample_cache();
  const HttpAnswer missing = handle_request("GET", "/nothing-here", {}, cache);
  CHECK(missing.status == 404);
  CHECK(header_of(missing, "Content-Type") == "text/plain; charset=utf-8");
  const HttpAnswer health = handle_request("GET", "/healthz", {}, cache);
  CHECK(health.status == 200);
  CHECK(health.payload() == "ok\n");
}

TEST_CASE("Methods other than GET and HEAD answer 405 naming the allowed ones", "[serve]") {
  const FeedCache cache = sample_cache();
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
    INFO(method);
    const HttpAnswer answer = handle_request(method, "/feed.atom", {}, cache);
    CHECK(answer.status == 405);
    CHECK(header_of(answer, "Allow") == "GET, HEAD");
  }
}

namespace {

// The server on its own io thread, listening on a free loopback port.
class RunningServer {
 public:
  RunningServer() : server_(io_, cache_) {
    cache_.put("/feed.atom", sample_feed());
    const Status status = server_.listen("127.0.0.1:0");
    REQUIRE(status.is_ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~RunningServer() {
    server_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return server_.port(); }

 private:
  net::io_context io_;
  FeedCache cache_;
  HttpServer server_;
  std::thread thread_;
};

// A plain synchronous Beast client; each instance is one connection.
class Client {
 public:
  explicit Client(std::uint16_t port) : stream_(io_) {
    stream_.expires_after(std::chrono::seconds(5));
    stream_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }

  http::response<http::string_body> request(http::verb method, const std::string& target, const Headers& headers = {}) {
    http::request<http::empty_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) req.set(name, value);
    stream_.expires_after(std::chrono::seconds(5));
    http::write(stream_, req);
    http::response_parser<http::string_body> parser;
    parser.skip(method == http::verb::head);  // a HEAD answer's Content-Length has no body behind it
    http::read(stream_, buffer_, parser);
    return parser.release();
  }

  // Sends bytes as they are and returns everything until the server closes.
  std::string raw(std::string_view bytes) {
    net::write(stream_.socket(), net::buffer(bytes.data(), bytes.size()));
    std::string answer;
    beast::error_code ec;
    char chunk[1024];
    for (;;) {
      const std::size_t n = stream_.socket().read_some(net::buffer(chunk), ec);
      if (ec) break;
      answer.append(chunk, n);
    }
    return answer;
  }

 private:
  net::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

}  // namespace

TEST_CASE("Server on loopback serves the feed with an ETag and then a 304 for it", "[serve]") {
  RunningServer server;
  Client client(server.port());
  const auto first = client.request(http::verb::get, "/feed.atom");
  CHECK(first.result_int() == 200);
  CHECK(first.body() == sample_feed().body);
  CHECK(first[http::field::etag] == sample_feed().etag);
  CHECK(first[http::field::content_type] == "application/atom+xml; charset=utf-8");
  CHECK(first[http::field::last_modified] == "Sun, 10 Mar 2024 08:00:00 GMT");
  CHECK_FALSE(first[http::field::date].empty());

  const auto second =
      client.request(http::verb::get, "/feed.atom", {{"If-None-Match", std::string(first[http::field::etag])}});
  CHECK(second.result_int() == 304);
  CHECK(second.body().empty());
}

TEST_CASE("Server answers several requests on one keep-alive connection, HEAD included", "[serve]") {
  RunningServer server;
  Client client(server.port());
  const auto head = client.request(http::verb::head, "/feed.atom");
  CHECK(head.result_int() == 200);
  CHECK(head[http::field::content_length] == std::to_string(sample_feed().body.size()));
  CHECK(head.keep_alive());
  const auto get = client.request(http::verb::get, "/feed.atom");
  CHECK(get.result_int() == 200);
  CHECK(get.body() == sample_feed().body);
  const auto missing = client.request(http::verb::get, "/missing");
  CHECK(missing.result_int() == 404);
  const auto post = client.request(http::verb::post, "/feed.atom");
  CHECK(post.result_int() == 405);
  CHECK(post[http::field::allow] == "GET, HEAD");
}

TEST_CASE("Malformed request gets 400 and the server keeps serving others", "[serve]") {
  RunningServer server;
  {
    Client bad(server.port());
    const std::string answer = bad.raw("THIS IS NOT HTTP AT ALL\r\n\r\n");
    CHECK(answer.rfind("HTTP/1.1 400", 0) == 0);
  }
  {
    Client huge(server.port());
    const std::string answer = huge.raw("GET /feed.atom HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') +
                                        "\r\n\r\n");
    CHECK(answer.rfind("HTTP/1.1 431", 0) == 0);
  }
  Client good(server.port());
  CHECK(good.request(http::verb::get, "/feed.atom").result_int() == 200);
}

TEST_CASE("Stopping the server lets the loop return though a connection is still open", "[serve]") {
  net::io_context io;
  const FeedCache cache = sample_cache();
  HttpServer server(io, cache);
  REQUIRE(server.listen("127.0.0.1:0").is_ok());
  std::thread loop([&] { io.run(); });
  Client idle(server.port());
  CHECK(idle.request(http::verb::get, "/healthz").body() == "ok\n");
  server.stop();
  loop.join();  // hangs here if stop() left the idle keep-alive session waiting
  SUCCEED();
}

TEST_CASE("Listening on an address already in use fails naming the address", "[serve]") {
  net::io_context io;
  const FeedCache cache;
  HttpServer first(io, cache);
  REQUIRE(first.listen("127.0.0.1:0").is_ok());
  const std::string address = "127.0.0.1:" + std::to_string(first.port());
  HttpServer second(io, cache);
  const Status status = second.listen(address);
  REQUIRE_FALSE(status.is_ok());
  CHECK(status.kind() == StatusKind::kNetwork);
  CHECK_THAT(status.message(), Catch::Contains(address) && Catch::Contains("in use"));
}

TEST_CASE("Listen addresses are read as HOST:PORT, [IPv6]:PORT or :PORT", "[serve]") {
  net::io_context io;
  const FeedCache cache;
  for (const char* address : {"nonsense", "127.0.0.1:http", "127.0.0.1:70000", "::1:8080", "[::1"}) {
    INFO(address);
    HttpServer server(io, cache);
    const Status status = server.listen(address);
    CHECK(status.kind() == StatusKind::kInvalidArgument);
    CHECK_THAT(status.message(), Catch::Contains(address));
  }
  HttpServer any(io, cache);
  CHECK(any.listen(":0").is_ok());
  CHECK(any.port() != 0);
  HttpServer named(io, cache);
  CHECK(named.listen("localhost:0").is_ok());
}

TEST_CASE("Atomic write replaces an existing file and leaves no temporary files", "[serve]") {
  test::TempDir dir;
  const auto path = dir / "feed.atom";
  test::write_file(path, "old contents, longer than the new ones");
  REQUIRE(write_file_atomically(path, "new").is_ok());
  CHECK(test::read_file(path) == "new");
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) ++files;
  CHECK(files == 1);
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0644);
}

TEST_CASE("Atomic write creates missing folders", "[serve]") {
  test::TempDir dir;
  const auto path = dir / "public" / "tags" / "rust.atom";
  REQUIRE(write_file_atomically(path, "<feed/>").is_ok());
  CHECK(test::read_file(path) == "<feed/>");
}

TEST_CASE("Atomic write into an unwritable place fails naming the path and cleans up", "[serve]") {
  test::TempDir dir;
  // A file where a folder should be: no permission tricks, so it fails even as root.
  test::write_file(dir / "blocker", "");
  const Status status = write_file_atomically(dir / "blocker" / "feed.atom", "x");
  REQUIRE_FALSE(status.is_ok());
  CHECK(status.kind() == StatusKind::kIo);
  CHECK_THAT(status.message(), Catch::Contains("blocker"));

  // A folder where the file should be: the rename fails after the temporary was written.
  std::filesystem::create_directories(dir / "feed.atom" / "inside");
  const Status rename_status = write_file_atomically(dir / "feed.atom", "x");
  REQUIRE_FALSE(rename_status.is_ok());
  CHECK_THAT(rename_status.message(), Catch::Contains("feed.atom"));
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) ++files;
  CHECK(files == 2);  // blocker and feed.atom/, no temporary left
}

}  // namespace feedd

namespace feedd {
namespace {

RenderedFeed gzipped_feed() {
  RenderedFeed feed = sample_feed();
  feed.body = "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>" + std::string(500, 'a') +
              "</title></feed>";
  finish_render(feed);
  return feed;
}

}  // namespace

TEST_CASE("A client accepting gzip gets the compressed copy, its own ETag, and Vary on every answer", "[serve]") {
  FeedCache cache;
  cache.put("/feed.atom", gzipped_feed());
  const RenderedFeed feed = gzipped_feed();

  const HttpAnswer plain = handle_request("GET", "/feed.atom", {}, cache);
  CHECK(plain.payload() == feed.body);
  CHECK_FALSE(header_of(plain, "Content-Encoding"));
  CHECK(header_of(plain, "Vary") == "Accept-Encoding");

  const HttpAnswer zipped = handle_request("GET", "/feed.atom", {{"accept-encoding", "br, gzip;q=0.8"}}, cache);
  CHECK(zipped.payload() == feed.gzip_body);
  CHECK(header_of(zipped, "Content-Encoding") == "gzip");
  CHECK(header_of(zipped, "ETag") == feed.gzip_etag);
  CHECK(header_of(zipped, "Content-Length") == std::to_string(feed.gzip_body.size()));
  CHECK(header_of(zipped, "Vary") == "Accept-Encoding");

  const HttpAnswer refused = handle_request("GET", "/feed.atom", {{"accept-encoding", "gzip;q=0"}}, cache);
  CHECK(refused.payload() == feed.body);

  const HttpAnswer revalidated = handle_request(
      "GET", "/feed.atom", {{"accept-encoding", "gzip"}, {"if-none-match", feed.gzip_etag}}, cache);
  CHECK(revalidated.status == 304);
  CHECK(revalidated.payload().empty());
  CHECK(header_of(revalidated, "Vary") == "Accept-Encoding");
  const HttpAnswer head = handle_request("HEAD", "/feed.atom", {{"accept-encoding", "gzip"}}, cache);
  CHECK(head.payload().empty());
  CHECK(header_of(head, "Content-Length") == std::to_string(feed.gzip_body.size()));
}

TEST_CASE("Older pages are found by path and cursor; a new render drops them", "[serve]") {
  FeedCache cache = sample_cache();
  RenderedFeed older = sample_feed();
  older.body = "older page";
  cache.put_page(page_key("/feed.atom", "1700000000-5"), older);
  CHECK(handle_request("GET", "/feed.atom?before=1700000000-5", {}, cache).payload() == "older page");
  CHECK(handle_request("GET", "/feed.atom?x=1&before=1700000000-5", {}, cache).payload() == "older page");
  CHECK(handle_request("GET", "/feed.atom?before=1700000000-4", {}, cache).status == 404);
  CHECK(handle_request("GET", "/feed.atom?x=1", {}, cache).payload() == sample_feed().body);
  cache.clear_pages();
  CHECK(handle_request("GET", "/feed.atom?before=1700000000-5", {}, cache).status == 404);
  CHECK(handle_request("GET", "/feed.atom", {}, cache).status == 200);
}

TEST_CASE("The server waits for a page loader without blocking other requests", "[serve]") {
  net::io_context io;
  FeedCache cache = sample_cache();
  HttpServer server(io, cache);
  std::vector<std::thread> workers;
  std::promise<void> first_page_served;
  std::shared_future<void> served = first_page_served.get_future().share();
  // The loader renders on another thread and hands the page back on the io thread, but
  // only once the first page has been served meanwhile: a server that blocked on the
  // loader would never serve it, and the slow request would time out.
  server.set_page_loader([&](const PageRequest& page, std::function<void()> done) {
    workers.emplace_back([&io, &cache, page, served, done = std::move(done)] {
      served.wait_for(std::chrono::seconds(3));
      net::post(io, [&cache, page, done] {
        RenderedFeed rendered = sample_feed();
        rendered.body = "page before " + page.cursor;
        if (page.cursor != "bad") cache.put_page(page_key(page.path, page.cursor), rendered);
        done();
      });
    });
  });
  REQUIRE(server.listen("127.0.0.1:0").is_ok());
  std::thread loop([&] { io.run(); });

  std::thread slow([&] {
    Client client(server.port());
    const auto answer = client.request(http::verb::get, "/feed.atom?before=12-3");
    CHECK(answer.result_int() == 200);
    CHECK(answer.body() == "page before 12-3");
  });
  {
    Client client(server.port());
    CHECK(client.request(http::verb::get, "/feed.atom").result_int() == 200);
    first_page_served.set_value();
  }
  slow.join();
  {
    Client client(server.port());
    CHECK(client.request(http::verb::get, "/feed.atom?before=bad").result_int() == 404);
    // Pages of unknown feeds never reach the loader.
    CHECK(client.request(http::verb::get, "/nothing.atom?before=1-1").result_int() == 404);
  }
  server.stop();
  loop.join();
  for (std::thread& worker : workers) worker.join();
  CHECK(workers.size() == 2);
}

TEST_CASE("Temporaries a killed writer left beside an output file are removed, and nothing else", "[serve]") {
  test::TempDir dir;
  const auto feed = dir / "feed.atom";
  test::write_file(feed, "<feed/>");
  test::write_file(dir / ".feed.atom.tmp-a1B2c3", "half a feed");
  test::write_file(dir / ".feed.atom.tmp-Zz9Yy8", "another half");
  test::write_file(dir / ".feed.rss.tmp-a1B2c3", "another file's temporary");
  test::write_file(dir / ".feed.atom.tmp-toolong1", "not mkstemp's name");
  test::write_file(dir / "notes.txt", "the operator's");
  CHECK(remove_abandoned_temporaries(feed) == 2);
  CHECK_FALSE(std::filesystem::exists(dir / ".feed.atom.tmp-a1B2c3"));
  CHECK_FALSE(std::filesystem::exists(dir / ".feed.atom.tmp-Zz9Yy8"));
  CHECK(std::filesystem::exists(dir / ".feed.rss.tmp-a1B2c3"));
  CHECK(std::filesystem::exists(dir / ".feed.atom.tmp-toolong1"));
  CHECK(std::filesystem::exists(dir / "notes.txt"));
  CHECK(test::read_file(feed) == "<feed/>");
  CHECK(remove_abandoned_temporaries(dir / "missing-folder" / "feed.atom") == 0);
}

}  // namespace feedd

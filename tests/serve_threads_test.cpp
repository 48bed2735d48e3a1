// The HTTP server's own threads: answers that do not wait for the daemon's io thread, a
// connection cap that holds across threads, and renders swapped in while other threads
// answer from them. Real loopback sockets, a real FeedCache written as the daemon writes it.

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <optional>
#include <thread>
#include <vector>

#include "feedd/render.hpp"
#include "feedd/serve.hpp"
#include "feedd/time.hpp"

namespace feedd {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

RenderedFeed render_numbered(int n) {
  RenderedFeed feed;
  // Large enough that a torn read of two renders could not go unnoticed.
  feed.body = "<feed><title>render " + std::to_string(n) + "</title>" + std::string(4000, 'a' + n % 26) + "</feed>";
  feed.content_type = "application/atom+xml; charset=utf-8";
  feed.last_modified = Timestamp{std::chrono::seconds{1'700'000'000 + n}};
  finish_render(feed);
  return feed;
}

// The server with its own threads, and the "daemon" io thread that owns the cache.
class Daemon {
 public:
  explicit Daemon(HttpServerOptions options = {}) : server_(io_, cache_, options) {
    cache_.put("/feed.atom", render_numbered(0));
    REQUIRE(server_.listen("127.0.0.1:0").is_ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Daemon() {
    server_.stop();
    thread_.join();
  }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  std::uint16_t port() const { return server_.port(); }
  HttpServer& server() { return server_; }
  net::io_context& io() { return io_; }
  FeedCache& cache() { return cache_; }

 private:
  net::io_context io_;
  FeedCache cache_;
  HttpServer server_;
  std::thread thread_;
};

class Client {
 public:
  explicit Client(std::uint16_t port) : stream_(io_) {
    stream_.expires_after(5s);
    stream_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }

  // nullopt when the server closed the connection (or did not answer within 5 s).
  std::optional<http::response<http::string_body>> get(const std::string& target, const std::string& etag = "") {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!etag.empty()) req.set(http::field::if_none_match, etag);
    beast::error_code ec;
    stream_.expires_after(5s);
    http::write(stream_, req, ec);
    if (ec) return std::nullopt;
    http::response<http::string_body> answer;
    http::read(stream_, buffer_, answer, ec);
    if (ec) return std::nullopt;
    return answer;
  }

  // True when the server closes the connection within `limit` (reading nothing else).
  bool closed_within(std::chrono::milliseconds limit) {
    stream_.expires_after(limit);
    char byte = 0;
    beast::error_code ec;
    stream_.read_some(net::buffer(&byte, 1), ec);
    return ec && ec != beast::error::timeout;
  }

 private:
  net::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

}  // namespace

TEST_CASE("The server answers on threads of its own, by default at least two", "[serve][serve-threads]") {
  Daemon two;
  CHECK(two.server().threads() >= 2);
  HttpServerOptions options;
  options.threads = 3;
  Daemon three(options);
  CHECK(three.server().threads() == 3);
  for (Daemon* daemon : {&two, &three}) {
    Client client(daemon->port());
    const auto answer = client.get("/feed.atom");
    REQUIRE(answer);
    CHECK(answer->body() == render_numbered(0).body);
  }
}

TEST_CASE("Feeds and 304s are answered while the daemon's io thread is busy", "[serve][serve-threads]") {
  Daemon daemon;
  Client client(daemon.port());
  const std::string etag = render_numbered(0).etag;
  // The io thread (fetching, scheduling, storing renders) is held for 1.5 s: HTTP does not
  // wait for it.
  std::promise<void> holding;
  net::post(daemon.io(), [&] {
    holding.set_value();
    std::this_thread::sleep_for(1500ms);
  });
  holding.get_future().wait();
  const auto started = Steady::now();
  const auto full = client.get("/feed.atom");
  const auto not_modified = client.get("/feed.atom", etag);
  const auto elapsed = Steady::now() - started;
  REQUIRE(full);
  REQUIRE(not_modified);
  CHECK(full->result_int() == 200);
  CHECK(not_modified->result_int() == 304);
  CHECK(elapsed < 1000ms);
}

TEST_CASE("max_connections holds across the serving threads: the longest-idle connections make room",
          "[serve][serve-threads]") {
  HttpServerOptions options;
  options.threads = 3;
  options.max_connections = 6;
  Daemon daemon(options);
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 9; ++i) {
    idle.push_back(std::make_unique<Client>(daemon.port()));
    // Each one accepted before the next, so "longest idle" is the order they came in.
    for (int wait = 0; wait < 200 && daemon.server().connections() < std::min<std::size_t>(i + 1, 6); ++wait) {
      std::this_thread::sleep_for(5ms);
    }
  }
  std::this_thread::sleep_for(100ms);
  CHECK(daemon.server().connections() == 6);
  for (int i = 0; i < 3; ++i) {
    INFO("connection " << i);
    CHECK(idle[i]->closed_within(2000ms));
  }
  // The six left, spread over three threads, are all still served.
  for (int i = 3; i < 9; ++i) {
    INFO("connection " << i);
    const auto answer = idle[i]->get("/feed.atom");
    REQUIRE(answer);
    CHECK(answer->result_int() == 200);
  }
}

TEST_CASE("Renders swapped in while clients on every thread revalidate: each answer is one whole render",
          "[serve][serve-threads]") {
  Daemon daemon;
  constexpr int kRenders = 40;
  std::vector<RenderedFeed> renders;
  for (int n = 0; n < kRenders; ++n) renders.push_back(render_numbered(n));
  std::atomic<bool> done{false};
  std::atomic<int> answers{0};
  std::atomic<int> wrong{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&] {
      Client client(daemon.port());
      std::string etag;
      while (!done) {
        const auto answer = client.get("/feed.atom", etag);
        if (!answer) {
          ++wrong;
          return;
        }
        ++answers;
        if (answer->result_int() == 304) continue;
        // A 200 is one render, all of it, with that render's own ETag and date.
        const auto it = std::find_if(renders.begin(), renders.end(),
                                     [&](const RenderedFeed& r) { return r.body == answer->body(); });
        if (answer->result_int() != 200 || it == renders.end() || (*answer)[http::field::etag] != it->etag ||
            (*answer)[http::field::last_modified] != format_http_date(it->last_modified)) {
          ++wrong;
        }
        etag = std::string((*answer)[http::field::etag]);
      }
    });
  }
  for (int n = 1; n < kRenders; ++n) {
    std::promise<void> put;
    net::post(daemon.io(), [&] {
      daemon.cache().put("/feed.atom", renders[n]);
      put.set_value();
    });
    put.get_future().wait();
    std::this_thread::sleep_for(10ms);
  }
  // Once the last render is in, every client sees it.
  Client late(daemon.port());
  const auto last = late.get("/feed.atom");
  done = true;
  for (auto& client : clients) client.join();
  REQUIRE(last);
  CHECK(last->body() == renders.back().body);
  CHECK(wrong == 0);
  CHECK(answers > kRenders);
}

}  // namespace feedd

// HttpServer: Boost.Beast over the daemon's io_context, shaped like Beast's advanced
// async server example: a listener that accepts, one Session per connection owned by its
// pending operation (shared_from_this), keep-alive, and a timeout on every operation so a
// slow or silent client never holds a connection for long.

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <cctype>
#include <charconv>
#include <optional>

#include "feedd/serve.hpp"
#include "feedd/time.hpp"

namespace feedd {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr auto kOperationTimeout = std::chrono::seconds(15);
// How long a connection we refused may keep sending before we close it regardless.
constexpr auto kLingerTimeout = std::chrono::seconds(2);
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
constexpr std::uint32_t kHeaderLimit = 8 * 1024;
// Every path is read-only: a body is never needed, so only a little is tolerated.
constexpr std::uint64_t kBodyLimit = 4 * 1024;

// Boost 1.74's Beast speaks boost::string_view.
std::string_view to_std(beast::string_view text) { return {text.data(), text.size()}; }

bool is_http_parse_error(const beast::error_code& ec) {
  return ec.category() == make_error_code(http::error::bad_target).category();
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const FeedCache& cache, std::shared_ptr<const PageLoader> loader)
      : stream_(std::move(socket)), cache_(cache), loader_(std::move(loader)) {}

  void start() { do_read(); }

  // Cancels whatever is pending; its handler then sees operation_aborted and lets go of
  // the session.
  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

 private:
  void do_read() {
    // A fresh parser per request: its limits and state are per message.
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(kBodyLimit);
    stream_.expires_after(kOperationTimeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec == http::error::end_of_stream) return do_close();
    if (ec == http::error::header_limit) return send_error(431, "request header fields too large\n");
    if (ec == http::error::body_limit) return send_error(413, "request body too large\n");
    if (ec && is_http_parse_error(ec)) return send_error(400, "bad request\n");
    if (ec) return;  // timeout, reset, or closed by stop(): nothing to answer
    answer(parser_->get());
  }

  void answer(const http::request<http::string_body>& request) {
    std::map<std::string, std::string> headers;
    for (const auto& field : request) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      // Repeated fields are one comma-separated list (RFC 9110 5.3).
      auto [it, inserted] = headers.emplace(std::move(name), std::string(field.value()));
      if (!inserted) it->second += ", " + std::string(field.value());
    }
    std::string method(to_std(request.method_string()));
    std::string target(to_std(request.target()));
    // An older page not rendered yet: the loader renders it elsewhere and calls back on
    // the io thread; meanwhile the loop serves everyone else.
    if (const auto page = page_request(target);
        page && loader_ && *loader_ && cache_.get(page->path) && !cache_.get(page_key(page->path, page->cursor))) {
      (*loader_)(*page, [self = shared_from_this(), method = std::move(method), target = std::move(target),
                         headers = std::move(headers), version = request.version(),
                         keep_alive = request.keep_alive()] {
        self->send(handle_request(method, target, headers, self->cache_), version, keep_alive);
      });
      return;
    }
    HttpAnswer result = handle_request(method, target, headers, cache_);
    send(std::move(result), request.version(), request.keep_alive());
  }

  void send_error(int status, std::string text) {
    HttpAnswer result;
    result.status = status;
    result.headers = {{"Content-Type", "text/plain; charset=utf-8"}, {"Content-Length", std::to_string(text.size())}};
    result.body = std::move(text);
    // After a broken request the stream's framing can't be trusted: answer and close.
    linger_after_write_ = true;
    send(std::move(result), 11, false);
  }

  void send(HttpAnswer result, unsigned version, bool keep_alive) {
    response_ = {};
    response_.version(version);
    response_.result(static_cast<unsigned>(result.status));
    response_.set(http::field::server, "feedd/" FEEDD_VERSION);
    response_.set(http::field::date, format_http_date(system_clock()()));
    // handle_request sets Content-Length itself, so HEAD keeps the GET's length with
    // no body; prepare_payload() would overwrite it.
    for (const auto& [name, value] : result.headers) response_.set(name, value);
    response_.keep_alive(keep_alive);
    stream_.expires_after(kOperationTimeout);
    if (result.feed) {
      // The cached render goes out as it is, without a copy: the answer holds it alive
      // until written, even if a new render replaces it in the cache meanwhile.
      feed_ = std::move(result.feed);
      const std::string_view bytes = result.gzip ? std::string_view(feed_->gzip_body) : std::string_view(feed_->body);
      span_response_ = http::response<http::span_body<const char>>(std::move(response_.base()));
      span_response_.body() = http::span_body<const char>::value_type(bytes.data(), bytes.size());
      http::async_write(stream_, span_response_,
                        beast::bind_front_handler(&Session::on_write, shared_from_this(), span_response_.need_eof()));
      return;
    }
    response_.body() = std::move(result.body);
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Session::on_write, shared_from_this(), response_.need_eof()));
  }

  void on_write(bool close, beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) return;
    if (linger_after_write_) return do_linger();
    if (close) return do_close();
    do_read();
  }

  void do_close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  // Closing a socket with unread input makes the kernel send a reset, which can destroy
  // our error answer before the client reads it. So after a refused request we stop
  // sending and discard what still arrives, until the client closes or time is up.
  void do_linger() {
    do_close();
    stream_.expires_after(kLingerTimeout);
    read_discarded();
  }

  void read_discarded() {
    stream_.async_read_some(net::buffer(discard_), beast::bind_front_handler(&Session::on_discarded, shared_from_this()));
  }

  void on_discarded(beast::error_code ec, std::size_t /*bytes*/) {
    if (!ec) read_discarded();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  http::response<http::span_body<const char>> span_response_;
  std::shared_ptr<const RenderedFeed> feed_;  // the render span_response_ points into
  bool linger_after_write_ = false;
  std::array<char, 4096> discard_{};
  const FeedCache& cache_;
  std::shared_ptr<const PageLoader> loader_;
};

struct HostPort {
  std::string host;  // "" for all interfaces
  std::uint16_t port = 0;
};

Result<HostPort> parse_host_port(std::string_view address) {
  const auto bad = [&](std::string_view why) {
    return Status::invalid_argument("listen address '" + std::string(address) + "': " + std::string(why));
  };
  HostPort result;
  std::string_view port_text;
  if (!address.empty() && address.front() == '[') {
    const std::size_t close = address.find(']');
    if (close == std::string_view::npos || address.substr(close + 1, 1) != ":") return bad("expected [HOST]:PORT");
    result.host = address.substr(1, close - 1);
    port_text = address.substr(close + 2);
  } else {
    const std::size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) return bad("expected HOST:PORT");
    result.host = address.substr(0, colon);
    if (result.host.find(':') != std::string::npos) return bad("write IPv6 addresses in brackets, [::1]:8080");
    port_text = address.substr(colon + 1);
  }
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return bad("the port must be a number from 0 to 65535");
  }
  result.port = static_cast<std::uint16_t>(port);
  return result;
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(net::io_context& io, const FeedCache& cache) : io(io), cache(cache), acceptor(io), retry_timer(io) {}

  beast::error_code open(const tcp::endpoint& endpoint, bool dual_stack) {
    beast::error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec && dual_stack) acceptor.set_option(net::ip::v6_only(false), ec);
    if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      beast::error_code ignored;
      acceptor.close(ignored);
    }
    return ec;
  }

  beast::error_code open(const HostPort& where) {
    if (where.host.empty()) {
      // All interfaces: IPv6 and IPv4 on one socket where the system has IPv6.
      if (!open(tcp::endpoint(tcp::v6(), where.port), true)) return {};
      return open(tcp::endpoint(tcp::v4(), where.port), false);
    }
    beast::error_code ec;
    const net::ip::address ip = net::ip::make_address(where.host, ec);
    if (!ec) return open(tcp::endpoint(ip, where.port), false);
    // A host name ("localhost"): resolved once, at start-up, where blocking is fine.
    tcp::resolver resolver(io);
    const auto results = resolver.resolve(where.host, std::to_string(where.port), ec);
    if (ec) return ec;
    return open(results.begin()->endpoint(), false);
  }

  void do_accept() { acceptor.async_accept(io, beast::bind_front_handler(&Impl::on_accept, shared_from_this())); }

  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (stopped || ec == net::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors, most likely: accepting again at once would spin.
      spdlog::warn("http: accept failed: {}", ec.message());
      retry_timer.expires_after(kAcceptRetryDelay);
      retry_timer.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
        if (!wait_ec && !self->stopped) self->do_accept();
      });
      return;
    }
    auto session = std::make_shared<Session>(std::move(socket), cache, loader);
    std::erase_if(sessions, [](const std::weak_ptr<Session>& s) { return s.expired(); });
    sessions.push_back(session);
    session->start();
    do_accept();
  }

  void close_all() {
    stopped = true;
    beast::error_code ignored;
    acceptor.close(ignored);
    retry_timer.cancel();
    for (const std::weak_ptr<Session>& weak : sessions) {
      if (auto session = weak.lock()) session->close();
    }
    sessions.clear();
  }

  net::io_context& io;
  const FeedCache& cache;
  tcp::acceptor acceptor;
  net::steady_timer retry_timer;
  std::uint16_t port = 0;
  bool stopped = false;
  std::vector<std::weak_ptr<Session>> sessions;
  std::shared_ptr<const PageLoader> loader;
};

HttpServer::HttpServer(boost::asio::io_context& io, const FeedCache& cache)
    : impl_(std::make_shared<Impl>(io, cache)) {}

void HttpServer::set_page_loader(PageLoader loader) {
  impl_->loader = std::make_shared<const PageLoader>(std::move(loader));
}

// Runs on the io thread or after the loop stopped, so closing here races nothing.
HttpServer::~HttpServer() { impl_->close_all(); }

Status HttpServer::listen(std::string_view address) {
  if (impl_->acceptor.is_open()) return Status::invalid_argument("the HTTP server is already listening");
  Result<HostPort> where = parse_host_port(address);
  if (!where.ok()) return where.status();
  if (const beast::error_code ec = impl_->open(*where)) {
    return Status::network("listen on " + std::string(address) + ": " + ec.message());
  }
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->stopped = false;
  impl_->do_accept();
  return Status::ok();
}

Status HttpServer::adopt(int listening_fd) {
  if (impl_->acceptor.is_open()) return Status::invalid_argument("the HTTP server is already listening");
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(listening_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return Status::network("socket " + std::to_string(listening_fd) + ": " + std::strerror(errno));
  }
  if (address.ss_family != AF_INET && address.ss_family != AF_INET6) {
    return Status::invalid_argument("socket " + std::to_string(listening_fd) + " is not a TCP/IP socket");
  }
  beast::error_code ec;
  impl_->acceptor.assign(address.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), listening_fd, ec);
  if (ec) return Status::network("socket " + std::to_string(listening_fd) + ": " + ec.message());
  impl_->port = impl_->acceptor.local_endpoint(ec).port();
  impl_->stopped = false;
  impl_->do_accept();
  return Status::ok();
}

std::uint16_t HttpServer::port() const { return impl_->port; }

// dispatch: at once on the io thread (a signal handler), queued from any other thread.
void HttpServer::stop() { net::dispatch(impl_->io, [impl = impl_] { impl->close_all(); }); }

}  // namespace feedd

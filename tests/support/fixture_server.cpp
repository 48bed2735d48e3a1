#include "support/fixture_server.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <zlib.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace feedd::test {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// A gzip member (not a raw zlib stream): windowBits 15 + 16 asks zlib for the gzip wrapper.
std::string gzip(const std::string& plain) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out(deflateBound(&zs, plain.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  zs.avail_in = static_cast<uInt>(plain.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
  return out;
}

}  // namespace

struct FixtureServer::Impl {
  Handler handler;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::uint16_t port = 0;
  std::thread thread;

  mutable std::mutex log_mutex;
  std::vector<FixtureRequest> log;

  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::size_t> max_in_flight{0};

  struct Session;
  std::vector<std::weak_ptr<Session>> sessions;  // server thread only

  void do_accept();
  void on_accept(boost::system::error_code ec, tcp::socket socket);
  http::response<http::string_body> answer(const http::request<http::string_body>& req,
                                           std::chrono::milliseconds& delay);
};

// One connection; the pending operation owns it (shared_from_this), as in the Beast examples.
struct FixtureServer::Impl::Session : std::enable_shared_from_this<Session> {
  Session(Impl& server, tcp::socket socket) : server_(server), socket_(std::move(socket)), timer_(server.io) {}

  void do_read() {
    req_ = {};
    http::async_read(socket_, buffer_, req_,
                     [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(boost::system::error_code ec) {
    if (ec) return close();
    std::size_t now = ++server_.in_flight;
    std::size_t seen = server_.max_in_flight.load();
    while (now > seen && !server_.max_in_flight.compare_exchange_weak(seen, now)) {
    }
    std::chrono::milliseconds delay{0};
    res_ = server_.answer(req_, delay);
    if (delay.count() > 0) {
      // Wait on a timer, not in the handler, so other connections are served meanwhile.
      timer_.expires_after(delay);
      timer_.async_wait([self = shared_from_this()](boost::system::error_code) { self->do_write(); });
    } else {
      do_write();
    }
  }

  void do_write() {
    http::async_write(socket_, res_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      self->on_write(ec);
    });
  }

  void on_write(boost::system::error_code ec) {
    --server_.in_flight;
    if (ec || !res_.keep_alive()) return close();
    do_read();
  }

  void close() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  Impl& server_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  boost::beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
};

void FixtureServer::Impl::do_accept() {
  acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void FixtureServer::Impl::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
  if (!ec) {
    auto session = std::make_shared<Session>(*this, std::move(socket));
    std::erase_if(sessions, [](const std::weak_ptr<Session>& s) { return s.expired(); });
    sessions.push_back(session);
    session->do_read();
  }
  do_accept();
}

http::response<http::string_body> FixtureServer::Impl::answer(const http::request<http::string_body>& req,
                                                              std::chrono::milliseconds& delay) {
  FixtureRequest logged;
  logged.method = std::string(req.method_string());
  logged.target = std::string(req.target());
  for (const auto& field : req) {
    auto name = field.name_string();
    logged.headers[lower({name.data(), name.size()})] = std::string(field.value());
  }
  {
    std::lock_guard lock(log_mutex);
    log.push_back(logged);
  }

  FixtureResponse answer;
  try {
    answer = handler(logged);
  } catch (const std::exception& e) {
    answer = FixtureResponse{500, {{"Content-Type", "text/plain"}}, std::string("handler threw: ") + e.what()};
  }
  delay = answer.delay;

  http::response<http::string_body> res{static_cast<http::status>(answer.status), req.version()};
  for (const auto& [name, value] : answer.headers) res.insert(name, value);
  res.keep_alive(req.keep_alive());
  // Beast refuses a body on 1xx/204/304, as HTTP does.
  bool bodiless = answer.status / 100 == 1 || answer.status == 204 || answer.status == 304;
  if (!bodiless) {
    if (answer.gzip) {
      res.set(http::field::content_encoding, "gzip");
      res.body() = gzip(answer.body);
    } else {
      res.body() = std::move(answer.body);
    }
  }
  if (answer.chunked && !bodiless) {
    res.chunked(true);
  } else {
    res.prepare_payload();
  }
  return res;
}

FixtureServer::FixtureServer(Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  tcp::endpoint endpoint{asio::ip::make_address("127.0.0.1"), 0};
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->do_accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

FixtureServer::~FixtureServer() {
  // Close from the server's own thread: the acceptor and sockets are not thread-safe.
  asio::post(impl_->io, [impl = impl_.get()] {
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
    for (auto& weak : impl->sessions) {
      if (auto session = weak.lock()) session->close();
    }
    impl->io.stop();
  });
  impl_->thread.join();
}

std::uint16_t FixtureServer::port() const { return impl_->port; }

std::string FixtureServer::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(impl_->port) + std::string(path);
}

std::vector<FixtureRequest> FixtureServer::requests() const {
  std::lock_guard lock(impl_->log_mutex);
  return impl_->log;
}

std::size_t FixtureServer::request_count(std::string_view target) const {
  std::lock_guard lock(impl_->log_mutex);
  return static_cast<std::size_t>(
      std::count_if(impl_->log.begin(), impl_->log.end(), [&](const FixtureRequest& r) { return r.target == target; }));
}

std::size_t FixtureServer::max_concurrent_requests() const { return impl_->max_in_flight.load(); }

}  // namespace feedd::test

// HttpServer: Boost.Beast on the server's own threads, shaped like Beast's advanced async
// server example: a listener that accepts, one Session per connection owned by its
// pending operation (shared_from_this), keep-alive, and a deadline on every request and
// every answer so a slow or silent client never holds a connection for long. The open
// connections are capped; at the cap the one that has waited longest for a request
// makes room for the new one.
//
// Threads: each serving thread runs its own io_context (a Worker); the listener accepts on
// the first one and hands each new connection to the next Worker in turn, where it stays
// for its whole life. Sessions only read the FeedCache (immutable snapshots) and share
// nothing with each other but the connection registry, a short lock taken when a
// connection opens, closes, starts or stops waiting for a request. The daemon's io_context
// does no HTTP work: it is kept running while the server listens, for stop() and for the
// page loader's callbacks.

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <future>
#include <mutex>
#include <thread>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <charconv>
#include <list>
#include <map>
#include <optional>

#include "feedd/serve.hpp"
#include "feedd/time.hpp"
#include "serve/http_exchange.hpp"

namespace feedd {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// How long a connection we refused may keep sending before we close it regardless.
constexpr auto kLingerTimeout = std::chrono::seconds(2);
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
// Descriptors the rest of the daemon needs besides HTTP connections: curl's transfers
// (up to [daemon].concurrency), the database and its journal, logs, the listener.
constexpr rlim_t kDescriptorReserve = 256;

// Bodies this large go out with sendfile(2) from a sealed memfd holding the cached
// render: the kernel hands the file's pages to the socket, without copying them through
// user space on every answer. Smaller ones are written from memory with the header.
constexpr std::size_t kFileBodyMin = 32 * 1024;
// Body files kept at most; past it they are dropped and made again on demand.
constexpr std::size_t kMaxBodyFiles = 64;

// One cached body in an anonymous in-memory file, sealed so it can never change under a
// sendfile in progress.
class BodyFile {
 public:
  // nullptr when the file can't be made (the caller writes from memory instead).
  static std::shared_ptr<const BodyFile> make(std::string_view bytes) {
    const int fd = ::memfd_create("feedd-body", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return nullptr;
    auto file = std::shared_ptr<BodyFile>(new BodyFile(fd, bytes.size()));
    for (std::size_t done = 0; done < bytes.size();) {
      const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return nullptr;
      done += static_cast<std::size_t>(n);
    }
    if (::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) return nullptr;
    return file;
  }
  ~BodyFile() { ::close(fd_); }
  BodyFile(const BodyFile&) = delete;
  BodyFile& operator=(const BodyFile&) = delete;

  int fd() const { return fd_; }
  std::size_t size() const { return size_; }

 private:
  BodyFile(int fd, std::size_t size) : fd_(fd), size_(size) {}
  int fd_;
  std::size_t size_;
};

// The body files of the renders being served, each made at the first full answer of its
// render and kept while that render lives. One per serving thread, used on it only.
class BodyFiles {
 public:
  std::shared_ptr<const BodyFile> get(const std::shared_ptr<const RenderedFeed>& feed, bool gzip) {
    const Key key{feed.get(), gzip};
    if (const auto it = files_.find(key); it != files_.end() && it->second.feed.lock() == feed) return it->second.file;
    // A render replaced in the cache is gone once its last answer is written.
    std::erase_if(files_, [](const auto& entry) { return entry.second.feed.expired(); });
    if (files_.size() >= kMaxBodyFiles) files_.clear();
    auto file = BodyFile::make(gzip ? std::string_view(feed->gzip_body) : std::string_view(feed->body));
    if (file) files_.insert_or_assign(key, Entry{feed, file});
    return file;
  }

 private:
  using Key = std::pair<const RenderedFeed*, bool>;
  struct Entry {
    std::weak_ptr<const RenderedFeed> feed;
    std::shared_ptr<const BodyFile> file;
  };
  std::map<Key, Entry> files_;
};

// sendfile(2) has no MSG_NOSIGNAL: a client gone in the middle of an answer raises
// SIGPIPE, whose default action kills the daemon. So SIGPIPE is blocked on this thread
// around the call, and one it raised is taken back before unblocking: never delivered,
// and the process-wide disposition is left as it was.
ssize_t sendfile_without_sigpipe(int socket, int file, off_t* offset, std::size_t count) {
  sigset_t pipe_signal;
  sigset_t before;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, &before);
  const ssize_t n = ::sendfile(socket, file, offset, count);
  const int error = errno;
  // Not only on EPIPE: sendfile splices in pieces, and a piece that fails after others
  // were sent raises SIGPIPE though the call returns the bytes sent so far.
  sigset_t pending;
  if (!sigismember(&before, SIGPIPE) && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) {
    const timespec no_wait{};
    while (sigtimedwait(&pipe_signal, nullptr, &no_wait) > 0) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
  errno = error;
  return n;
}

// The Date field's value, made once a second per thread rather than for every answer.
std::string_view http_date_now() {
  thread_local Timestamp made{};
  thread_local std::string text;
  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  if (now != made || text.empty()) {
    made = now;
    text = format_http_date(now);
  }
  return text;
}

// An answer's status line and header section, as Beast would write them: Server, Date,
// the answer's own fields in order, and Connection as HTTP/1.0 and 1.1 need it for
// `keep_alive`. Appended to `out` (a buffer reused from answer to answer).
void serialize_head(std::string& out, const HttpAnswer& answer, unsigned version, bool keep_alive) {
  const auto status = static_cast<http::status>(answer.status);
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  char code[4];
  const auto [end, ec] = std::to_chars(code, code + sizeof code, static_cast<unsigned>(answer.status));
  out.append(code, end);
  out += ' ';
  const auto reason = http::obsolete_reason(status);
  out.append(reason.data(), reason.size());
  out += "\r\nServer: feedd/" FEEDD_VERSION "\r\nDate: ";
  out += http_date_now();
  out += "\r\n";
  for (const auto& [name, value] : answer.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (version == 10 && keep_alive) out += "Connection: keep-alive\r\n";
  if (version != 10 && !keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
}

class Session;

// The open connections on all threads, and among them those waiting for a request,
// longest-waiting first. Shared by the server and its sessions (plain lists, no I/O
// objects), so either may be destroyed first; a session leaves the lists in its
// destructor. The lists, and each session's places in them, are guarded by `mutex`: the
// cap needs one count and one longest-waiting connection across the threads, and the
// lock is held for a few list operations only, never across I/O.
struct Connections {
  std::mutex mutex;
  std::list<Session*> all;
  std::list<Session*> waiting;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const FeedCache& cache, std::shared_ptr<const PageLoader> loader,
          const HttpServerOptions& options, std::shared_ptr<Connections> connections,
          std::shared_ptr<BodyFiles> body_files)
      : stream_(std::move(socket)),
        write_deadline_(stream_.get_executor()),
        cache_(cache),
        loader_(std::move(loader)),
        options_(options),
        connections_(std::move(connections)),
        body_files_(std::move(body_files)),
        page_wait_(stream_.get_executor()) {}
  ~Session() {
    const std::lock_guard lock(connections_->mutex);
    leave_locked();
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // With the registry locked, on the accepting thread: the connection counts, and waits
  // for its first request, from now on (not from when its thread gets to start it, so
  // that "longest waiting" is the order connections came in).
  void join_locked() {
    in_all_ = connections_->all.insert(connections_->all.end(), this);
    in_waiting_ = connections_->waiting.insert(connections_->waiting.end(), this);
    waiting_since_ = std::chrono::steady_clock::now();
  }

  // On the session's own thread.
  void start() { do_read(); }

  // On the session's own thread. Cancels whatever is pending; its handler then sees
  // operation_aborted and lets go of the session.
  void close() {
    {
      const std::lock_guard lock(connections_->mutex);
      leave_locked();
    }
    closed_ = true;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    write_deadline_.cancel();
    page_wait_.cancel();
  }

  // With the registry locked: when it started waiting for a request.
  std::chrono::steady_clock::time_point waiting_since_locked() const { return waiting_since_; }

  // On any thread, with the registry locked: the connection stops counting at once, and
  // closes on its own thread soon after. A session whose destructor is waiting for the
  // lock has nothing left to close.
  void evict_locked() {
    leave_locked();
    if (auto self = weak_from_this().lock()) net::post(stream_.get_executor(), [self] { self->close(); });
  }

 private:
  // Out of the lists at once, so the server counts the connection as gone though its
  // handler has yet to run. Evicted or closed, the session never enters them again.
  void leave_locked() {
    if (in_waiting_) connections_->waiting.erase(*in_waiting_);
    in_waiting_.reset();
    if (in_all_) connections_->all.erase(*in_all_);
    in_all_.reset();
  }

  // False when the session was evicted meanwhile (its close is on its way). One waiting
  // already (for its first request) keeps its place.
  bool start_waiting(bool first_to_go) {
    const std::lock_guard lock(connections_->mutex);
    if (!in_all_) return false;
    if (in_waiting_) return true;
    auto& waiting = connections_->waiting;
    in_waiting_ = waiting.insert(first_to_go ? waiting.begin() : waiting.end(), this);
    waiting_since_ = std::chrono::steady_clock::now();
    return true;
  }

  // False when the session was evicted meanwhile.
  bool stop_waiting() {
    const std::lock_guard lock(connections_->mutex);
    if (in_waiting_) connections_->waiting.erase(*in_waiting_);
    in_waiting_.reset();
    return in_all_.has_value();
  }

  void do_read() {
    // A fresh parser per request: its limits and state are per message.
    parser_.emplace();
    serve::apply_limits(*parser_, options_);
    if (!start_waiting(false)) return close();
    // One deadline for the whole request: Beast's stream timer is not reset by the reads
    // inside async_read_header / async_read, so a byte at a time does not extend it.
    stream_.expires_after(options_.request_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t /*bytes*/) {
    if (ec) return on_read(ec, 0);
    if (auto refusal = serve::answer_before_body(*parser_, cache_)) return refuse(std::move(*refusal));
    if (parser_->is_done()) return on_read({}, 0);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t /*bytes*/) {
    if (!stop_waiting()) return;  // evicted for the cap: closed without an answer
    const std::string_view unparsed(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    if (auto refusal = serve::refusal_for(ec, *parser_, unparsed)) return refuse(std::move(*refusal));
    if (ec == http::error::end_of_stream) return do_close();
    if (ec) return;  // timeout, reset, or closed by stop() or for the cap: nothing to answer
    answer(parser_->get());
  }

  void answer(const serve::Request& request) {
    // An older page not rendered yet: the loader renders it elsewhere and calls back on
    // the io thread; meanwhile this thread serves everyone else.
    const std::string_view target = serve::origin_form({request.target().data(), request.target().size()});
    if (const auto page = page_request(target);
        page && loader_ && *loader_ && cache_.get(page->path) && !cache_.get(page_key(page->path, page->cursor))) {
      return wait_for_page(*page);
    }
    send(serve::answer_request(request, cache_), request.version(), request.keep_alive());
  }

  // The wait is a timer on this session's own thread, so the session lives as long as an
  // operation of its io_context does (and no longer): the loader's callback holds it
  // weakly, and may be destroyed later, elsewhere, without being called.
  void wait_for_page(const PageRequest& page) {
    page_wait_.expires_after(options_.write_timeout);
    page_wait_.async_wait(beast::bind_front_handler(&Session::on_page, shared_from_this()));
    // A callback that comes after its wait timed out must not end a later wait.
    (*loader_)(page, [weak = weak_from_this(), wait = ++page_waits_] {
      auto self = weak.lock();
      if (!self) return;
      net::post(self->stream_.get_executor(), [self, wait] {
        if (self->page_waits_ == wait) self->page_wait_.cancel();
      });
    });
  }

  // The page is in the cache now, or the loader took longer than an answer may: either
  // way the answer is what the cache holds.
  void on_page(beast::error_code /*ec*/) {
    if (closed_) return;
    const serve::Request& request = parser_->get();
    send(serve::answer_request(request, cache_), request.version(), request.keep_alive());
  }

  void refuse(serve::Refusal refusal) {
    stop_waiting();
    // After a broken or unread request the stream's framing can't be trusted: answer and
    // close.
    linger_after_write_ = true;
    const unsigned version = parser_ && parser_->get().version() == 10 ? 10 : 11;
    send(std::move(refusal.answer), version, false);
  }

  void send(HttpAnswer result, unsigned version, bool keep_alive) {
    head_.clear();
    serialize_head(head_, result, version, keep_alive);
    // Every answer has a Content-Length or is a 304: the connection ends only when asked to.
    const bool close = !keep_alive;
    stream_.expires_after(options_.write_timeout);
    if (result.feed && result.payload().size() >= kFileBodyMin) {
      if (auto file = body_files_->get(result.feed, result.gzip)) return send_file(std::move(file), close);
    }
    std::string_view body;
    if (result.feed) {
      // The cached render goes out as it is, without a copy: the answer holds it alive
      // until written, even if a new render replaces it in the cache meanwhile.
      feed_ = std::move(result.feed);
      body = result.gzip ? std::string_view(feed_->gzip_body) : std::string_view(feed_->body);
    } else {
      body_ = std::move(result.body);
      body = body_;
    }
    const std::array<net::const_buffer, 2> buffers{net::buffer(head_), net::buffer(body.data(), body.size())};
    net::async_write(stream_, buffers, beast::bind_front_handler(&Session::on_write, shared_from_this(), close));
  }

  // The header with send(), then the body with sendfile() from the render's file; each
  // waits for the socket to be writable when it is full. Beast's stream timer covers only
  // Beast's own operations, so this has its own deadline.
  void send_file(std::shared_ptr<const BodyFile> file, bool close) {
    file_ = std::move(file);
    close_after_file_ = close;
    header_sent_ = 0;
    file_offset_ = 0;
    stream_.expires_never();
    write_deadline_.expires_after(options_.write_timeout);
    write_deadline_.async_wait([weak = weak_from_this()](beast::error_code wait_ec) {
      if (auto self = weak.lock(); self && !wait_ec) self->close();
    });
    beast::error_code ignored;
    stream_.socket().native_non_blocking(true, ignored);
    write_file();
  }

  void write_file() {
    const int socket = stream_.socket().native_handle();
    while (header_sent_ < head_.size()) {
      // MSG_MORE: the header waits to go out in one segment with the body's start.
      const ssize_t n = ::send(socket, head_.data() + header_sent_, head_.size() - header_sent_,
                               MSG_NOSIGNAL | MSG_MORE);
      if (n < 0) return write_file_failed();
      header_sent_ += static_cast<std::size_t>(n);
    }
    while (static_cast<std::size_t>(file_offset_) < file_->size()) {
      const ssize_t n = sendfile_without_sigpipe(socket, file_->fd(), &file_offset_, file_->size() - file_offset_);
      if (n == 0) return file_written(make_error_code(net::error::eof));  // a sealed file can't shrink
      if (n < 0) return write_file_failed();
    }
    file_written({});
  }

  void write_file_failed() {
    if (errno == EINTR) return write_file();
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      stream_.socket().async_wait(tcp::socket::wait_write, [self = shared_from_this()](beast::error_code ec) {
        if (ec) return self->file_written(ec);
        self->write_file();
      });
      return;
    }
    file_written(beast::error_code(errno, beast::system_category()));
  }

  void file_written(beast::error_code ec) {
    write_deadline_.cancel();
    file_.reset();
    on_write(close_after_file_, ec, 0);
  }

  void on_write(bool close, beast::error_code ec, std::size_t /*bytes*/) {
    feed_.reset();
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
  // sending and discard what still arrives, until the client closes or time is up. Such
  // a connection is the first to go when the server is full.
  void do_linger() {
    do_close();
    if (!start_waiting(true)) return close();
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
  std::optional<serve::RequestParser> parser_;
  // The answer being written: its status line and header fields, and its body (in the
  // cached render `feed_`, in `body_`, or in `file_`). Kept between answers, so that once
  // grown they are written without allocating.
  std::string head_;
  std::string body_;
  std::shared_ptr<const RenderedFeed> feed_;
  // A body going out with sendfile: its file, how far the header and it got.
  std::shared_ptr<const BodyFile> file_;
  bool close_after_file_ = false;
  std::size_t header_sent_ = 0;
  off_t file_offset_ = 0;
  net::steady_timer write_deadline_;
  bool linger_after_write_ = false;
  bool closed_ = false;
  std::array<char, 4096> discard_{};
  const FeedCache& cache_;
  std::shared_ptr<const PageLoader> loader_;
  const HttpServerOptions options_;
  std::shared_ptr<Connections> connections_;
  std::optional<std::list<Session*>::iterator> in_all_;
  std::optional<std::list<Session*>::iterator> in_waiting_;
  std::chrono::steady_clock::time_point waiting_since_;
  std::shared_ptr<BodyFiles> body_files_;
  net::steady_timer page_wait_;
  std::uint64_t page_waits_ = 0;  // read by the loader's callback on this thread only
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

// The soft RLIMIT_NOFILE must leave room for max_connections beside the rest of the
// daemon: raised up to the hard limit when it does not, else the cap is lowered to fit
// (accepting past the limit would fail with EMFILE).
std::size_t fit_descriptor_limit(std::size_t max_connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return max_connections;
  const rlim_t wanted = static_cast<rlim_t>(max_connections) + kDescriptorReserve;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= wanted) return max_connections;
  const std::size_t fits = limit.rlim_cur > 2 * kDescriptorReserve ? limit.rlim_cur - kDescriptorReserve : limit.rlim_cur / 2;
  spdlog::warn("http: max_connections {} does not fit the descriptor limit (RLIMIT_NOFILE {}): at most {} connections",
               max_connections, limit.rlim_cur, fits);
  return std::max<std::size_t>(fits, 1);
}

bool out_of_descriptors(const beast::error_code& ec) {
  return ec == net::error::no_descriptors || ec == beast::error_code(ENFILE, beast::system_category());
}

unsigned serving_threads(unsigned wanted) {
  if (wanted > 0) return wanted;
  return std::max(2u, std::thread::hardware_concurrency());
}

// One serving thread and its event loop.
struct Worker {
  // One thread runs it; other threads only post to it.
  net::io_context io{1};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work{io.get_executor()};
  std::shared_ptr<BodyFiles> body_files = std::make_shared<BodyFiles>();
  std::thread thread;
};

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(net::io_context& io, const FeedCache& cache, HttpServerOptions options)
      : io(io), cache(cache), options(options) {}

  // The workers, the listener on the first one; nothing runs yet. Until run(), all of
  // them are used on the calling thread only.
  void make_workers() {
    const unsigned count = serving_threads(options.threads);
    for (unsigned i = 0; i < count; ++i) {
      workers.push_back(std::make_unique<Worker>());
      // Asio makes a loop's epoll set and eventfd with its first socket: here, not at the
      // first accept into it, which may come when descriptors have run out (and throw).
      const tcp::socket first(workers.back()->io);
    }
    acceptor.emplace(workers.front()->io);
    retry_timer.emplace(workers.front()->io);
  }

  // Undoes make_workers() when the listener could not be opened.
  void drop_workers() {
    retry_timer.reset();
    acceptor.reset();
    workers.clear();
  }

  void run() {
    max_connections = fit_descriptor_limit(std::max<std::size_t>(options.max_connections, 1));
    stopped = false;
    next_worker = 0;
    do_accept();
    for (auto& worker : workers) {
      worker->thread = std::thread([&io = worker->io] { io.run(); });
    }
    daemon_work.emplace(io.get_executor());
  }

  beast::error_code open(const tcp::endpoint& endpoint, bool dual_stack) {
    beast::error_code ec;
    acceptor->open(endpoint.protocol(), ec);
    if (!ec && dual_stack) acceptor->set_option(net::ip::v6_only(false), ec);
    if (!ec) acceptor->set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      beast::error_code ignored;
      acceptor->close(ignored);
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

  // The listener's thread from here on.
  void do_accept() {
    Worker& next = *workers[next_worker];
    next_worker = (next_worker + 1) % workers.size();
    acceptor->async_accept(next.io, [self = shared_from_this(), &next](beast::error_code ec, tcp::socket socket) {
      self->on_accept(next, ec, std::move(socket));
    });
  }

  void on_accept(Worker& worker, beast::error_code ec, tcp::socket socket) {
    if (stopped || ec == net::error::operation_aborted) return;
    if (ec) return accept_failed(ec);
    accept_failing = false;
    // Answers are whole when handed to the socket: no reason to hold small ones back.
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::shared_ptr<Session> session;
    {
      const std::lock_guard lock(connections->mutex);
      if (connections->all.size() < max_connections || make_room_locked()) {
        session = std::make_shared<Session>(std::move(socket), cache, loader, options, connections, worker.body_files);
        session->join_locked();
      }
    }
    if (session) {
      net::post(worker.io, [session] { session->start(); });
    } else {
      // Every connection is being answered: this one waits for none of them.
      socket.close(ignored);
    }
    do_accept();
  }

  // Closes the connection that has waited longest for a request, if it has waited at
  // least `idle`. False when none has.
  bool make_room_locked(std::chrono::milliseconds idle = {}) {
    if (connections->waiting.empty()) return false;
    Session& longest = *connections->waiting.front();
    if (std::chrono::steady_clock::now() - longest.waiting_since_locked() < idle) return false;
    longest.evict_locked();
    return true;
  }

  void accept_failed(const beast::error_code& ec) {
    // Accepting again at once would fail again at once: the listener stays readable.
    if (!accept_failing) spdlog::warn("http: accept failed: {}", ec.message());
    accept_failing = true;
    // Out of descriptors: an idle connection gives one back for a client that has
    // something to ask. Not one accepted a moment ago (on another thread, its request may
    // be on its way in): one idle since the last try at least.
    if (out_of_descriptors(ec)) {
      const std::lock_guard lock(connections->mutex);
      make_room_locked(kAcceptRetryDelay);
    }
    retry_timer->expires_after(kAcceptRetryDelay);
    retry_timer->async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec && !self->stopped) self->do_accept();
    });
  }

  // On the daemon's io thread, or after its loop stopped; never on a serving thread.
  void close_all() {
    if (workers.empty()) return;
    // The listening socket is closed before this returns (a reload may listen on the same
    // address at once), on the listener's thread, which owns it.
    std::promise<void> closed;
    net::post(workers.front()->io, [&] {
      stopped = true;
      beast::error_code ignored;
      acceptor->close(ignored);
      retry_timer->cancel();
      closed.set_value();
    });
    closed.get_future().wait();
    {
      const std::lock_guard lock(connections->mutex);
      while (!connections->all.empty()) connections->all.front()->evict_locked();
    }
    // Each loop returns once its sessions have seen their operations cancelled.
    for (auto& worker : workers) worker->work.reset();
    for (auto& worker : workers) worker->thread.join();
    drop_workers();
    daemon_work.reset();
  }

  net::io_context& io;  // the daemon's
  const FeedCache& cache;
  const HttpServerOptions options;
  std::size_t max_connections = options.max_connections;
  // Made by listen()/adopt(), ended by close_all(), both on the daemon's io thread; read
  // by the listener's thread in between.
  std::vector<std::unique_ptr<Worker>> workers;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> daemon_work;
  // On workers.front(), used on its thread once running.
  std::optional<tcp::acceptor> acceptor;
  std::optional<net::steady_timer> retry_timer;
  std::size_t next_worker = 0;
  bool stopped = false;
  bool accept_failing = false;
  std::uint16_t port = 0;
  std::shared_ptr<Connections> connections = std::make_shared<Connections>();
  std::shared_ptr<const PageLoader> loader;
};

HttpServer::HttpServer(boost::asio::io_context& io, const FeedCache& cache, HttpServerOptions options)
    : impl_(std::make_shared<Impl>(io, cache, options)) {}

void HttpServer::set_page_loader(PageLoader loader) {
  impl_->loader = std::make_shared<const PageLoader>(std::move(loader));
}

HttpServer::~HttpServer() { impl_->close_all(); }

Status HttpServer::listen(std::string_view address) {
  if (!impl_->workers.empty()) return Status::invalid_argument("the HTTP server is already listening");
  Result<HostPort> where = parse_host_port(address);
  if (!where.ok()) return where.status();
  impl_->make_workers();
  if (const beast::error_code ec = impl_->open(*where)) {
    impl_->drop_workers();
    return Status::network("listen on " + std::string(address) + ": " + ec.message());
  }
  impl_->port = impl_->acceptor->local_endpoint().port();
  impl_->run();
  return Status::ok();
}

Status HttpServer::adopt(int listening_fd) {
  if (!impl_->workers.empty()) return Status::invalid_argument("the HTTP server is already listening");
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(listening_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return Status::network("socket " + std::to_string(listening_fd) + ": " + std::strerror(errno));
  }
  if (address.ss_family != AF_INET && address.ss_family != AF_INET6) {
    return Status::invalid_argument("socket " + std::to_string(listening_fd) + " is not a TCP/IP socket");
  }
  impl_->make_workers();
  beast::error_code ec;
  impl_->acceptor->assign(address.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), listening_fd, ec);
  if (ec) {
    impl_->drop_workers();
    return Status::network("socket " + std::to_string(listening_fd) + ": " + ec.message());
  }
  impl_->port = impl_->acceptor->local_endpoint(ec).port();
  impl_->run();
  return Status::ok();
}

std::uint16_t HttpServer::port() const { return impl_->port; }

std::size_t HttpServer::connections() const {
  const std::lock_guard lock(impl_->connections->mutex);
  return impl_->connections->all.size();
}

std::size_t HttpServer::threads() const { return impl_->workers.size(); }

// dispatch: at once on the io thread (a signal handler), queued from any other thread.
void HttpServer::stop() { net::dispatch(impl_->io, [impl = impl_] { impl->close_all(); }); }

}  // namespace feedd

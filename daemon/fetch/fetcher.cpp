#include "feedd/fetch.hpp"

#include <algorithm>
#include <deque>
#include <mutex>
#include <optional>
#include <unordered_map>

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "fetch/curl_handles.hpp"
#include "fetch/file_source.hpp"
#include "fetch/transfer.hpp"
#include "fetch/url_parts.hpp"

namespace feedd {

namespace fetch {
void ensure_curl_global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}
}  // namespace fetch

namespace {

namespace asio = boost::asio;
using fetch::Transfer;

// One socket curl asked us to watch. curl owns the fd: the descriptor only borrows it and
// is release()d, never closed.
struct SocketWatch {
  explicit SocketWatch(asio::io_context& io) : descriptor(io) {}
  asio::posix::stream_descriptor descriptor;
  int wanted = 0;  // CURL_POLL_IN / OUT / INOUT
  bool read_pending = false;
  bool write_pending = false;
};

enum class Direction { kRead, kWrite };

struct Pending {
  FetchRequest req;
  std::function<void(FetchResult)> done;
  std::string host;
};

}  // namespace

struct Fetcher::Impl {
  Impl(asio::io_context& io, Limits limits);
  ~Impl();

  void fetch(FetchRequest req, std::function<void(FetchResult)> done);
  void set_limits(Limits limits);
  void apply_connection_limits();
  void fetch_file(FetchRequest req, std::function<void(FetchResult)> done, const std::string& path);
  void start_queued();
  void wake_at(std::chrono::steady_clock::time_point when);
  void start(Pending pending);
  void deliver(std::function<void(FetchResult)> done, FetchResult result);

  static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* socketp);
  static int on_timer(CURLM* multi, long timeout_ms, void* self);
  bool watch(curl_socket_t fd, int what);
  void arm(const std::shared_ptr<SocketWatch>& w, Direction dir);
  void on_ready(const std::weak_ptr<SocketWatch>& weak, Direction dir, boost::system::error_code ec);
  void on_timeout();
  void socket_action(curl_socket_t fd, int flags);
  void collect_finished();

  asio::io_context& io_;
  Limits limits_;
  // Posted handlers check this before touching the Impl: Asio may run a handler that was
  // already queued after the Fetcher is gone.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  // The timer and the socket registry are declared before the multi handle and outlive it:
  // curl_multi_cleanup still calls on_socket and on_timer.
  asio::steady_timer timer_;
  std::unordered_map<curl_socket_t, std::shared_ptr<SocketWatch>> watches_;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> transfers_;
  std::unordered_map<std::string, int> per_host_;
  // When each host may next be asked (host_delay after the last start); hosts whose time
  // has passed are dropped from it.
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> host_free_at_;
  asio::steady_timer spacing_timer_;
  std::optional<std::chrono::steady_clock::time_point> spacing_wake_;
  std::deque<Pending> queue_;
  fetch::MultiPtr multi_;
};

namespace {
// A limit below one would queue every request forever.
Fetcher::Limits at_least_one(Fetcher::Limits limits) {
  limits.concurrency = std::max(limits.concurrency, 1);
  limits.per_host = std::max(limits.per_host, 1);
  limits.host_delay = std::max(limits.host_delay, std::chrono::milliseconds(0));
  return limits;
}
}  // namespace

Fetcher::Impl::Impl(asio::io_context& io, Limits limits)
    : io_(io), limits_(at_least_one(limits)), timer_(io), spacing_timer_(io) {
  fetch::ensure_curl_global_init();
  multi_.reset(curl_multi_init());
  curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
  curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_.get(), CURLMOPT_TIMERFUNCTION, &Impl::on_timer);
  curl_multi_setopt(multi_.get(), CURLMOPT_TIMERDATA, this);
  // One multi handle means one connection cache and one DNS cache for every transfer:
  // keep-alive connections and resolved names are reused across sources. HTTP/2
  // multiplexing lets several feeds of one host share a connection; the connection
  // limits mirror ours so curl never opens more than the queue would allow.
  curl_multi_setopt(multi_.get(), CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  apply_connection_limits();
}

void Fetcher::Impl::apply_connection_limits() {
  // curl reads these when it next opens a connection: connections already open stay.
  curl_multi_setopt(multi_.get(), CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(limits_.per_host));
  curl_multi_setopt(multi_.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(limits_.concurrency));
}

void Fetcher::Impl::set_limits(Limits limits) {
  limits = at_least_one(limits);
  // host_free_at_ holds last start + the old delay; move each to last start + the new one.
  const auto change = limits.host_delay - limits_.host_delay;
  if (change.count() != 0) {
    for (auto& [host, free_at] : host_free_at_) free_at += change;
    spacing_wake_.reset();
    spacing_timer_.cancel();
  }
  limits_ = limits;
  apply_connection_limits();
  start_queued();
}

Fetcher::Impl::~Impl() {
  alive_.reset();
  // An easy handle must leave the multi before it is cleaned up. Removing one whose name is
  // still being resolved joins curl's resolver thread, which can take as long as the system
  // resolver's timeout: at shutdown (the only time transfers are abandoned) QUICK_EXIT
  // lets that thread go instead of holding the exit.
  for (auto& [easy, transfer] : transfers_) {
    curl_easy_setopt(easy, CURLOPT_QUICK_EXIT, 1L);
    curl_multi_remove_handle(multi_.get(), easy);
  }
  transfers_.clear();
  multi_.reset();  // calls on_socket(REMOVE) for cached connections: watches_ still exists
  for (auto& [fd, w] : watches_) w->descriptor.release();
  watches_.clear();
  timer_.cancel();
  spacing_timer_.cancel();
}

void Fetcher::Impl::fetch(FetchRequest req, std::function<void(FetchResult)> done) {
  auto parts = fetch::split_url(req.url);
  if (!parts) {
    FetchResult result;
    result.final_url = req.url;
    result.status = parts.status();
    return deliver(std::move(done), std::move(result));
  }
  if (parts->scheme == "file") return fetch_file(std::move(req), std::move(done), parts->path);
  queue_.push_back(Pending{std::move(req), std::move(done), std::move(parts->server)});
  start_queued();
}

void Fetcher::Impl::fetch_file(FetchRequest req, std::function<void(FetchResult)> done, const std::string& path) {
  deliver(std::move(done), fetch::read_file_source(req, path));
}

// Always through the io_context: `done` must not run inside fetch() (the caller may hold
// locks or be half-way through its own bookkeeping), nor after the Fetcher is destroyed.
void Fetcher::Impl::deliver(std::function<void(FetchResult)> done, FetchResult result) {
  asio::post(io_, [alive = std::weak_ptr<int>(alive_), done = std::move(done), result = std::move(result)]() mutable {
    if (alive.expired()) return;
    done(std::move(result));
  });
}

// FIFO per host, but a host at its limit does not hold back the requests for other hosts
// queued behind it.
void Fetcher::Impl::start_queued() {
  const auto now = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> earliest_wait;
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (transfers_.size() >= static_cast<std::size_t>(limits_.concurrency)) break;
    if (per_host_[it->host] >= limits_.per_host) {
      ++it;
      continue;
    }
    if (limits_.host_delay.count() > 0) {
      auto free = host_free_at_.find(it->host);
      if (free != host_free_at_.end() && free->second > now) {
        if (!earliest_wait || free->second < *earliest_wait) earliest_wait = free->second;
        ++it;
        continue;
      }
      host_free_at_[it->host] = now + limits_.host_delay;
    }
    Pending pending = std::move(*it);
    it = queue_.erase(it);
    start(std::move(pending));
  }
  if (host_free_at_.size() > 4 * static_cast<std::size_t>(limits_.concurrency)) {
    std::erase_if(host_free_at_, [now](const auto& kv) { return kv.second <= now; });
  }
  if (earliest_wait) wake_at(*earliest_wait);
}

// A queued request held back only by its host's spacing needs a timer: no transfer
// finishing is guaranteed to call start_queued() again in time.
void Fetcher::Impl::wake_at(std::chrono::steady_clock::time_point when) {
  if (spacing_wake_ && *spacing_wake_ <= when && *spacing_wake_ > std::chrono::steady_clock::now()) return;
  spacing_wake_ = when;
  spacing_timer_.expires_at(when);
  spacing_timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted || alive.expired()) return;
    spacing_wake_.reset();
    start_queued();
  });
}

void Fetcher::Impl::start(Pending pending) {
  auto transfer = std::make_unique<Transfer>(std::move(pending.req), std::move(pending.done), pending.host);
  Status started = transfer->start();
  if (started.is_ok() && curl_multi_add_handle(multi_.get(), transfer->easy()) != CURLM_OK) {
    started = Status::network("GET " + transfer->url() + ": curl_multi_add_handle failed");
  }
  if (!started.is_ok()) {
    FetchResult result;
    result.final_url = transfer->url();
    result.status = std::move(started);
    return deliver(transfer->take_done(), std::move(result));
  }
  ++per_host_[transfer->host()];
  CURL* easy = transfer->easy();
  transfers_.emplace(easy, std::move(transfer));
}

int Fetcher::Impl::on_socket(CURL*, curl_socket_t fd, int what, void* self, void*) {
  return static_cast<Impl*>(self)->watch(fd, what) ? 0 : -1;
}

bool Fetcher::Impl::watch(curl_socket_t fd, int what) {
  auto found = watches_.find(fd);
  if (what == CURL_POLL_REMOVE) {
    if (found == watches_.end()) return true;
    // release() cancels our waits (they complete with operation_aborted) and hands the fd
    // back: curl closes it, possibly right after this returns.
    found->second->wanted = 0;
    found->second->descriptor.release();
    watches_.erase(found);
    return true;
  }
  if (found == watches_.end()) {
    // Sockets we did not open (the resolver's, a connection from the cache) arrive here too.
    auto fresh = std::make_shared<SocketWatch>(io_);
    boost::system::error_code ec;
    fresh->descriptor.assign(fd, ec);
    if (ec) return false;  // no exceptions through curl's C frames; curl fails the transfer
    found = watches_.emplace(fd, std::move(fresh)).first;
  }
  const auto& w = found->second;
  w->wanted = what;
  if ((what & CURL_POLL_IN) && !w->read_pending) arm(w, Direction::kRead);
  if ((what & CURL_POLL_OUT) && !w->write_pending) arm(w, Direction::kWrite);
  return true;
}

void Fetcher::Impl::arm(const std::shared_ptr<SocketWatch>& w, Direction dir) {
  const bool read = dir == Direction::kRead;
  (read ? w->read_pending : w->write_pending) = true;
  // A weak_ptr, not the fd: by the time this runs curl may have dropped the socket and the
  // same fd number may belong to a new connection with its own SocketWatch.
  w->descriptor.async_wait(
      read ? asio::posix::stream_descriptor::wait_read : asio::posix::stream_descriptor::wait_write,
      [this, weak = std::weak_ptr<SocketWatch>(w), dir](boost::system::error_code ec) { on_ready(weak, dir, ec); });
}

void Fetcher::Impl::on_ready(const std::weak_ptr<SocketWatch>& weak, Direction dir, boost::system::error_code ec) {
  // operation_aborted: we released the socket, or the Fetcher is being destroyed.
  if (ec == asio::error::operation_aborted) return;
  // Only the registry owns a SocketWatch, so a live one means the Impl is alive too.
  auto w = weak.lock();
  if (!w) return;
  const bool read = dir == Direction::kRead;
  (read ? w->read_pending : w->write_pending) = false;
  const int bit = read ? CURL_POLL_IN : CURL_POLL_OUT;
  if (!(w->wanted & bit)) return;  // curl stopped caring about this direction meanwhile

  const int flags = ec ? CURL_CSELECT_ERR : (read ? CURL_CSELECT_IN : CURL_CSELECT_OUT);
  socket_action(w->descriptor.native_handle(), flags);

  // Each async_wait fires once: wait again while curl still wants this direction and
  // on_socket did not already re-arm it (or remove the socket) during the action.
  const bool pending = read ? w->read_pending : w->write_pending;
  if (w->descriptor.is_open() && (w->wanted & bit) && !pending) arm(w, dir);
}

int Fetcher::Impl::on_timer(CURLM*, long timeout_ms, void* self) {
  auto* impl = static_cast<Impl*>(self);
  if (timeout_ms < 0) {
    impl->timer_.cancel();
    return 0;
  }
  // 0 ms means "call me again soon", never "call me now": curl must not be re-entered from
  // its own callback, so even 0 goes through the timer.
  impl->timer_.expires_after(std::chrono::milliseconds(timeout_ms));
  impl->timer_.async_wait([impl, alive = std::weak_ptr<int>(impl->alive_)](boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted || alive.expired()) return;
    impl->on_timeout();
  });
  return 0;
}

void Fetcher::Impl::on_timeout() { socket_action(CURL_SOCKET_TIMEOUT, 0); }

void Fetcher::Impl::socket_action(curl_socket_t fd, int flags) {
  int running = 0;
  curl_multi_socket_action(multi_.get(), fd, flags, &running);
  collect_finished();
}

// Finished transfers are only announced through curl_multi_info_read; one not drained here
// would hold its slot forever.
void Fetcher::Impl::collect_finished() {
  int left = 0;
  bool freed = false;
  while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    const CURLcode code = msg->data.result;  // msg is invalid once the handle is removed
    auto found = transfers_.find(easy);
    if (found == transfers_.end()) continue;
    std::unique_ptr<Transfer> transfer = std::move(found->second);
    transfers_.erase(found);
    curl_multi_remove_handle(multi_.get(), easy);
    if (--per_host_[transfer->host()] <= 0) per_host_.erase(transfer->host());
    FetchResult result = transfer->finish(code);
    deliver(transfer->take_done(), std::move(result));
    freed = true;
  }
  if (freed) start_queued();
}

Fetcher::Fetcher(boost::asio::io_context& io, Limits limits) : impl_(std::make_unique<Impl>(io, limits)) {}
Fetcher::~Fetcher() = default;

void Fetcher::fetch(FetchRequest req, std::function<void(FetchResult)> done) {
  impl_->fetch(std::move(req), std::move(done));
}

void Fetcher::set_limits(Limits limits) { impl_->set_limits(limits); }
Fetcher::Limits Fetcher::limits() const { return impl_->limits_; }

std::size_t Fetcher::drop_queued() {
  const std::size_t dropped = impl_->queue_.size();
  impl_->queue_.clear();
  return dropped;
}

std::size_t Fetcher::in_flight() const { return impl_->transfers_.size(); }
std::size_t Fetcher::queued() const { return impl_->queue_.size(); }

}  // namespace feedd

// The pipeline's wiring. Each stage runs where ARCHITECTURE.md puts it:
//   io thread     schedule, fetch (curl multi on Asio), HTTP server, timers
//   parse pool    parse_feed + filters: pure work that may take a while on a big feed
//   store thread  the single writer: apply_fetch, health records, render, output files
// Values travel between them by `post`; nothing is shared under a lock.

#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <atomic>
#include <deque>
#include <filesystem>
#include <map>
#include <random>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include "feedd/dedup.hpp"
#include "feedd/fetch.hpp"
#include "feedd/metrics.hpp"
#include "feedd/opml.hpp"
#include "feedd/parse.hpp"
#include "feedd/pipeline.hpp"
#include "feedd/render.hpp"
#include "feedd/schedule.hpp"
#include "feedd/status_page.hpp"
#include "feedd/serve.hpp"
#include "feedd/store.hpp"
#include "dedup/sha256.hpp"
#include "fetch/url_parts.hpp"
#include "pipeline/entry_filter.hpp"
#include "pipeline/feed_renderer.hpp"

namespace feedd {

namespace asio = boost::asio;

namespace {

// What the io thread remembers of a source between fetches (mirrors the store).
struct Validators {
  std::optional<std::string> etag;
  std::optional<std::string> last_modified;
};

// The outcome of one fetch after it has been parsed and stored, back on the io thread.
struct SourceOutcome {
  enum class Kind { kFetched, kNotModified, kFailed } kind = Kind::kFailed;
  ApplyStats stats;
  Validators validators;
  // What the schedule learns from this fetch (hints of the answer and the document).
  FetchOutcome schedule;
  std::optional<std::string> body_hash;  // of a 200 body now stored
};

Fetcher::Limits fetch_limits(const DaemonSettings& daemon) {
  return {daemon.concurrency, daemon.per_host, std::chrono::milliseconds(daemon.host_delay)};
}

SourceOutcome failed_outcome() { return {SourceOutcome::Kind::kFailed, {}, {}, {}, {}}; }

// What the feed itself says about how often to ask it (RSS ttl, sy:updatePeriod,
// skipHours, skipDays).
void read_declared_schedule(const FeedMeta& feed, FetchOutcome& outcome) {
  // The longer of the two when a feed gives both: each is the publisher asking for calm.
  int minutes = 0;
  if (feed.ttl_minutes) minutes = std::max(minutes, *feed.ttl_minutes);
  if (feed.update_period_minutes) minutes = std::max(minutes, *feed.update_period_minutes);
  if (minutes > 0) outcome.declared_interval = std::chrono::minutes(minutes);
  outcome.skip_hours = feed.skip_hours;
  outcome.skip_days = feed.skip_days;
}

// "host:pid:random": unique per run, and readable in `feedd status` and the logs.
std::string make_daemon_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "localhost");
  std::random_device random;
  char id[300];
  std::snprintf(id, sizeof id, "%s:%d:%08x", host, static_cast<int>(getpid()), random());
  return id;
}

// A daemon id of this machine whose process is gone (kill(pid, 0) finds no process).
// Ids of other machines are never judged: only their leases' timeout ends them.
bool is_dead_local_daemon(const std::string& holder, const std::string& own_id) {
  const auto own_host_end = own_id.find(':');
  const auto host_end = holder.find(':');
  if (host_end == std::string::npos || holder.compare(0, host_end, own_id, 0, own_host_end) != 0 ||
      host_end != own_host_end) {
    return false;
  }
  const auto pid_end = holder.find(':', host_end + 1);
  if (pid_end == std::string::npos) return false;
  const long pid = std::strtol(holder.c_str() + host_end + 1, nullptr, 10);
  if (pid <= 0 || pid == static_cast<long>(getpid())) return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

// The unit of politeness shared through the database: the server the request goes to
// (host and explicit port), the same unit the fetcher and the schedule count.
std::string host_key(const std::string& url) {
  auto parts = fetch::split_url(url);
  return parts.ok() ? parts->server : std::string();
}

HttpServerOptions http_options(const DaemonSettings& daemon) {
  HttpServerOptions options;
  options.max_connections = static_cast<std::size_t>(daemon.max_connections);
  return options;
}

// One near-duplicate print per entry, in order (FetchedFeed::near_prints).
std::vector<dedup::NearPrint> near_prints_of(const std::vector<Entry>& entries) {
  std::vector<dedup::NearPrint> prints;
  prints.reserve(entries.size());
  for (const Entry& entry : entries) prints.push_back(dedup::near_print(entry));
  return prints;
}

}  // namespace

struct Aggregator::Impl : std::enable_shared_from_this<Aggregator::Impl> {
  Impl(asio::io_context& io_context, Config cfg, Clock clk)
      : io(io_context),
        config(std::move(cfg)),
        clock(std::move(clk)),
        fetcher(io, fetch_limits(config.daemon)),
        poll_timer(io),
        http(io, cache, http_options(config.daemon)) {
    for (const Source& source : config.sources) {
      sources.emplace(source.url, source);
      filters.emplace(source.url, std::make_shared<const pipeline::EntryFilter>(source));
    }
  }

  asio::io_context& io;
  Config config;
  Clock clock;
  Fetcher fetcher;
  asio::steady_timer poll_timer;
  FeedCache cache;
  HttpServer http;
  bool serving = false;
  bool socket_activated = false;  // serving on systemd's socket: `listen` is not ours to move
  std::unique_ptr<Store> store;  // used on store_thread only, after open()
  asio::thread_pool parse_pool{2};
  asio::thread_pool store_thread{1};
  std::map<std::string, Source> sources;
  // A reload swaps these for new ones while other threads may hold the old ones: each
  // is immutable, shared, and read through std::atomic_load off the io thread.
  std::map<std::string, std::shared_ptr<const pipeline::EntryFilter>> filters;  // io thread only
  std::shared_ptr<const pipeline::EntryFilter> output_filter =
      std::make_shared<const pipeline::EntryFilter>(config.output);  // [output] include / exclude
  std::shared_ptr<const pipeline::FeedRenderer> renderer = std::make_shared<const pipeline::FeedRenderer>(config);
  std::atomic<std::int64_t> retention_seconds{config.daemon.retention.count()};
  const std::filesystem::path database{config.daemon.database};  // a reload never moves it
  // Older pages are rendered on demand by this thread, from its own connection: WAL
  // readers never wait for the writer, so neither does the HTTP server.
  asio::thread_pool page_thread{1};
  std::unique_ptr<Store> page_store;  // used on page_thread only
  asio::steady_timer prune_timer{io};
  std::map<std::string, Validators> validators;
  std::map<std::string, SourceHttpState> http_states;  // mirrors the store, on the io thread
  Schedule schedule;
  bool polling = false;
  bool stopping = false;
  bool render_pending = false;
  int in_flight = 0;
  std::uint64_t completed = 0;
  std::chrono::steady_clock::time_point last_completion{};
  // /metrics: counted here on the io thread and rendered into the cache after each
  // change, so a scrape is a cache lookup and never waits for the store.
  ServiceMetrics metrics;
  std::map<std::string, int> consecutive_failures;  // io thread; seeded from the store
  // Only while serving: nobody else reads /metrics or "/", and both walk every source
  // (`feedd once` of 10,000 sources would walk them after each of its 10,000 fetches).
  void publish_metrics();
  // Once for a burst of outcomes (a group commit reports many at once).
  void publish_metrics_soon();
  bool metrics_posted = false;
  void publish_opml();  // /opml: the configured sources, again after a reload
  // /healthz: whether the store's last write succeeded (store thread only); a change is
  // posted to the io thread's cache, so a full or read-only database shows as 503.
  bool store_writable = true;
  void note_store_write(const Status& status);
  // "/": the HTML status page, read and rendered on page_thread from its own connection
  // (never waiting for the writer), at most once per kStatusPagePause while fetches finish.
  static constexpr std::chrono::seconds kStatusPagePause{2};
  asio::steady_timer status_page_timer{io};
  bool status_page_armed = false;
  void status_page_soon();
  void refresh_status_page();
  bool open_page_store();  // on page_thread

  // Current pass of run_once().
  struct Pass {
    PassSummary summary;
    int pending = 0;
    std::chrono::steady_clock::time_point started;
    std::function<void(const PassSummary&)> done;
    std::function<void(const PassSummary&, std::chrono::milliseconds)> progress;
  };
  std::optional<Pass> pass;
  // Sources of the pass not started yet. A pass keeps the fetcher's queue full (twice
  // `concurrency` requests not yet answered) while the parse pool and the store work
  // through the answers, up to kPassBacklogBytes of bodies between answer and commit
  // (4 MB, about three times that once parsed; more only cost memory at 10,000 feeds):
  // so the network never waits for a group commit to end, and bodies and parsed feeds
  // never pile up in memory faster than the store thread takes them. (Counting the
  // answered ones against the window too made a cold pass wait on its own commits:
  // a third of the store thread's time was idle.)
  static constexpr std::size_t kPassBacklogBytes = 4u << 20;
  std::deque<const Source*> pass_waiting;
  int awaiting_answer = 0;           // pass fetches handed to the fetcher, not yet answered
  std::size_t backlog_bytes = 0;     // bodies answered, not yet committed
  std::map<std::string, std::size_t> backlog_by_url;
  void start_waiting();
  std::function<void()> on_idle;  // stop() waiting for fetches in flight
  // The io_context would return from run() while the parse pool or store thread still
  // work on its behalf; this keeps it running during a pass and while polling.
  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::optional<WorkGuard> busy;

  void fetch_source(const Source& source);
  bool is_gone(const std::string& url) const;
  void learn_from_answer(const std::string& url, const FetchResult& result);
  void save_http_state(const std::string& url);
  // Group commit, on the store thread: the first store job after a commit opens a batch
  // and queues its commit behind the jobs already waiting, so a busy pass commits many
  // fetches at once and a quiet daemon commits each at once. false: no batch could be
  // opened (the database is locked past the busy timeout, read-only, damaged): the job
  // writes nothing and reports its fetch as failed, to be fetched again later.
  bool join_batch();
  void commit_batch();
  // A batch open this long takes no more jobs: the next one commits it and opens another.
  // Else, while fetches arrive faster than they are stored (a cold pass on PostgreSQL,
  // where each statement is a round trip), one batch grew to 9,000 fetches that took
  // minutes, with no outcome reported meanwhile: the watchdog starved, and no lease was
  // released nor next fetch scheduled until it committed.
  static constexpr std::chrono::seconds kBatchSpan{1};
  std::chrono::steady_clock::time_point batch_opened{};  // store thread only
  void report_when_committed(const std::string& url, SourceOutcome outcome);
  std::vector<std::pair<std::string, SourceOutcome>> uncommitted_reports;  // store thread only
  void on_fetched(const std::string& url, FetchResult result);
  void on_outcome(const std::string& url, const SourceOutcome& outcome);
  void request_render(std::function<void()> then = {});
  void render_now();  // on the store thread
  void prune_now();   // on the store thread
  void arm_prune_timer();
  void load_page(const PageRequest& page, std::function<void()> done);
  void arm_poll_timer();

  // Several daemons, one database (README): before fetching due sources `feedd run`
  // claims them under this run's id; claims and releases are short writes of their own,
  // on their own connection and thread: inside the writer's group commit they would stay
  // invisible to the other daemons until it commits, and hold the write lock meanwhile.
  std::string daemon_id;  // set by start_polling(); `feedd once` claims nothing
  asio::thread_pool lease_thread{1};
  std::unique_ptr<Store> lease_store;  // used on lease_thread only
  bool open_lease_store();              // on lease_thread
  ClaimLimits claim_limits() const;
  void claim_and_fetch(std::vector<std::string> urls);
  void on_claims(const std::vector<std::string>& urls, const Result<std::vector<SourceClaim>>& claims);
  void release_lease(const std::string& url, std::optional<Timestamp> next_fetch,
                     std::optional<std::chrono::seconds> retry_after);
  // The other daemons' stories: their change counts, polled from the page thread's
  // connection; a move renders the feeds again.
  static constexpr std::chrono::seconds kChangePoll{1};
  asio::steady_timer change_timer{io};
  std::optional<std::int64_t> others_changes;  // io thread
  // Releases wait here (io thread) while one flush is queued behind the io thread's
  // handlers: a burst
  // of outcomes (a group commit reports many at once) costs one write, not one each.
  std::vector<Store::Release> pending_releases;
  bool releases_posted = false;
  std::minstd_rand wake_jitter{std::random_device{}()};  // io thread
  void arm_change_timer();
  // A daemon restarted after a crash would otherwise wait out its former run's leases.
  void release_leases_of_the_dead();
};

Aggregator::Aggregator(asio::io_context& io, Config config, Clock clock)
    : impl_(std::make_shared<Impl>(io, std::move(config), std::move(clock))) {}

Aggregator::~Aggregator() {
  impl_->poll_timer.cancel();
  impl_->prune_timer.cancel();
  impl_->status_page_timer.cancel();
  impl_->change_timer.cancel();
  // The pools must finish before the store they use goes away.
  impl_->parse_pool.join();
  impl_->store_thread.join();
  impl_->page_thread.join();
  impl_->lease_thread.join();
}

Status Aggregator::open() {
  // The writer refuses a damaged file rather than writing into it (README, "What is never lost").
  StoreOptions writer;
  writer.check_integrity = true;
  writer.background_checkpoint = true;  // commits are only appends to the log
  auto opened = Store::open(impl_->config.daemon.database, writer);
  if (!opened.ok()) return opened.status();
  impl_->store = std::move(opened).value();
  if (auto durability = impl_->store->durability(); durability.ok()) {
    spdlog::info("database {}: {}", database_display_name(impl_->database), *durability);
  }
  if (Status s = impl_->store->sync_sources(impl_->config.sources); !s.is_ok()) return s;
  auto states = impl_->store->source_states();
  if (!states.ok()) return states.status();
  for (const SourceState& state : *states) {
    impl_->validators[state.url] = {state.etag, state.last_modified};
    impl_->consecutive_failures[state.url] = state.consecutive_failures;
  }
  auto http_states = impl_->store->source_http_states();
  if (!http_states.ok()) return http_states.status();
  for (SourceHttpState& state : *http_states) {
    const std::string url = state.url;
    impl_->http_states[url] = std::move(state);
  }
  // The stored stories are served from the first second, before any fetch.
  impl_->store->set_near_duplicates(impl_->config.output.near_duplicates);
  impl_->http.set_page_loader([weak = std::weak_ptr<Impl>(impl_)](const PageRequest& page, std::function<void()> done) {
    if (auto self = weak.lock()) self->load_page(page, std::move(done));
  });
  impl_->render_now();
  impl_->publish_opml();
  impl_->publish_metrics();
  impl_->refresh_status_page();
  return Status::ok();
}

Status Aggregator::serve_http(std::optional<int> passed_socket) {
  if (passed_socket) {
    Status s = impl_->http.adopt(*passed_socket);
    impl_->serving = impl_->socket_activated = s.is_ok();
    if (impl_->serving) {
      spdlog::info("serving the unified feed on the socket systemd passed (port {})", impl_->http.port());
      impl_->publish_metrics();
      impl_->refresh_status_page();
    }
    return s;
  }
  if (impl_->config.daemon.listen.empty()) return Status::ok();
  Status s = impl_->http.listen(impl_->config.daemon.listen);
  impl_->serving = s.is_ok();
  if (impl_->serving) {
    spdlog::info("serving the unified feed on http://{}/feed.atom", impl_->config.daemon.listen);
    impl_->publish_metrics();
    impl_->refresh_status_page();
  }
  return s;
}

std::uint16_t Aggregator::http_port() const { return impl_->serving ? impl_->http.port() : 0; }

Aggregator::Progress Aggregator::progress() const {
  return {impl_->in_flight, impl_->completed, impl_->last_completion};
}

void Aggregator::run_once(std::function<void(const PassSummary&)> done,
                          std::function<void(const PassSummary&, std::chrono::milliseconds)> progress) {
  Impl& self = *impl_;
  self.pass.emplace();
  self.busy.emplace(self.io.get_executor());
  self.pass->started = std::chrono::steady_clock::now();
  self.pass->done = std::move(done);
  self.pass->progress = std::move(progress);
  for (const auto& [url, source] : self.sources) {
    if (!source.enabled || self.is_gone(url)) continue;
    ++self.pass->summary.sources;
    ++self.pass->pending;
  }
  if (self.pass->pending == 0) {
    self.request_render([weak = std::weak_ptr<Impl>(impl_)] {
      if (auto self = weak.lock(); self && self->pass) {
        auto pass = std::move(*self->pass);
        self->pass.reset();
        if (!self->polling) self->busy.reset();
        pass.done(pass.summary);
      }
    });
    return;
  }
  for (const auto& [url, source] : self.sources) {
    if (source.enabled && !self.is_gone(url)) self.pass_waiting.push_back(&source);
  }
  self.start_waiting();
  self.publish_metrics();
}

void Aggregator::start_polling() {
  Impl& self = *impl_;
  self.polling = true;
  self.arm_prune_timer();
  self.busy.emplace(self.io.get_executor());
  self.daemon_id = make_daemon_id();
  spdlog::info("daemon {}: shares {} with any other feedd run on it (leases of {} s)", self.daemon_id,
               self.database.string(), self.claim_limits().lease.count());
  auto states = std::make_shared<std::vector<SourceState>>();
  // The last fetch times live in the store; ask its thread, then schedule on ours.
  asio::post(self.store_thread, [weak = std::weak_ptr<Impl>(impl_), states, id = self.daemon_id, now = self.clock()] {
    auto self = weak.lock();
    if (!self) return;
    if (Status s = self->store->set_daemon_id(id, now); !s.is_ok()) spdlog::error("{}", s.to_string());
    if (auto read = self->store->source_states(); read.ok()) *states = std::move(read).value();
    asio::post(self->io, [weak, states] {
      auto self = weak.lock();
      if (!self || self->stopping) return;
      std::map<std::string, Timestamp> last_fetch;
      for (const SourceState& state : *states) {
        if (state.last_fetch) last_fetch[state.url] = *state.last_fetch;
      }
      std::map<std::string, Timestamp> next_fetch;
      for (const auto& [url, state] : self->http_states) {
        if (state.next_fetch) next_fetch[url] = *state.next_fetch;
      }
      std::vector<Source> list;
      for (const auto& [url, source] : self->sources) {
        if (!self->is_gone(url)) list.push_back(source);
      }
      self->schedule.set_sources(list, self->clock(), last_fetch, std::nullopt, next_fetch);
      self->release_leases_of_the_dead();
      self->arm_poll_timer();
      self->arm_change_timer();
    });
  });
}

ConfigDiff Aggregator::reload(Config next) {
  Impl& self = *impl_;
  const ConfigDiff diff = diff_configs(self.config, next);
  if (diff.empty()) return diff;
  // The store and the page reader keep the file they opened: a new database is a restart.
  if (next.daemon.database != self.config.daemon.database) {
    spdlog::warn("reload: database = {} needs a restart; still using {}", database_display_name(next.daemon.database),
                 database_display_name(self.config.daemon.database));
    next.daemon.database = self.config.daemon.database;
  }
  // The fetch limits apply at once: transfers in flight finish, new ones obey the new limits.
  if (next.daemon.concurrency != self.config.daemon.concurrency ||
      next.daemon.per_host != self.config.daemon.per_host || next.daemon.host_delay != self.config.daemon.host_delay) {
    self.fetcher.set_limits(fetch_limits(next.daemon));
    spdlog::info("reload: fetching with concurrency {}, per_host {}, host_delay {} s", next.daemon.concurrency,
                 next.daemon.per_host, next.daemon.host_delay.count());
  }
  // The listener was built with it: the connection cap holds until a restart.
  if (next.daemon.max_connections != self.config.daemon.max_connections) {
    spdlog::warn("reload: max_connections = {} needs a restart; still {}", next.daemon.max_connections,
                 self.config.daemon.max_connections);
    next.daemon.max_connections = self.config.daemon.max_connections;
  }
  spdlog::set_level(spdlog::level::from_str(next.daemon.log_level));

  self.sources.clear();
  self.filters.clear();
  for (const Source& source : next.sources) {
    self.sources.emplace(source.url, source);
    self.filters.emplace(source.url, std::make_shared<const pipeline::EntryFilter>(source));
  }
  std::atomic_store(&self.output_filter, std::make_shared<const pipeline::EntryFilter>(next.output));
  self.retention_seconds = next.daemon.retention.count();
  if (self.socket_activated && next.daemon.listen != self.config.daemon.listen) {
    spdlog::warn("reload: listen = \"{}\" is not used: the socket comes from systemd (change ListenStream= in "
                 "feedd.socket)", next.daemon.listen);
    next.daemon.listen = self.config.daemon.listen;
  }
  const bool listen_changed = next.daemon.listen != self.config.daemon.listen;
  const std::string old_listen = self.config.daemon.listen;
  self.config = next;
  self.publish_opml();
  self.publish_metrics();
  self.status_page_soon();

  // The store learns the new sources and renders with the new [output] and tags, after
  // whatever it is already doing.
  auto renderer = std::make_shared<const pipeline::FeedRenderer>(next);
  asio::post(self.store_thread, [weak = std::weak_ptr<Impl>(impl_), renderer, sources = next.sources,
                                 near = next.output.near_duplicates] {
    auto self = weak.lock();
    if (!self) return;
    if (Status s = self->store->sync_sources(sources); !s.is_ok()) spdlog::error("reload: {}", s.to_string());
    self->store->set_near_duplicates(near);
    std::atomic_store(&self->renderer, renderer);
    self->render_now();
  });

  if (self.polling) {
    std::vector<Source> list;
    for (const auto& [url, source] : self.sources) {
      if (!self.is_gone(url)) list.push_back(source);
    }
    // Kept sources keep their due times; added ones are spread, 10 ms apart on average,
    // so a reload that adds 10,000 sources does not fire them all in the same second.
    const auto spread = std::chrono::seconds(std::max<std::size_t>(1, diff.added.size() / 100));
    self.schedule.set_sources(list, self.clock(), {}, spread);
    self.poll_timer.cancel();
    self.arm_poll_timer();
  }

  if (listen_changed) {
    if (self.serving) self.http.stop();
    self.serving = false;
    if (Status s = serve_http(); !s.is_ok()) {
      spdlog::error("reload: {}; staying on {}", s.to_string(), old_listen);
      self.config.daemon.listen = old_listen;
      if (Status back = serve_http(); !back.is_ok()) spdlog::error("reload: {}", back.to_string());
    }
  }
  return diff;
}

void Aggregator::stop(std::function<void()> done, std::chrono::seconds grace) {
  Impl& self = *impl_;
  self.stopping = true;
  self.polling = false;
  self.poll_timer.cancel();
  self.prune_timer.cancel();
  self.status_page_timer.cancel();
  self.change_timer.cancel();
  if (self.serving) self.http.stop();
  // Requests still queued behind the limits are not sent: only transfers in flight get
  // the grace period.
  self.in_flight -= static_cast<int>(self.fetcher.drop_queued());
  auto finish = [weak = std::weak_ptr<Impl>(impl_), done = std::move(done)]() mutable {
    auto self = weak.lock();
    if (!self) return;
    self->on_idle = nullptr;
    self->poll_timer.cancel();
    // Whatever the store thread holds is committed before we say we are done, and then
    // the leases still held go back, so that the other daemons need not wait them out.
    asio::post(self->store_thread, [weak, done = std::move(done)]() mutable {
      auto self = weak.lock();
      if (!self) return;
      asio::post(self->lease_thread, [weak, done = std::move(done)]() mutable {
        auto self = weak.lock();
        if (!self) return;
        if (self->lease_store) {
          if (Status s = self->lease_store->release_all(self->daemon_id); !s.is_ok()) spdlog::warn("{}", s.to_string());
        }
        asio::post(self->io, [weak, done = std::move(done)] {
          if (auto self = weak.lock()) self->busy.reset();
          done();
        });
      });
    });
  };
  if (self.in_flight == 0) {
    finish();
    return;
  }
  spdlog::info("waiting up to {} s for {} fetches in flight", grace.count(), self.in_flight);
  self.on_idle = finish;
  self.poll_timer.expires_after(grace);
  self.poll_timer.async_wait([weak = std::weak_ptr<Impl>(impl_)](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || !self->on_idle) return;
    spdlog::warn("abandoning {} fetches still in flight", self->in_flight);
    auto finish = std::move(self->on_idle);
    finish();
  });
}

bool Aggregator::Impl::join_batch() {
  if (store->in_batch()) {
    if (std::chrono::steady_clock::now() - batch_opened < kBatchSpan) return true;
    commit_batch();
  }
  const Status s = store->begin_batch();
  if (!s.is_ok()) {
    // A write of its own would only wait out the busy timeout a second time.
    note_store_write(s);
    spdlog::error("{}", s.to_string());
    return false;
  }
  batch_opened = std::chrono::steady_clock::now();
  asio::post(store_thread, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->commit_batch();
  });
  return true;
}

void Aggregator::Impl::commit_batch() {
  if (!store->in_batch()) return;
  const Status committed = store->commit_batch();
  note_store_write(committed);
  if (!committed.is_ok()) spdlog::error("{}", committed.to_string());
  for (auto& [url, outcome] : uncommitted_reports) {
    // Nothing of the batch is stored: the validators must not be used, nor the counts.
    if (!committed.is_ok()) outcome = failed_outcome();
    asio::post(io, [weak = weak_from_this(), url = std::move(url), outcome = std::move(outcome)] {
      if (auto self = weak.lock()) self->on_outcome(url, outcome);
    });
  }
  uncommitted_reports.clear();
}

void Aggregator::Impl::report_when_committed(const std::string& url, SourceOutcome outcome) {
  if (store->in_batch()) {
    uncommitted_reports.emplace_back(url, std::move(outcome));
    return;
  }
  asio::post(io, [weak = weak_from_this(), url, outcome = std::move(outcome)] {
    if (auto self = weak.lock()) self->on_outcome(url, outcome);
  });
}

void Aggregator::Impl::start_waiting() {
  const int window = 2 * std::max(1, config.daemon.concurrency);
  while (!pass_waiting.empty() && awaiting_answer < window && backlog_bytes < kPassBacklogBytes) {
    const Source* source = pass_waiting.front();
    pass_waiting.pop_front();
    ++awaiting_answer;
    backlog_by_url[source->url] = 0;
    fetch_source(*source);
  }
}

bool Aggregator::Impl::is_gone(const std::string& url) const {
  auto it = http_states.find(url);
  return it != http_states.end() && it->second.gone;
}

void Aggregator::Impl::save_http_state(const std::string& url) {
  SourceHttpState state = http_states[url];
  state.url = url;
  asio::post(store_thread, [weak = weak_from_this(), state = std::move(state)] {
    auto self = weak.lock();
    if (!self) return;
    if (!self->join_batch()) return;
    const Status s = self->store->save_source_http_state(state);
    self->note_store_write(s);
    if (!s.is_ok()) spdlog::error("{}: {}", state.url, s.to_string());
  });
}

// The address rules (README, "HTTP"): a permanent redirect seen on two successive fetches
// moves the source; a temporary one never does; 410 retires it.
void Aggregator::Impl::learn_from_answer(const std::string& url, const FetchResult& result) {
  SourceHttpState& state = http_states[url];
  const SourceHttpState before = state;
  if (result.http_status == 410) {
    state.gone = true;
    spdlog::warn("{}: 410 Gone: no longer polled (change its url in the config to revive it)", url);
  } else if (result.status.is_ok()) {
    const std::string& asked = state.current_url ? *state.current_url : url;
    if (result.permanent_redirect && *result.permanent_redirect != asked) {
      if (state.redirect_candidate == result.permanent_redirect) {
        spdlog::info("{}: moved permanently to {} (seen on two fetches in a row); fetching that from now on", url,
                     *result.permanent_redirect);
        state.current_url = *result.permanent_redirect == url ? std::nullopt : result.permanent_redirect;
        state.redirect_candidate.reset();
      } else {
        state.redirect_candidate = result.permanent_redirect;
      }
    } else {
      state.redirect_candidate.reset();
    }
  }
  if (state.gone != before.gone || state.current_url != before.current_url ||
      state.redirect_candidate != before.redirect_candidate) {
    save_http_state(url);
  }
}

void Aggregator::Impl::fetch_source(const Source& source) {
  FetchRequest request;
  request.url = source.url;
  if (auto it = http_states.find(source.url); it != http_states.end() && it->second.current_url) {
    request.url = *it->second.current_url;
  }
  if (auto it = validators.find(source.url); it != validators.end()) {
    request.etag = it->second.etag;
    request.last_modified = it->second.last_modified;
  }
  request.timeout = config.daemon.timeout;
  request.connect_timeout = std::min(config.daemon.timeout, std::chrono::seconds(10));
  request.max_bytes = config.daemon.max_bytes;
  request.user_agent = source.user_agent.empty() ? config.daemon.user_agent : source.user_agent;
  request.address_policy.allow_private_networks = source.allow_private_networks;
  request.address_policy.operator_url = source.url;
  ++in_flight;
  fetcher.fetch(std::move(request), [weak = weak_from_this(), url = source.url](FetchResult result) {
    if (auto self = weak.lock()) self->on_fetched(url, std::move(result));
  });
}

void Aggregator::Impl::on_fetched(const std::string& url, FetchResult result) {
  if (auto pass_fetch = backlog_by_url.find(url); pass_fetch != backlog_by_url.end()) {
    --awaiting_answer;
    pass_fetch->second = result.body.size();
    backlog_bytes += result.body.size();
    start_waiting();
  }
  auto weak = weak_from_this();
  // Called on the store thread; the io thread hears of it once the group commit holding
  // this fetch is durable.
  auto report = [weak, url](SourceOutcome outcome) {
    if (auto self = weak.lock()) self->report_when_committed(url, std::move(outcome));
  };
  const Timestamp now = clock();
  metrics.observe_fetch_duration(std::chrono::duration<double>(result.elapsed).count());
  learn_from_answer(url, result);
  FetchOutcome hints;
  hints.retry_after = result.retry_after;
  hints.fresh_for = result.fresh_for;
  hints.gone = is_gone(url);
  if (!result.status.is_ok()) {
    if (result.retry_after) {
      spdlog::warn("{}: {} (host asks to wait {} s)", url, result.status.to_string(), result.retry_after->count());
    } else {
      spdlog::warn("{}: {}", url, result.status.to_string());
    }
    hints.success = false;
    asio::post(store_thread, [weak, url, result = std::move(result), now, report, hints] {
      auto self = weak.lock();
      if (!self) return;
      SourceOutcome outcome = failed_outcome();
      outcome.schedule = hints;
      if (!self->join_batch()) return report(outcome);
      const Status s = self->store->record_failure(url, result.http_status, result.status.to_string(), now);
      self->note_store_write(s);
      if (!s.is_ok()) spdlog::error("{}: {}", url, s.to_string());
      report(outcome);
    });
    return;
  }
  std::optional<std::string> body_hash;
  if (!result.not_modified) {
    // Servers that ignore validators send the same bytes again: same hash, no parse.
    body_hash = dedup::sha256_hex(result.body);
    if (auto it = http_states.find(url); it != http_states.end() && it->second.body_hash == body_hash) {
      result.not_modified = true;
      result.body.clear();
    }
  }
  if (result.not_modified) {
    spdlog::debug("{}: not modified", url);
    hints.new_stories = 0;
    asio::post(store_thread, [weak, url, status = result.http_status, now, report, hints] {
      auto self = weak.lock();
      if (!self) return;
      if (!self->join_batch()) return report(failed_outcome());
      const Status s = self->store->record_not_modified(url, status, now);
      self->note_store_write(s);
      if (!s.is_ok()) spdlog::error("{}: {}", url, s.to_string());
      report({SourceOutcome::Kind::kNotModified, {}, {}, hints, {}});
    });
    return;
  }
  std::shared_ptr<const pipeline::EntryFilter> filter = filters.at(url);
  std::shared_ptr<const pipeline::EntryFilter> everywhere = std::atomic_load(&output_filter);
  // A source never stored before (every source of a cold pass) brings only new entries:
  // their near-duplicate prints are made here on the parse pool, not on the one store
  // thread. Later fetches bring mostly known entries; the store prints the new ones.
  const auto state = http_states.find(url);
  const bool first_fetch = state == http_states.end() || !state->second.body_hash;
  const bool print_ahead = config.output.near_duplicates && first_fetch;
  auto parse = [weak, url, result = std::move(result), now, report, filter, everywhere, hints, body_hash,
                print_ahead](const KnownEntries& known) mutable {
    auto parsed =
        parse_feed(result.body, result.content_type, result.final_url.empty() ? url : result.final_url, known);
    auto self = weak.lock();
    if (!self) return;
    if (!parsed.ok()) {
      spdlog::warn("{}: {}", url, parsed.status().to_string());
      asio::post(self->store_thread, [weak, url, status = parsed.status(), http_status = result.http_status, now, report] {
        auto self = weak.lock();
        if (!self) return;
        if (!self->join_batch()) return report(failed_outcome());
        const Status s = self->store->record_failure(url, http_status, status.to_string(), now);
        self->note_store_write(s);
        if (!s.is_ok()) spdlog::error("{}: {}", url, s.to_string());
        report(failed_outcome());
      });
      return;
    }
    for (const std::string& warning : parsed->warnings) spdlog::debug("{}: {}", url, warning);
    auto fetched = std::make_shared<FetchedFeed>();
    fetched->source_url = url;
    fetched->http_status = result.http_status;
    fetched->etag = result.etag;
    fetched->last_modified = result.last_modified;
    fetched->feed = std::move(parsed).value();
    read_declared_schedule(fetched->feed.feed, hints);
    if (!everywhere->empty()) {
      std::erase_if(fetched->feed.entries, [&everywhere](const Entry& e) { return !everywhere->keeps(e); });
    }
    if (!filter->empty()) {
      auto& entries = fetched->feed.entries;
      std::erase_if(entries, [&filter](const Entry& e) { return !filter->keeps(e); });
    }
    // Assigned, not appended: the store uses them only when there is one per entry.
    if (print_ahead) fetched->near_prints = near_prints_of(fetched->feed.entries);
    asio::post(self->store_thread, [weak, fetched, now, report, hints, body_hash] {
      auto self = weak.lock();
      if (!self) return;
      if (!self->join_batch()) return report(failed_outcome());
      auto applied = self->store->apply_fetch(*fetched, now);
      self->note_store_write(applied.ok() ? Status::ok() : applied.status());
      if (!applied.ok()) {
        spdlog::error("{}: {}", fetched->source_url, applied.status().to_string());
        report(failed_outcome());
        return;
      }
      SourceOutcome outcome{SourceOutcome::Kind::kFetched, *applied, {fetched->etag, fetched->last_modified}, hints,
                            body_hash};
      outcome.schedule.new_stories = applied->new_stories + applied->new_copies;
      report(std::move(outcome));
    });
  };
  // A first fetch has nothing stored to leave out: no hop through the busy store thread.
  if (first_fetch) {
    asio::post(parse_pool, [parse = std::move(parse)]() mutable { parse(KnownEntries()); });
    return;
  }
  // The store's entries of this source first (a lookup on the store thread), so that the
  // parse leaves out the entries it has as they are: an unchanged entry costs a lookup,
  // not a parse of its HTML.
  asio::post(store_thread, [weak, url, parse = std::move(parse)]() mutable {
    auto self = weak.lock();
    if (!self) return;
    Result<KnownEntries> known = self->store->known_entries(url);
    if (!known.ok()) spdlog::warn("{}: {}; reading every entry", url, known.status().to_string());
    asio::post(self->parse_pool, [parse = std::move(parse),
                                  known = known.ok() ? std::move(*known) : KnownEntries()]() mutable { parse(known); });
  });
}

void Aggregator::Impl::on_outcome(const std::string& url, const SourceOutcome& outcome) {
  --in_flight;
  if (auto pass_fetch = backlog_by_url.find(url); pass_fetch != backlog_by_url.end()) {
    backlog_bytes -= pass_fetch->second;
    backlog_by_url.erase(pass_fetch);
  }
  start_waiting();
  ++completed;
  last_completion = std::chrono::steady_clock::now();
  const bool success = outcome.kind != SourceOutcome::Kind::kFailed;
  switch (outcome.kind) {
    case SourceOutcome::Kind::kFetched: ++metrics.fetched; break;
    case SourceOutcome::Kind::kNotModified: ++metrics.not_modified; break;
    case SourceOutcome::Kind::kFailed: ++metrics.failed; break;
  }
  metrics.stories_stored += outcome.stats.new_stories;
  metrics.near_copies += outcome.stats.near_copies;
  metrics.same_content_copies += outcome.stats.new_copies - outcome.stats.near_copies;
  consecutive_failures[url] = success ? 0 : consecutive_failures[url] + 1;
  if (outcome.kind == SourceOutcome::Kind::kFetched) {
    // Only now, with the entries committed, may the next fetch send these validators.
    validators[url] = outcome.validators;
    if (outcome.body_hash) {
      http_states[url].body_hash = outcome.body_hash;
      if (!polling) save_http_state(url);  // polling saves it below, with the next fetch time
    }
    const ApplyStats& s = outcome.stats;
    spdlog::info("{}: {} new, {} duplicates, {} updated, {} unchanged", url, s.new_stories, s.new_copies, s.changed,
                 s.unchanged);
    if (s.changed_anything() && !pass) request_render();
  }
  if (pass) {
    PassSummary& summary = pass->summary;
    switch (outcome.kind) {
      case SourceOutcome::Kind::kFetched: ++summary.fetched; break;
      case SourceOutcome::Kind::kNotModified: ++summary.not_modified; break;
      case SourceOutcome::Kind::kFailed: ++summary.failed; break;
    }
    summary.new_stories += outcome.stats.new_stories;
    summary.duplicates += outcome.stats.new_copies;
    summary.updated += outcome.stats.changed;
    if (pass->progress) {
      pass->progress(summary, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                                    pass->started));
    }
    if (--pass->pending == 0) {
      request_render([weak = weak_from_this()] {
        auto self = weak.lock();
        if (!self || !self->pass) return;
        auto finished = std::move(*self->pass);
        self->pass.reset();
        if (!self->polling) self->busy.reset();
        finished.summary.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - finished.started);
        finished.done(finished.summary);
      });
    }
  }
  if (polling) {
    FetchOutcome learnt = outcome.schedule;
    learnt.success = success;
    schedule.finished(url, clock(), learnt);
    const auto next = schedule.due_time(url);
    if (next) {
      http_states[url].next_fetch = *next;
      save_http_state(url);
    }
    // The outcome is committed: the lease ends, naming the next fetch for every daemon.
    release_lease(url, next, outcome.schedule.retry_after);
    arm_poll_timer();
  }
  publish_metrics_soon();
  status_page_soon();
  if (in_flight == 0 && on_idle) {
    auto finish = std::move(on_idle);
    finish();
  }
}

void Aggregator::Impl::request_render(std::function<void()> then) {
  // Changes that arrive while a render is queued are picked up by it: the store thread
  // runs the render after the applies already queued ahead of it.
  if (render_pending && !then) return;
  render_pending = true;
  asio::post(store_thread, [weak = weak_from_this(), then = std::move(then)]() mutable {
    auto self = weak.lock();
    if (!self) return;
    asio::post(self->io, [weak] {
      if (auto self = weak.lock()) self->render_pending = false;
    });
    // The end of a pass (`feedd once`) prunes before its last render.
    if (then) self->prune_now();
    self->render_now();
    if (then) asio::post(self->io, std::move(then));
  });
}

void Aggregator::Impl::render_now() {
  // The writer's connection sees its own open batch: rendering (and so writing the output
  // files) before committing it would publish stories a crash can still take back.
  commit_batch();
  auto rendered = std::atomic_load(&renderer)->render_first_pages(*store);
  if (!rendered.ok()) {
    spdlog::error("cannot read stories to render: {}", rendered.status().to_string());
    return;
  }
  asio::post(io, [weak = weak_from_this(), feeds = std::move(rendered).value()]() mutable {
    auto self = weak.lock();
    if (!self) return;
    for (auto& [path, feed] : feeds) self->cache.put(path, std::move(feed));
    self->cache.clear_pages();
    self->refresh_status_page();
  });
}

void Aggregator::Impl::note_store_write(const Status& status) {
  // A write inside an open batch reaches the disk only with its commit: until then only
  // a failure tells anything.
  if (status.is_ok() && store->in_batch()) return;
  if (status.is_ok() == store_writable) return;
  store_writable = status.is_ok();
  std::string problem = store_writable ? "" : "database not writable: " + status.to_string();
  if (!store_writable) spdlog::error("{}; /healthz answers 503 until a write succeeds", problem);
  if (store_writable) spdlog::info("the database is writable again");
  asio::post(io, [weak = weak_from_this(), problem = std::move(problem)]() mutable {
    if (auto self = weak.lock()) self->cache.set_health_problem(std::move(problem));
  });
}

// Cheap enough to run after every fetch: a few counters, one stat() per file.
void Aggregator::Impl::publish_metrics_soon() {
  if (metrics_posted || !serving) return;
  metrics_posted = true;
  asio::post(io, [weak = weak_from_this()] {
    auto self = weak.lock();
    if (!self) return;
    self->metrics_posted = false;
    self->publish_metrics();
  });
}

void Aggregator::Impl::publish_metrics() {
  if (!serving) return;
  metrics.in_flight = in_flight;
  metrics.sources_ok = metrics.sources_failing = metrics.sources_gone = metrics.sources_disabled = 0;
  for (const auto& [url, source] : sources) {
    if (!source.enabled) {
      ++metrics.sources_disabled;
    } else if (is_gone(url)) {
      ++metrics.sources_gone;
    } else if (auto it = consecutive_failures.find(url); it != consecutive_failures.end() && it->second > 0) {
      ++metrics.sources_failing;
    } else {
      ++metrics.sources_ok;
    }
  }
  metrics.store_bytes = 0;
  for (const char* suffix : {"", "-wal"}) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(database.string() + suffix, ec);
    if (!ec) metrics.store_bytes += size;
  }
  RenderedFeed text;
  text.body = render_metrics(metrics);
  text.content_type = "text/plain; version=0.0.4; charset=utf-8";
  // Without it If-Modified-Since would match the epoch and never see a change; the ETag
  // is the exact validator.
  text.last_modified = clock();
  finish_render(text);
  cache.put("/metrics", std::move(text));
}

void Aggregator::Impl::publish_opml() {
  RenderedFeed opml;
  opml.body = write_opml(config);
  opml.content_type = "text/x-opml; charset=utf-8";
  opml.last_modified = clock();
  finish_render(opml);
  cache.put("/opml", std::move(opml));
}

void Aggregator::Impl::prune_now() {
  commit_batch();  // VACUUM cannot run inside the group commit's transaction
  auto pruned = store->prune(clock() - std::chrono::seconds(retention_seconds.load()));
  if (!pruned.ok()) {
    spdlog::error("{}", pruned.status().to_string());
  } else if (pruned->stories_removed > 0) {
    spdlog::info("pruned {} stories older than the retention ({} tombstones kept)", pruned->stories_removed,
                 pruned->tombstones_added);
  }
}

// `feedd run` prunes hourly; a prune that removed stories renders the feeds again.
void Aggregator::Impl::arm_prune_timer() {
  prune_timer.expires_after(std::chrono::hours(1));
  prune_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->stopping) return;
    asio::post(self->store_thread, [weak] {
      auto self = weak.lock();
      if (!self) return;
      self->prune_now();
      self->render_now();
    });
    self->arm_prune_timer();
  });
}

bool Aggregator::Impl::open_page_store() {
  if (!page_store) {
    auto opened = Store::open(database);
    if (!opened.ok()) spdlog::error("{}", opened.status().to_string());
    if (opened.ok()) page_store = std::move(opened).value();
  }
  return page_store != nullptr;
}

void Aggregator::Impl::status_page_soon() {
  if (status_page_armed || stopping || !serving) return;
  status_page_armed = true;
  status_page_timer.expires_after(kStatusPagePause);
  status_page_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!self) return;
    self->status_page_armed = false;
    if (!ec) self->refresh_status_page();
  });
}

void Aggregator::Impl::refresh_status_page() {
  if (!serving) return;
  asio::post(page_thread, [weak = weak_from_this(), config = config, now = clock()] {
    auto self = weak.lock();
    if (!self || !self->open_page_store()) return;
    StatusPageFacts facts;
    auto states = self->page_store->source_states();
    auto http_states = self->page_store->source_http_states();
    auto days = self->page_store->stories_per_day(now - std::chrono::days(kStatusChartDays));
    for (const Status& s : {states.status(), http_states.status(), days.status()}) {
      if (!s.is_ok()) {
        spdlog::error("status page: {}", s.to_string());
        return;
      }
    }
    facts.states = std::move(states).value();
    facts.http_states = std::move(http_states).value();
    facts.stories_per_day = std::move(days).value();
    RenderedFeed page;
    page.body = render_status_page(config, facts, now);
    page.content_type = "text/html; charset=utf-8";
    page.last_modified = now;
    finish_render(page);
    asio::post(self->io, [weak, page = std::move(page)]() mutable {
      if (auto self = weak.lock()) self->cache.put("/", std::move(page));
    });
  });
}

void Aggregator::Impl::load_page(const PageRequest& page, std::function<void()> done) {
  asio::post(page_thread, [weak = weak_from_this(), page, done = std::move(done)]() mutable {
    auto self = weak.lock();
    if (!self) return;
    std::optional<RenderedFeed> rendered;
    if (self->open_page_store()) {
      auto result = std::atomic_load(&self->renderer)->render_page(*self->page_store, page);
      if (!result.ok()) spdlog::error("{}", result.status().to_string());
      if (result.ok()) rendered = std::move(result).value();
    }
    asio::post(self->io, [weak, page, rendered = std::move(rendered), done = std::move(done)]() mutable {
      auto self = weak.lock();
      if (!self) return;
      if (rendered) self->cache.put_page(page_key(page.path, page.cursor), std::move(*rendered));
      done();
    });
  });
}

void Aggregator::Impl::arm_poll_timer() {
  if (!polling) return;
  if (auto due = schedule.take_due(clock()); !due.empty()) claim_and_fetch(std::move(due));
  auto next = schedule.next_due();
  if (!next) return;
  // Up to half a second later at random: daemons sharing a database whose timers would
  // otherwise fire at the same moment of each second (the schedule counts whole seconds)
  // take turns at claiming, instead of the one that wakes first taking every source.
  const auto wait = std::max(std::chrono::milliseconds(1000), std::chrono::milliseconds(*next - clock())) +
                    std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 499)(wake_jitter));
  poll_timer.expires_after(wait);
  poll_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    if (ec) return;  // cancelled: re-armed or stopping
    if (auto self = weak.lock()) self->arm_poll_timer();
  });
}

}  // namespace feedd

namespace feedd {

ClaimLimits Aggregator::Impl::claim_limits() const {
  ClaimLimits limits;
  limits.lease = config.daemon.lease_timeout.count() > 0 ? config.daemon.lease_timeout : 4 * config.daemon.timeout;
  limits.host_spacing = std::chrono::duration_cast<std::chrono::milliseconds>(config.daemon.host_delay);
  return limits;
}

bool Aggregator::Impl::open_lease_store() {
  if (!lease_store) {
    auto opened = Store::open(database);
    if (!opened.ok()) spdlog::error("{}", opened.status().to_string());
    if (opened.ok()) lease_store = std::move(opened).value();
  }
  return lease_store != nullptr;
}

void Aggregator::Impl::claim_and_fetch(std::vector<std::string> urls) {
  std::vector<ClaimRequest> requests;
  requests.reserve(urls.size());
  for (const std::string& url : urls) {
    auto state = http_states.find(url);
    const bool moved = state != http_states.end() && state->second.current_url;
    requests.push_back({url, host_key(moved ? *state->second.current_url : url)});
  }
  // Host spacing is finer than the injected clock's seconds: the wall clock's
  // milliseconds, when the injected clock is the wall clock (tests may inject another).
  const Timestamp now = clock();
  const auto wall = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  const MillisTimestamp now_ms = std::chrono::floor<std::chrono::seconds>(wall) == now ? wall : MillisTimestamp(now);
  asio::post(lease_thread, [weak = weak_from_this(), urls = std::move(urls), requests = std::move(requests), now_ms,
                            limits = claim_limits(), id = daemon_id]() mutable {
    auto self = weak.lock();
    if (!self) return;
    Result<std::vector<SourceClaim>> claims = Status::database("cannot open the database to claim sources");
    if (self->open_lease_store()) claims = self->lease_store->claim_sources(requests, id, now_ms, limits);
    asio::post(self->io, [weak, urls = std::move(urls), claims = std::move(claims)] {
      if (auto self = weak.lock()) self->on_claims(urls, claims);
    });
  });
}

void Aggregator::Impl::on_claims(const std::vector<std::string>& urls,
                                 const Result<std::vector<SourceClaim>>& claims) {
  if (stopping) return;  // stop() gives back every lease
  std::vector<SourceClaim> answers;
  if (claims.ok()) {
    answers = *claims;
  } else {
    // A database that takes no writes (locked past the busy timeout, read-only, full):
    // fetch them anyway, as a daemon alone would. Another daemon may fetch one of them
    // too; the store still keeps each story once, and the failing writes show on /healthz.
    spdlog::warn("{}; fetching them unclaimed", claims.status().to_string());
    for (const std::string& url : urls) answers.push_back({.url = url, .claimed = true});
  }
  bool started = false;
  for (const SourceClaim& claim : answers) {
    auto source = sources.find(claim.url);
    if (source == sources.end()) {  // a reload removed it meanwhile
      if (claim.claimed) release_lease(claim.url, std::nullopt, std::nullopt);
      continue;
    }
    if (!claim.claimed) {
      spdlog::debug("{}: {}; due again at {}", claim.url,
                    claim.holder ? "being fetched by " + *claim.holder : std::string("fetched by another daemon lately"),
                    format_rfc3339(claim.retry_at));
      schedule.refused(claim.url, claim.retry_at);
      continue;
    }
    // What the store holds is what the last fetch of any daemon committed.
    if (claims.ok()) validators[claim.url] = {claim.etag, claim.last_modified};
    if (claim.body_hash) http_states[claim.url].body_hash = claim.body_hash;
    fetch_source(source->second);
    started = true;
  }
  if (started) publish_metrics();  // the fetches in flight
  arm_poll_timer();
}

void Aggregator::Impl::release_lease(const std::string& url, std::optional<Timestamp> next_fetch,
                                     std::optional<std::chrono::seconds> retry_after) {
  if (daemon_id.empty()) return;
  std::string host;
  if (retry_after) {
    auto state = http_states.find(url);
    const bool moved = state != http_states.end() && state->second.current_url;
    host = host_key(moved ? *state->second.current_url : url);
  }
  const MillisTimestamp until = MillisTimestamp(clock()) + (retry_after ? *retry_after : std::chrono::seconds(0));
  if (!host.empty()) {
    asio::post(lease_thread, [weak = weak_from_this(), host, until] {
      auto self = weak.lock();
      if (!self || !self->open_lease_store()) return;
      if (Status s = self->lease_store->hold_host(host, until); !s.is_ok()) spdlog::warn("{}", s.to_string());
    });
  }
  pending_releases.push_back({url, next_fetch});
  if (releases_posted) return;
  releases_posted = true;
  // Behind the io thread's queue: the other outcomes of the same group commit, posted
  // together, join this list first.
  asio::post(io, [weak = weak_from_this()] {
    auto self = weak.lock();
    if (!self) return;
    self->releases_posted = false;
    asio::post(self->lease_thread, [weak, id = self->daemon_id, releases = std::exchange(self->pending_releases, {})] {
      auto self = weak.lock();
      if (!self || !self->open_lease_store()) return;
      if (Status s = self->lease_store->release_sources(releases, id); !s.is_ok()) spdlog::warn("{}", s.to_string());
    });
  });
}

void Aggregator::Impl::arm_change_timer() {
  if (!polling) return;
  change_timer.expires_after(kChangePoll);
  change_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->stopping) return;
    asio::post(self->page_thread, [weak, id = self->daemon_id] {
      auto self = weak.lock();
      if (!self || !self->open_page_store()) return;
      auto changes = self->page_store->changes_by_others(id);
      if (!changes.ok()) spdlog::warn("{}", changes.status().to_string());
      asio::post(self->io, [weak, changes = changes.ok() ? std::optional<std::int64_t>(*changes) : std::nullopt] {
        auto self = weak.lock();
        if (!self || self->stopping) return;
        if (changes && changes != self->others_changes) {
          // Another daemon stored stories: render them (the first reading too, since the
          // render at start-up may predate their last change).
          self->others_changes = changes;
          self->request_render();
        }
        self->arm_change_timer();
      });
    });
  });
}

}  // namespace feedd

namespace feedd {

void Aggregator::Impl::release_leases_of_the_dead() {
  asio::post(lease_thread, [weak = weak_from_this(), id = daemon_id, now = clock()] {
    auto self = weak.lock();
    if (!self || !self->open_lease_store()) return;
    auto leases = self->lease_store->live_leases(now);
    if (!leases.ok()) return spdlog::warn("{}", leases.status().to_string());
    std::map<std::string, int> dead;
    for (const SourceLease& lease : *leases) {
      if (is_dead_local_daemon(lease.holder, id)) ++dead[lease.holder];
    }
    for (const auto& [holder, count] : dead) {
      if (Status s = self->lease_store->release_all(holder); !s.is_ok()) {
        spdlog::warn("{}", s.to_string());
      } else {
        spdlog::info("gave back {} leases of daemon {}, which runs no more", count, holder);
      }
    }
  });
}

}  // namespace feedd

#pragma once
// pipeline: the stages wired together (ARCHITECTURE.md): schedule -> fetch -> parse ->
// dedup -> store -> render -> serve / files. `feedd once` is run_once(); `feedd run` is
// start_polling() until stop().
//
// Threads: everything here is called on the io_context's thread. Parsing runs on a small
// worker pool; the Store is used only by one store thread (the single writer), which also
// renders and writes the output files; finished renders are posted back to the io thread,
// where the HTTP server reads them.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "feedd/config.hpp"
#include "feedd/config_diff.hpp"
#include "feedd/status.hpp"
#include "feedd/time.hpp"

namespace feedd {

struct PassSummary {
  int sources = 0;
  int fetched = 0;       // 200 and stored
  int not_modified = 0;  // 304 or an unchanged file
  int failed = 0;        // network, HTTP, parse or store errors
  int new_stories = 0;
  int duplicates = 0;    // entries collapsed into a story already stored
  int updated = 0;       // stories changed in place
  std::chrono::milliseconds elapsed{0};

  // "3 sources: 2 fetched, 1 not modified, 0 failed; 12 new stories, 3 duplicates collapsed, 0 updated (0.4 s)"
  std::string to_string() const;
};

class Aggregator {
 public:
  // `io` must outlive the Aggregator; run it on one thread.
  Aggregator(boost::asio::io_context& io, Config config, Clock clock = system_clock());
  ~Aggregator();
  Aggregator(const Aggregator&) = delete;
  Aggregator& operator=(const Aggregator&) = delete;

  // Opens the database, records the configured sources and renders what is already
  // stored (so the feed is served at once after a restart). Call before io.run().
  Status open();

  // Starts the HTTP server when [daemon].listen is set; with `passed_socket` (a listening
  // socket from systemd's socket activation) it serves on that instead, whatever `listen`
  // says, and a reload never moves it.
  Status serve_http(std::optional<int> passed_socket = std::nullopt);
  std::uint16_t http_port() const;  // 0 when not serving

  // What the service manager is told: whether fetches make progress (the watchdog) and a
  // one-line status.
  struct Progress {
    int in_flight = 0;                 // fetches started and not yet stored
    std::uint64_t completed = 0;       // fetches finished (any outcome) since start
    std::chrono::steady_clock::time_point last_completion;  // epoch until the first
  };
  Progress progress() const;

  // Fetches every enabled source once; `done` runs on the io thread once everything is
  // stored and the output files are written. `progress`, when given, runs on the io thread
  // after each source is done, with the counts so far and the time since the start.
  // Sources that answered 410 Gone before are not fetched and not counted.
  void run_once(std::function<void(const PassSummary&)> done,
                std::function<void(const PassSummary&, std::chrono::milliseconds)> progress = {});

  // Polls each enabled source every interval (with jitter and backoff) until stop().
  void start_polling();

  // Applies a new, valid configuration without a restart (SIGHUP): added sources start
  // (spread over the start window, not all at once), removed ones stop (their stories
  // stay), changed ones take their new settings, [output] changes re-render the feeds, and
  // the HTTP listener moves when `listen` changed (back to the old address if the new one
  // can't be bound), and `concurrency`, `per_host` and `host_delay` apply to the next
  // transfers started (those in flight finish). Only `database` needs a restart: a change
  // to it is logged and otherwise ignored. Returns what changed.
  ConfigDiff reload(Config next);

  // Stops polling and serving, waits for fetches in flight (at most `grace`), lets the
  // store commit what is pending, then runs `done` on the io thread.
  void stop(std::function<void()> done, std::chrono::seconds grace = std::chrono::seconds(5));

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace feedd

// Storage faults (issue 7, promise 2): a full disk, a database locked by another process,
// a read-only database file and a damaged one. Each gives a clear error in the log and in
// /healthz, never a crash, never a lost committed story; once the fault is gone the
// stories fetched meanwhile are stored, because a failed commit never advances the
// source's validators (GrowingFeeds answers a stale-but-matching ETag with 304).

#include <catch2/catch.hpp>

#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <set>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "feedd/fetch.hpp"
#include "feedd/parse.hpp"
#include "feedd/pipeline.hpp"
#include "feedd/store.hpp"
#include "support/daemon_process.hpp"
#include "support/db_probe.hpp"
#include "support/fixture_server.hpp"
#include "support/full_disk_vfs.hpp"
#include "support/growing_feeds.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace std::chrono_literals;

namespace {

// Every guid of items 1..n of `path`.
std::set<std::string> guids(const std::string& path, int n) {
  std::set<std::string> all;
  for (int i = 1; i <= n; ++i) all.insert(test::GrowingFeeds::guid(path, i));
  return all;
}

bool holds_all(const std::set<std::string>& have, const std::set<std::string>& wanted) {
  for (const auto& id : wanted) {
    if (!have.count(id)) return false;
  }
  return true;
}

template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

std::string daemon_config(const test::TempDir& dir, const std::string& feed_url, unsigned short port) {
  return "[daemon]\nlisten = \"127.0.0.1:" + std::to_string(port) + "\"\ndatabase = \"" + (dir / "feedd.db").string() +
         "\"\noutput_dir = \"" + (dir / "public").string() +
         "\"\ninterval = \"1s\"\nmin_interval = \"1s\"\nhost_delay = \"0s\"\ntimeout = \"5s\"\n"
         "[output]\nnear_duplicates = false\n[[feed]]\nurl = \"" + feed_url + "\"\n";
}

// `feedd run` on one growing feed, /a.xml, once it has stored the feed's first three items.
struct DaemonOnOneFeed {
  test::GrowingFeeds feeds{{.per_fetch = 0, .window = 30}};
  test::FixtureServer server{feeds.handler()};
  test::TempDir dir;
  const unsigned short port = test::free_port();
  const std::filesystem::path db = dir / "feedd.db";
  std::optional<test::DaemonProcess> daemon;

  DaemonOnOneFeed() {
    feeds.publish("/a.xml", 3);
    const auto conf = test::write_file(dir / "feeds.conf", daemon_config(dir, server.url("/a.xml"), port));
    daemon.emplace(std::vector<std::string>{"run", "--config", conf.string()}, dir / "feedd.log");
    INFO(daemon->log());
    REQUIRE(eventually([&] { return holds_all(test::probe_database(db).identities, guids("/a.xml", 3)); }, 10s));
  }
};

// A database `feedd once` filled from a local file with 40 stories, closed cleanly.
std::filesystem::path filled_database(const test::TempDir& dir) {
  test::GrowingFeeds feeds({.per_fetch = 0, .window = 40});
  test::write_file(dir / "local.xml", feeds.document("/local.xml", 40));
  const auto conf = test::write_file(
      dir / "feeds.conf", "[daemon]\nlisten = \"\"\n[output]\nnear_duplicates = false\n[[feed]]\nurl = \"local.xml\"\n");
  test::DaemonProcess once({"once", "--config", conf.string()}, dir / "once.log");
  const auto exit = once.wait(30s);
  INFO(once.log());
  REQUIRE(exit == std::optional<int>(0));
  REQUIRE(test::probe_database(dir / "feedd.db").stories == 40);
  return dir / "feedd.db";
}

std::string bytes_of(const std::filesystem::path& file) { return test::read_file(file); }

void overwrite(const std::filesystem::path& file, std::size_t offset, const std::string& bytes) {
  std::fstream out(file, std::ios::in | std::ios::out | std::ios::binary);
  out.seekp(static_cast<std::streamoff>(offset));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// `feedd run` on a damaged file: exit 1 with `message` in the log, the file untouched.
void check_refused(const test::TempDir& dir, const std::string& message) {
  const auto db = dir / "feedd.db";
  const std::string before = bytes_of(db);
  test::DaemonProcess run({"run", "--config", (dir / "feeds.conf").string()}, dir / "run.log");
  const auto exit = run.wait(20s);
  INFO(run.log());
  REQUIRE(exit.has_value());
  CHECK(*exit == 1);
  CHECK(run.log().find(db.string()) != std::string::npos);
  CHECK(run.log().find(message) != std::string::npos);
  CHECK(run.log().find("restore it from a backup, or move it aside") != std::string::npos);
  CHECK(bytes_of(db) == before);  // never recreated, never written into
}

}  // namespace

TEST_CASE("A group commit that fails on a full disk stores nothing of it, validators included, and stores it all "
          "once there is space",
          "[storage-fault]") {
  test::FullDisk disk;
  test::TempDir dir;
  auto opened = Store::open(dir / "feedd.db");
  REQUIRE(opened.ok());
  Store& store = **opened;
  test::GrowingFeeds feeds({.per_fetch = 0, .window = 50});
  auto parsed = parse_feed(feeds.document("/a.xml", 50), "application/rss+xml", "http://127.0.0.1/a.xml");
  REQUIRE(parsed.ok());
  FetchedFeed fetched;
  fetched.source_url = "http://127.0.0.1/a.xml";
  fetched.etag = "\"v50\"";
  fetched.feed = *parsed;
  const Timestamp now = system_clock()();

  REQUIRE(store.begin_batch().is_ok());
  disk.fill();
  auto applied = store.apply_fetch(fetched, now);  // may already fail if the page cache spills
  const Status committed = store.commit_batch();
  disk.free();
  const Status failure = applied.ok() ? committed : applied.status();
  CHECK_FALSE(committed.is_ok());
  CHECK(failure.to_string().find("database or disk is full") != std::string::npos);
  CHECK(failure.to_string().find("feedd.db") != std::string::npos);
  CHECK_FALSE(store.in_batch());
  CHECK(store.story_count().value() == 0);
  auto state = store.source_state(fetched.source_url);
  REQUIRE(state.ok());
  CHECK((!state->has_value() || !(*state)->etag));  // no validator without its entries

  auto again = store.apply_fetch(fetched, now);
  REQUIRE(again.ok());
  CHECK(again->new_stories == 50);
  CHECK(store.story_count().value() == 50);
  CHECK(store.source_state(fetched.source_url).value()->etag == fetched.etag);
}

TEST_CASE("On a full disk the fetch fails, /healthz says why, committed stories stay, and the new stories are "
          "stored once there is space, fetched again with the old validator",
          "[storage-fault]") {
  test::FullDisk disk;
  test::GrowingFeeds feeds({.per_fetch = 0, .window = 30});
  feeds.publish("/a.xml", 5);
  test::FixtureServer server(feeds.handler());
  test::TempDir dir;
  Config config;
  config.path = dir / "feeds.conf";
  config.daemon.database = dir / "feedd.db";
  config.daemon.output_dir = dir / "public";
  config.daemon.listen = "127.0.0.1:0";
  config.daemon.host_delay = std::chrono::seconds(0);
  config.output.near_duplicates = false;
  Source source;
  source.url = server.url("/a.xml");
  config.sources.push_back(source);
  boost::asio::io_context io;
  Aggregator aggregator(io, config);
  REQUIRE(aggregator.open().is_ok());
  REQUIRE(aggregator.serve_http().is_ok());
  Fetcher fetcher(io, {});
  const std::string healthz = "http://127.0.0.1:" + std::to_string(aggregator.http_port()) + "/healthz";
  PassSummary first, during, after;
  FetchResult health_during, health_after;
  bool done = false;
  aggregator.run_once([&](const PassSummary& s1) {
    first = s1;
    disk.fill();
    feeds.publish("/a.xml", 5);
    aggregator.run_once([&](const PassSummary& s2) {
      during = s2;
      fetcher.fetch(FetchRequest::for_url(healthz), [&](FetchResult r) {
        health_during = std::move(r);
        disk.free();
        aggregator.run_once([&](const PassSummary& s3) {
          after = s3;
          fetcher.fetch(FetchRequest::for_url(healthz), [&](FetchResult r2) {
            health_after = std::move(r2);
            done = true;
            aggregator.stop([&] { io.stop(); });
          });
        });
      });
    });
  });
  io.run_for(30s);
  disk.free();
  REQUIRE(done);
  CHECK(first.new_stories == 5);
  CHECK(during.failed == 1);
  CHECK(during.new_stories == 0);
  CHECK(health_during.http_status == 503);
  CHECK(after.fetched == 1);
  CHECK(after.new_stories == 5);
  CHECK(health_after.http_status == 200);
  // The third request still named the first version: the failed commit's ETag was not kept.
  const auto requests = server.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[1].headers.at("if-none-match") == "\"v5\"");
  CHECK(requests[2].headers.at("if-none-match") == "\"v5\"");
  const test::DbProbe stored = test::probe_database(dir / "feedd.db");
  CHECK(stored.integrity == "ok");
  CHECK(stored.identities == guids("/a.xml", 10));
}

TEST_CASE("A database locked by another process fails the batch after the busy timeout, /healthz says so, and the "
          "stories are stored once the lock is gone",
          "[storage-fault]") {
  DaemonOnOneFeed running;
  test::GrowingFeeds& feeds = running.feeds;
  test::DaemonProcess& daemon = *running.daemon;
  const std::filesystem::path& db = running.db;
  const unsigned short port = running.port;
  INFO(daemon.log());

  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &other) == SQLITE_OK);
  sqlite3_busy_timeout(other, 5000);
  REQUIRE(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
  feeds.publish("/a.xml", 3);
  // The store waits out its busy timeout (5 s), then fails the batch and says so (in the
  // log and in /healthz; the claims of due sources, on their own connection, may say so
  // in the log first).
  test::HttpReply locked;
  const bool unhealthy = eventually([&] { return (locked = test::http_get(port, "/healthz")).status == 503; }, 15s);
  const bool failed = daemon.log().find("database is locked") != std::string::npos;
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);

  CHECK(failed);
  CHECK(unhealthy);
  CHECK(locked.status == 503);
  CHECK(locked.body.find("database is locked") != std::string::npos);
  CHECK(eventually([&] { return holds_all(test::probe_database(db).identities, guids("/a.xml", 6)); }, 15s));
  CHECK(eventually([&] { return test::http_get(port, "/healthz").status == 200; }, 5s));
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(10s) == std::optional<int>(0));
  CHECK(daemon.log().find("the database is writable again") != std::string::npos);
  const test::DbProbe stored = test::probe_database(db);
  CHECK(stored.entries == 6);  // each item once
  CHECK(stored.stories == 6);
}

TEST_CASE("A read-only (immutable) database fails the writes with a clear error, and the stories published "
          "meanwhile are stored once it is writable again",
          "[storage-fault]") {
  DaemonOnOneFeed running;
  test::GrowingFeeds& feeds = running.feeds;
  test::DaemonProcess& daemon = *running.daemon;
  const std::filesystem::path& db = running.db;
  const unsigned short port = running.port;
  INFO(daemon.log());
  // Root ignores file modes: the immutable flag is what makes the files read-only to it.
  const std::string files = "'" + db.string() + "' '" + db.string() + "-wal'";
  if (std::system(("chattr +i " + files + " 2>/dev/null").c_str()) != 0) {
    (void)std::system(("chattr -i " + files + " 2>/dev/null").c_str());
    WARN("skipped: chattr +i is not possible here (needs CAP_LINUX_IMMUTABLE on ext4/xfs/btrfs)");
    return;
  }
  feeds.publish("/a.xml", 3);
  const bool failed = daemon.wait_for_log("database not writable", 10s);
  const test::HttpReply read_only = test::http_get(port, "/healthz");
  const bool stored_while_read_only = holds_all(test::probe_database(db).identities, guids("/a.xml", 6));
  (void)std::system(("chattr -i " + files).c_str());

  CHECK(failed);
  CHECK(read_only.status == 503);
  CHECK(read_only.body.find("database not writable") != std::string::npos);
  CHECK_FALSE(stored_while_read_only);
  CHECK(eventually([&] { return holds_all(test::probe_database(db).identities, guids("/a.xml", 6)); }, 15s));
  CHECK(eventually([&] { return test::http_get(port, "/healthz").status == 200; }, 5s));
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(10s) == std::optional<int>(0));
  CHECK(test::probe_database(db).integrity == "ok");
}

TEST_CASE("At start-up a file of garbage bytes is refused with exit 1 and left as it is", "[storage-fault]") {
  test::TempDir dir;
  const auto db = filled_database(dir);
  overwrite(db, 0, std::string(4096, 'Z'));  // the header and the schema's page
  check_refused(dir, "the database is damaged (file is not a database)");
}

TEST_CASE("At start-up a truncated database is refused with exit 1 and left as it is", "[storage-fault]") {
  test::TempDir dir;
  const auto db = filled_database(dir);
  std::filesystem::resize_file(db, std::filesystem::file_size(db) / 2);
  check_refused(dir, "the database is damaged");
}

TEST_CASE("At start-up a database with one page overwritten is refused with exit 1 and left as it is",
          "[storage-fault]") {
  test::TempDir dir;
  const auto db = filled_database(dir);
  const auto size = std::filesystem::file_size(db);
  REQUIRE(size >= 4 * 4096);
  // A b-tree page in the middle of the file: the header and the schema still read fine.
  overwrite(db, (size / 4096 / 2) * 4096, std::string(4096, '\x5a'));
  check_refused(dir, "the database is damaged");
}

namespace {

// An RSS document of `count` items of ~`kilobytes` KB each: a fetch whose pages overflow
// SQLite's page cache (2 MB), so they are written out before the commit.
std::string big_feed(const std::string& name, int count, int kilobytes) {
  std::string xml = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>" + name +
                    "</title><link>http://127.0.0.1/</link><description>big</description>\n";
  for (int i = 1; i <= count; ++i) {
    std::string text;
    for (int k = 0; text.size() < static_cast<std::size_t>(kilobytes) * 1024; ++k) {
      text += name + " paragraph " + std::to_string(i) + "." + std::to_string(k) + " with its own words. ";
    }
    xml += "<item><title>" + name + " big " + std::to_string(i) + "</title><guid>" + name + "-" + std::to_string(i) +
           "</guid><description>" + text + "</description></item>\n";
  }
  return xml + "</channel></rss>\n";
}

}  // namespace

TEST_CASE("A write that finds the disk full mid-batch loses the whole batch: later writes of it are refused and the "
          "commit reports it lost",
          "[storage-fault]") {
  test::FullDisk disk;
  test::TempDir dir;
  // A small page cache, so that the big fetch's pages spill to the file mid-batch.
  StoreOptions small_cache;
  small_cache.cache_kib = 512;
  auto opened = Store::open(dir / "feedd.db", small_cache);
  REQUIRE(opened.ok());
  Store& store = **opened;
  auto small = parse_feed(test::GrowingFeeds({}).document("/small.xml", 3), "application/rss+xml", "http://127.0.0.1/s");
  auto big = parse_feed(big_feed("big", 60, 100), "application/rss+xml", "http://127.0.0.1/b");
  REQUIRE(small.ok());
  REQUIRE(big.ok());
  FetchedFeed first{"http://127.0.0.1/s", 200, "\"s1\"", std::nullopt, *small};
  FetchedFeed second{"http://127.0.0.1/b", 200, "\"b1\"", std::nullopt, *big};
  const Timestamp now = system_clock()();

  REQUIRE(store.begin_batch().is_ok());
  REQUIRE(store.apply_fetch(first, now).ok());
  disk.fill();
  auto failed = store.apply_fetch(second, now);  // its pages spill out of the cache: SQLITE_FULL
  disk.free();
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().to_string().find("database or disk is full") != std::string::npos);
  // SQLite rolled the whole transaction back, `first` with it: nothing may now be written
  // as if the batch were still open, and the batch must not pass for committed.
  CHECK(store.in_batch());
  const Status late = store.record_failure("http://127.0.0.1/s", 500, "HTTP 500", now);
  CHECK_FALSE(late.is_ok());
  CHECK(late.to_string().find("rolled back by an earlier error") != std::string::npos);
  const Status committed = store.commit_batch();
  CHECK_FALSE(committed.is_ok());
  CHECK_FALSE(store.in_batch());
  CHECK(store.story_count().value() == 0);
  auto state = store.source_state(first.source_url);
  REQUIRE(state.ok());
  CHECK((!state->has_value() || (!(*state)->etag && (*state)->consecutive_failures == 0)));

  // Space again: the same fetches store everything.
  REQUIRE(store.begin_batch().is_ok());
  CHECK(store.apply_fetch(first, now).ok());
  CHECK(store.apply_fetch(second, now).ok());
  REQUIRE(store.commit_batch().is_ok());
  CHECK(store.story_count().value() == 63);
}

TEST_CASE("A full disk fails a big fetch mid-batch and a small one at its commit; both are fetched again in full "
          "once there is space",
          "[storage-fault]") {
  test::FullDisk disk;
  test::GrowingFeeds feeds({.per_fetch = 0, .window = 30});
  feeds.publish("/a.xml", 4);
  const std::string big = big_feed("big", 60, 100);
  auto growing = feeds.handler();
  test::FixtureServer server([&](const test::FixtureRequest& r) -> test::FixtureResponse {
    if (r.target == "/big.xml") {
      // Late, so its batch holds it alone; its pages spill out of SQLite's page cache.
      return {200, {{"Content-Type", "application/rss+xml"}, {"ETag", "\"big1\""}}, big, false, false, 150ms};
    }
    return growing(r);
  });
  test::TempDir dir;
  Config config;
  config.path = dir / "feeds.conf";
  config.daemon.database = dir / "feedd.db";
  config.daemon.output_dir = dir / "public";
  config.daemon.listen = "";
  config.daemon.host_delay = std::chrono::seconds(0);
  config.output.near_duplicates = false;
  for (const char* path : {"/a.xml", "/big.xml"}) {
    Source source;
    source.url = server.url(path);
    config.sources.push_back(source);
  }
  boost::asio::io_context io;
  Aggregator aggregator(io, config);
  REQUIRE(aggregator.open().is_ok());
  PassSummary during, after;
  bool done = false;
  disk.fill();
  aggregator.run_once([&](const PassSummary& s1) {
    during = s1;
    disk.free();
    aggregator.run_once([&](const PassSummary& s2) {
      after = s2;
      done = true;
      aggregator.stop([&] { io.stop(); });
    });
  });
  io.run_for(30s);
  disk.free();
  REQUIRE(done);  // a fetch whose batch was lost and never reported would hang the pass
  CHECK(during.failed == 2);
  CHECK(during.new_stories == 0);
  CHECK(after.fetched == 2);
  CHECK(after.new_stories == 64);
  // Fetched again without the validators of the lost commit.
  const auto requests = server.requests();
  REQUIRE(requests.size() == 4);
  for (const auto& request : requests) CHECK(request.headers.count("if-none-match") == 0);
  const test::DbProbe stored = test::probe_database(dir / "feedd.db");
  CHECK(stored.integrity == "ok");
  CHECK(stored.stories == 64);
}

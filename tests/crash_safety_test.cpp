// Crash safety (issue 7, promise 2): the real `feedd run`, killed with SIGKILL at random
// moments while it fetches feeds that keep publishing, restarted each time. After every
// kill the database file is opened with SQLite directly and must be intact, hold every
// story the daemon had published in its output feed (written only after the commit) and
// every story seen after the previous kill, and hold each story once.
//
// FEEDD_CRASH_ITERATIONS sets the number of kills (50 by default, what CI runs).

#include <catch2/catch.hpp>

#include <signal.h>

#include <cstdlib>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon_process.hpp"
#include "support/db_probe.hpp"
#include "support/fixture_server.hpp"
#include "support/growing_feeds.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace std::chrono_literals;

namespace {

constexpr int kSources = 6;

int crash_iterations() {
  const char* text = std::getenv("FEEDD_CRASH_ITERATIONS");
  const int n = text ? std::atoi(text) : 0;
  return n > 0 ? n : 50;
}

std::string config_text(const test::TempDir& dir, const test::FixtureServer& server) {
  std::string conf = "[daemon]\nlisten = \"\"\ndatabase = \"" + (dir / "feedd.db").string() + "\"\noutput_dir = \"" +
                     (dir / "public").string() +
                     "\"\ninterval = \"1s\"\nmin_interval = \"1s\"\nhost_delay = \"0s\"\ntimeout = \"5s\"\n"
                     "[output]\nmax_entries = 100000\nnear_duplicates = false\n";
  for (int i = 0; i < kSources; ++i) conf += "[[feed]]\nurl = \"" + server.url("/feed/" + std::to_string(i) + ".xml") + "\"\n";
  return conf;
}

// The story ids in an Atom feed file.
std::set<std::string> feed_ids(const std::string& atom) {
  static const std::regex id("<id>(urn:feedd:story:[0-9a-f]+)</id>");
  std::set<std::string> ids;
  for (auto it = std::sregex_iterator(atom.begin(), atom.end(), id); it != std::sregex_iterator(); ++it) {
    ids.insert((*it)[1]);
  }
  return ids;
}

std::size_t missing_from(const std::set<std::string>& wanted, const std::set<std::string>& have) {
  std::size_t missing = 0;
  for (const auto& id : wanted) missing += have.count(id) == 0;
  return missing;
}

}  // namespace

TEST_CASE("Stories survive SIGKILL at random moments: the file stays intact, nothing committed is lost or doubled",
          "[crash]") {
  test::GrowingFeeds feeds({.per_fetch = 3, .window = 30, .max_delay = 120ms});
  test::FixtureServer server(feeds.handler());
  test::TempDir dir;
  const auto conf = test::write_file(dir / "feeds.conf", config_text(dir, server));
  const std::vector<std::string> args = {"run", "--config", conf.string()};
  const auto feed_file = dir / "public" / "feed.atom";

  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> pause_ms(20, 300);
  const int iterations = crash_iterations();
  std::set<std::string> known;  // every story the database held after an earlier kill
  {
    // A first start that gets as far as storing stories, so that every kill below finds
    // a database with its schema (a kill before the very first commit leaves no tables).
    test::DaemonProcess daemon(args, dir / "feedd.log");
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (test::read_file(feed_file).find("urn:feedd:story:") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    daemon.signal(SIGKILL);
    REQUIRE(daemon.wait(10s) == std::optional<int>(-SIGKILL));
    INFO(daemon.log());
    known = test::probe_database(dir / "feedd.db").uids;
    REQUIRE_FALSE(known.empty());
  }
  int feed_rewritten = 0;       // kills after which the output feed had changed during the run
  std::size_t most_stories = 0;
  for (int i = 0; i < iterations; ++i) {
    const std::string before = test::read_file(feed_file);
    std::string log;
    {
      test::DaemonProcess daemon(args, dir / "feedd.log");
      // Every other kill counts from when it runs (start-up is slower under ASan), so
      // those land among fetches, commits and feed writes; the others may also land in
      // the opening of the database, its check and its migrations.
      if (i % 2 == 0) REQUIRE(daemon.wait_for_log(" running: ", 10s));
      std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
      daemon.signal(SIGKILL);
      const auto exit = daemon.wait(10s);
      REQUIRE(exit.has_value());
      log = daemon.log();
      INFO("iteration " << i << ", log:\n" << log);
      // Killed, not exited: a daemon that refused to start would prove nothing.
      REQUIRE(*exit == -SIGKILL);
    }
    INFO("iteration " << i << ", log:\n" << log);
    const std::string atom = test::read_file(feed_file);
    if (!atom.empty() && atom != before) ++feed_rewritten;
    const test::DbProbe seen = test::probe_database(dir / "feedd.db");
    REQUIRE(seen.error.empty());
    CHECK(seen.integrity == "ok");
    CHECK(seen.journal_mode == "wal");
    // Every story the last written feed file showed is in the database.
    CHECK(missing_from(feed_ids(atom), seen.uids) == 0);
    // Every story stored before this run is still stored.
    CHECK(missing_from(known, seen.uids) == 0);
    // Each item of each feed is one story, carried by one entry.
    CHECK(seen.distinct_links == seen.stories);
    CHECK(seen.entries == seen.stories);
    known = seen.uids;
    most_stories = std::max(most_stories, known.size());
  }

  // A clean start and stop after all the kills: the daemon recovers and still works.
  {
    test::DaemonProcess daemon(args, dir / "feedd.log");
    const std::size_t stored_before = known.size();
    const bool grew = [&] {
      for (int tries = 0; tries < 100; ++tries) {
        if (test::probe_database(dir / "feedd.db").uids.size() > stored_before) return true;
        std::this_thread::sleep_for(50ms);
      }
      return false;
    }();
    daemon.signal(SIGTERM);
    const auto exit = daemon.wait(15s);
    INFO(daemon.log());
    CHECK(grew);
    REQUIRE(exit.has_value());
    CHECK(*exit == 0);
    CHECK(daemon.log().find("WAL, synchronous=NORMAL") != std::string::npos);
  }
  const test::DbProbe last = test::probe_database(dir / "feedd.db");
  CHECK(last.integrity == "ok");
  CHECK(missing_from(known, last.uids) == 0);
  CHECK(missing_from(feed_ids(test::read_file(feed_file)), last.uids) == 0);

  // The test proves something only if kills landed while the daemon was storing and
  // publishing: most runs must have written a new feed file before the kill.
  INFO(feed_rewritten << " of " << iterations << " runs wrote a new feed before their kill; " << most_stories
                      << " stories stored");
  CHECK(feed_rewritten >= iterations / 5);
  CHECK(most_stories >= static_cast<std::size_t>(3 * kSources));
}

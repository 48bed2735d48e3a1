// Several daemons, one database (issue 8; README, "Several daemons, one database"): real
// `feedd run` processes on one SQLite file, and on one PostgreSQL database, the same sources, a fixture server that logs
// when each source was asked for. Every source is fetched, none twice within its
// interval, a story that every source carries is stored once, a daemon killed with
// SIGKILL has its sources taken over once its leases expire, and the daemons serve
// byte-identical feeds under identical ETags.

#include <catch2/catch.hpp>

#include <algorithm>

#include <signal.h>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon_process.hpp"
#include "support/db_probe.hpp"
#include "support/feedd_process.hpp"
#include "support/fixture_server.hpp"
#include "support/temp_dir.hpp"
#include "support/test_store.hpp"

using namespace feedd;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kSources = 240;
constexpr auto kInterval = 4s;
constexpr auto kLease = 3s;

// Each source: one story of its own and one that every source carries (same title and
// text, its own guid and link).
std::string document(int n) {
  const std::string id = std::to_string(n);
  return "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Source " + id +
         "</title><link>http://example.org/" + id +
         "</link><item><guid>own-" + id + "</guid><title>Story of source " + id + "</title><link>http://example.org/" + id +
         "/own</link><description>Only source " + id + " tells this.</description></item>"
         "<item><guid>shared-" + id + "</guid><title>The story everybody carries</title><link>http://example.org/" + id +
         "/shared</link><description>Word for word the same text in every source.</description></item>"
         "</channel></rss>";
}

// When each path was asked for, as the server saw it.
class RequestLog {
 public:
  test::FixtureServer::Handler handler() {
    return [this](const test::FixtureRequest& request) {
      {
        std::lock_guard lock(mutex_);
        times_[request.target].push_back(Clock::now());
      }
      static const std::regex path("/feed/([0-9]+)\\.xml");
      std::smatch m;
      test::FixtureResponse response;
      if (!std::regex_match(request.target, m, path)) {
        response.status = 404;
        return response;
      }
      response.headers = {{"Content-Type", "application/rss+xml"}};
      response.body = document(std::stoi(m[1]));
      // Fetches take a while, so that a daemon killed at any moment holds some leases.
      response.delay = 150ms;
      return response;
    };
  }
  std::map<std::string, std::vector<Clock::time_point>> times() const {
    std::lock_guard lock(mutex_);
    return times_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<Clock::time_point>> times_;
};

std::string path_of(int n) { return "/feed/" + std::to_string(n) + ".xml"; }

// The same [[feed]] tables and database for every daemon; each its own address and files.
std::string config_text(const test::TempDir& dir, const std::string& database, const test::FixtureServer& server,
                        int daemon, unsigned short port) {
  const std::string own = std::to_string(daemon);
  std::string conf = "[daemon]\nlisten = \"127.0.0.1:" + std::to_string(port) + "\"\ndatabase = \"" + database +
                     "\"\noutput_dir = \"" + (dir / ("public-" + own)).string() +
                     "\"\ninterval = \"4s\"\nmin_interval = \"4s\"\nmax_interval = \"4s\"\nhost_delay = \"0s\"\n"
                     "timeout = \"2s\"\nlease_timeout = \"3s\"\nconcurrency = 16\nper_host = 16\n"
                     "[output]\nmax_entries = 1000\nnear_duplicates = false\n";
  for (int i = 0; i < kSources; ++i) conf += "[[feed]]\nurl = \"" + server.url(path_of(i)) + "\"\n";
  return conf;
}

// The database the daemons share, and how the test reads it behind their backs.
struct SharedDatabase {
  std::string location;                                    // `database =`
  std::function<std::string(const std::string&)> query;  // first column of the first row
  std::string urls_joined;                                 // the dialect's "url, url, …" aggregate
};

long long scalar(const SharedDatabase& db, const std::string& sql) {
  const std::string value = db.query(sql);
  return value.empty() ? 0 : std::stoll(value);
}

template <typename Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

int fetches_logged(const std::string& log) {
  int n = 0;
  for (std::size_t at = log.find(" unchanged"); at != std::string::npos; at = log.find(" unchanged", at + 1)) ++n;
  return n;
}

std::string etag_of(const test::HttpReply& reply) {
  static const std::regex etag("\r\n[Ee][Tt][Aa][Gg]: ([^\r\n]*)");
  std::smatch m;
  return std::regex_search(reply.head, m, etag) ? m[1].str() : std::string();
}

}  // namespace

void three_daemons_share_the_sources(const test::TempDir& dir, const SharedDatabase& db) {
  RequestLog requests;
  test::FixtureServer server(requests.handler());
  std::vector<unsigned short> ports;
  std::vector<std::unique_ptr<test::DaemonProcess>> daemons;
  for (int d = 0; d < 3; ++d) {
    ports.push_back(test::free_port());
    const auto conf = test::write_file(dir / ("feeds-" + std::to_string(d) + ".conf"),
                                       config_text(dir, db.location, server, d, ports.back()));
    daemons.push_back(std::make_unique<test::DaemonProcess>(
        std::vector<std::string>{"run", "--config", conf.string()}, dir / ("feedd-" + std::to_string(d) + ".log")));
    // The first one creates the file and its schema; the others open it once it is there.
    if (d == 0) REQUIRE(daemons[0]->wait_for_log(" running: ", 10s));
  }
  auto logs = [&] {
    std::string all;
    for (auto& daemon : daemons) all += daemon->log() + "\n----\n";
    return all;
  };

  // Every source fetched and stored, by one daemon or another.
  const bool all_fetched = wait_until(
      [&] { return scalar(db, "SELECT COUNT(*) FROM sources WHERE last_success IS NOT NULL") == kSources; }, 12s);
  INFO(logs());
  REQUIRE(all_fetched);
  // The work was shared: each daemon stores some of the fetches. (Not always of the first
  // round: on a loaded machine the first daemon may have fetched every source before the
  // others have started; the next rounds, 4 s apart, are shared.)
  const bool each_fetched = wait_until(
      [&] {
        return std::all_of(daemons.begin(), daemons.end(), [](auto& daemon) { return fetches_logged(daemon->log()) > 0; });
      },
      12s);
  CHECK(each_fetched);
  // The story every source carries is one story with every source; each source's own
  // story is one more.
  CHECK(scalar(db, "SELECT COUNT(*) FROM stories") == kSources + 1);
  CHECK(scalar(db, "SELECT COUNT(*) FROM entries") == 2 * kSources);
  CHECK(scalar(db, "SELECT COUNT(*) FROM entries e JOIN stories s ON s.id = e.story_id"
                    " WHERE s.title = 'The story everybody carries'") == kSources);

  // Kill a daemon in the middle of its fetches (while it holds leases): the sources it
  // had claimed wait out their leases, then the others fetch them.
  std::this_thread::sleep_for(1s);
  auto held_by = [](pid_t pid) {
    return " FROM sources WHERE lease_holder LIKE '%:" + std::to_string(pid) + ":%' AND lease_expires IS NOT NULL";
  };
  std::size_t victim = daemons.size();
  REQUIRE(wait_until(
      [&] {
        for (std::size_t d = 0; d < daemons.size() && victim == daemons.size(); ++d) {
          if (scalar(db, "SELECT COUNT(*)" + held_by(daemons[d]->pid())) > 0) victim = d;
        }
        return victim < daemons.size();
      },
      5s));
  const std::string held_by_killed = held_by(daemons[victim]->pid());
  daemons[victim]->signal(SIGKILL);
  REQUIRE(daemons[victim]->wait(5s) == std::optional<int>(-SIGKILL));
  const auto killed_at = Clock::now();
  const std::string orphaned = db.query("SELECT " + db.urls_joined + held_by_killed);
  INFO("held by the killed daemon: " << orphaned);
  REQUIRE_FALSE(orphaned.empty());
  std::vector<unsigned short> alive;
  for (std::size_t d = 0; d < daemons.size(); ++d) {
    if (d != victim) alive.push_back(ports[d]);
  }
  // After the lease (3 s) and one interval (4 s), with room for a loaded machine.
  std::this_thread::sleep_for(kLease + kInterval + 1500ms);
  const auto times = requests.times();
  int taken_over = 0;
  for (int i = 0; i < kSources; ++i) {
    INFO("source " << i);
    auto it = times.find(path_of(i));
    REQUIRE(it != times.end());
    const auto& at = it->second;
    // Never asked twice within one interval (whole seconds of the schedule: at most 1 s
    // sooner than the 4 s interval). Except once for a source the killed daemon held: its
    // answer died with the daemon, unstored, so the source is asked again as soon as the
    // lease runs out.
    const bool orphan = (" " + orphaned + " ").find(" " + server.url(path_of(i)) + " ") != std::string::npos;
    for (std::size_t k = 1; k < at.size(); ++k) {
      if (orphan && at[k - 1] <= killed_at && at[k] > killed_at) continue;
      CHECK(at[k] - at[k - 1] >= 2500ms);
    }
    // Every source, including those the killed daemon held, fetched again since the kill.
    CHECK(at.back() > killed_at);
    taken_over += at.back() > killed_at;
  }
  CHECK(taken_over == kSources);
  // Its leases ran out and were taken (and released) by the others.
  CHECK(scalar(db, "SELECT COUNT(*)" + held_by_killed) == 0);
  CHECK(scalar(db, "SELECT COUNT(*) FROM stories") == kSources + 1);

  // The two left serve the same bytes under the same ETag.
  test::HttpReply first, second;
  const bool same = wait_until(
      [&] {
        first = test::http_get(alive[0], "/feed.atom");
        second = test::http_get(alive[1], "/feed.atom");
        return first.status == 200 && first.body == second.body && etag_of(first) == etag_of(second);
      },
      5s);
  CHECK(same);
  CHECK_FALSE(etag_of(first).empty());
  CHECK(first.body.find("The story everybody carries") != std::string::npos);
}

TEST_CASE("Three daemons on one SQLite file share the sources: each fetched, none twice in an interval, taken over "
          "when a daemon is killed, the same feed from each",
          "[shared-store]") {
  test::TempDir dir;
  const auto file = dir / "feedd.db";
  three_daemons_share_the_sources(
      dir, {file.string(), [file](const std::string& sql) { return test::sqlite_scalar(file, sql); },
            "group_concat(url, ' ')"});
}

TEST_CASE("Three daemons on one PostgreSQL database share the sources: each fetched, none twice in an interval, "
          "taken over when a daemon is killed, the same feed from each",
          "[shared-store][postgres]") {
  test::TempDir dir;
  const test::TestDatabase database;
  three_daemons_share_the_sources(
      dir, {database.uri(), [&database](const std::string& sql) { return database.sql(sql); }, "string_agg(url, ' ')"});
}

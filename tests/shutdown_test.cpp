// Stopping the real feedd binary while it is busy: many sources on a fixture server, some
// answering slowly, some never within the grace period, SIGTERM while transfers are in
// flight and fetched feeds are on their way to the store.

#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <regex>
#include <functional>
#include <set>
#include <string>
#include <thread>

#include "support/feedd_process.hpp"
#include "support/fixture_server.hpp"
#include "support/sample_feeds.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace std::chrono_literals;

namespace {

constexpr int kSources = 200;
constexpr int kStoriesEach = 3;

// Source N answers at once, after `slow`, or not before a minute (`stuck`): every fourth
// is stuck, every fourth (shifted by one) slow, the other half fast.
enum class Pace { kFast, kSlow, kStuck };
Pace pace_of(int n) {
  if (n % 4 == 0) return Pace::kStuck;
  if (n % 4 == 1) return Pace::kSlow;
  return Pace::kFast;
}

std::string prefix_of(int n) { return "src" + std::to_string(n); }

// Serves /feed/N.xml for N in [0, kSources) and counts the requests that arrived.
struct BusyServer {
  explicit BusyServer(std::chrono::milliseconds slow)
      : server([this, slow](const test::FixtureRequest& req) {
          ++arrived;
          static const std::regex path(R"(/feed/(\d+)\.xml)");
          std::smatch m;
          if (!std::regex_match(req.target, m, path)) return test::FixtureResponse{404, {}, "no such feed"};
          const int n = std::stoi(m[1]);
          test::FixtureResponse res{200, {{"Content-Type", "application/rss+xml"}},
                                    test::unrelated_rss(prefix_of(n), kStoriesEach)};
          if (pace_of(n) == Pace::kSlow) res.delay = slow;
          if (pace_of(n) == Pace::kStuck) res.delay = 60s;
          return res;
        }) {}

  std::atomic<int> arrived{0};
  test::FixtureServer server;
};

// feeds.conf with every source due at once (an interval of 1 s spreads the start over 1 s)
// and limits high enough that every fetch is in flight together.
std::filesystem::path write_busy_config(const test::TempDir& dir, const BusyServer& busy) {
  std::string conf =
      "[daemon]\nlisten = \"\"\ninterval = \"1s\"\nconcurrency = 256\nper_host = 256\n"
      "host_delay = \"0s\"\ntimeout = \"90s\"\n";
  for (int n = 0; n < kSources; ++n) {
    conf += "[[feed]]\nurl = \"" + busy.server.url("/feed/" + std::to_string(n) + ".xml") + "\"\n";
  }
  return test::write_file(dir / "feeds.conf", conf);
}

int stories_of(const std::filesystem::path& db, int n) {
  return std::stoi(test::sqlite_scalar(
      db, "SELECT count(*) FROM stories WHERE title LIKE '" + prefix_of(n) + " story %'"));
}

// Sources the log reports as stored ("URL: 3 new, ..." is logged after the commit), among
// the log's first `upto` bytes.
std::set<int> logged_as_stored(const std::string& log, std::size_t upto = std::string::npos) {
  static const std::regex line(R"(/feed/(\d+)\.xml: \d+ new, )");
  std::set<int> stored;
  const std::string head = log.substr(0, upto);
  for (auto it = std::sregex_iterator(head.begin(), head.end(), line); it != std::sregex_iterator(); ++it) {
    stored.insert(std::stoi((*it)[1]));
  }
  return stored;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

}  // namespace

TEST_CASE("SIGTERM during busy fetching exits 0 within the grace period and keeps every stored story",
          "[shutdown]") {
  test::TempDir dir;
  // Slow fetches answer 2.5 s after they arrive: after the signal, inside the 5 s grace.
  BusyServer busy(2500ms);
  const auto conf = write_busy_config(dir, busy);
  test::FeeddProcess feedd({"run", "--config", conf.string()}, {}, dir / "stderr.txt");

  // Every request has arrived and some fast fetches are already committed: the slow and
  // stuck transfers are in flight, the rest of the fast ones on their way to the store.
  const bool all_arrived = wait_until([&] { return busy.arrived.load() == kSources; }, 20s);
  INFO(feedd.log());
  REQUIRE(all_arrived);
  REQUIRE(feedd.wait_for_log(" new, ", 20s));
  const std::size_t log_at_signal = feedd.log().size();
  const auto signalled = std::chrono::steady_clock::now();
  feedd.signal(SIGTERM);
  const auto status = feedd.wait_exit(15s);
  const auto took = std::chrono::steady_clock::now() - signalled;
  const std::string log = feedd.log();
  INFO(log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  // 5 s for fetches in flight, then the store commits what it holds: 2 s is plenty.
  CHECK(took < 7s);
  CHECK(log.find("abandoning 50 fetches still in flight") != std::string::npos);
  CHECK(log.find("stopped") != std::string::npos);

  const auto db = dir / "feedd.db";
  CHECK(test::sqlite_scalar(db, "PRAGMA integrity_check") == "ok");
  const std::set<int> before_signal = logged_as_stored(log, log_at_signal);
  const std::set<int> all_logged = logged_as_stored(log);
  CHECK_FALSE(before_signal.empty());
  for (int n : all_logged) {
    INFO("source " << n << (before_signal.count(n) ? " (stored before the signal)" : " (stored after it)"));
    CHECK(stories_of(db, n) == kStoriesEach);
  }
  // Fast and slow fetches all finished within the grace period: all of them are stored.
  int finished = 0;
  for (int n = 0; n < kSources; ++n) {
    INFO("source " << n);
    if (pace_of(n) == Pace::kStuck) {
      CHECK(stories_of(db, n) == 0);
      continue;
    }
    ++finished;
    CHECK(all_logged.count(n) == 1);
    CHECK(stories_of(db, n) == kStoriesEach);
  }
  CHECK(std::stoi(test::sqlite_scalar(db, "SELECT count(*) FROM stories")) == finished * kStoriesEach);
  // The stuck sources' fetches never ended: their health record is untouched.
  CHECK(test::sqlite_scalar(db, "SELECT count(*) FROM sources WHERE last_fetch IS NOT NULL") ==
        std::to_string(finished));
}

TEST_CASE("A second SIGTERM while feedd waits for slow fetches exits at once and keeps every stored story",
          "[shutdown]") {
  test::TempDir dir;
  BusyServer busy(60s);  // slow and stuck alike: the first signal would wait the whole grace
  const auto conf = write_busy_config(dir, busy);
  test::FeeddProcess feedd({"run", "--config", conf.string()}, {}, dir / "stderr.txt");
  const bool all_arrived = wait_until([&] { return busy.arrived.load() == kSources; }, 20s);
  INFO(feedd.log());
  REQUIRE(all_arrived);
  REQUIRE(feedd.wait_for_log(" new, ", 20s));

  feedd.signal(SIGTERM);
  REQUIRE(feedd.wait_for_log("fetches in flight", 5s));  // "waiting up to 5 s for N fetches in flight"
  const std::size_t log_at_second = feedd.log().size();
  const auto signalled = std::chrono::steady_clock::now();
  feedd.signal(SIGTERM);
  const auto status = feedd.wait_exit(10s);
  const auto took = std::chrono::steady_clock::now() - signalled;
  const std::string log = feedd.log();
  INFO(log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  CHECK(took < 2s);  // not the 5 s grace
  CHECK(log.find("second signal") != std::string::npos);

  const auto db = dir / "feedd.db";
  CHECK(test::sqlite_scalar(db, "PRAGMA integrity_check") == "ok");
  const std::set<int> stored = logged_as_stored(log, log_at_second);
  CHECK_FALSE(stored.empty());
  for (int n : stored) {
    INFO("source " << n);
    CHECK(stories_of(db, n) == kStoriesEach);
  }
}

TEST_CASE("Requests still queued behind the concurrency limit when SIGTERM comes are never sent", "[shutdown]") {
  test::TempDir dir;
  std::atomic<int> arrived{0};
  test::FixtureServer server([&arrived](const test::FixtureRequest& req) {
    ++arrived;
    test::FixtureResponse res{200, {{"Content-Type", "application/rss+xml"}}, test::unrelated_rss("q" + req.target.substr(1, 1), 1)};
    res.delay = 1s;
    return res;
  });
  std::string conf = "[daemon]\nlisten = \"\"\ninterval = \"1s\"\nconcurrency = 2\nhost_delay = \"0s\"\n";
  for (int n = 0; n < 6; ++n) conf += "[[feed]]\nurl = \"" + server.url("/" + std::to_string(n) + ".xml") + "\"\n";
  test::FeeddProcess feedd({"run", "--config", test::write_file(dir / "feeds.conf", conf).string()}, {},
                           dir / "stderr.txt");
  const bool two_arrived = wait_until([&] { return arrived.load() >= 2; }, 20s);
  INFO(feedd.log());
  REQUIRE(two_arrived);
  feedd.signal(SIGTERM);
  const auto status = feedd.wait_exit(10s);
  const std::string log = feedd.log();
  INFO(log);
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  // The two in flight finished within the grace period and were stored; the four waiting
  // were never asked (without that they would have had time for two more rounds).
  CHECK(log.find("waiting up to 5 s for 2 fetches in flight") != std::string::npos);
  CHECK(arrived.load() == 2);
  CHECK(test::sqlite_scalar(dir / "feedd.db", "SELECT count(*) FROM stories") == "2");
}

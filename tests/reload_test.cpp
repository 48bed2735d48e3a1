// SIGHUP applies every [daemon] setting but `database` without a restart: the real binary,
// fixture servers on 127.0.0.1 that see how many requests arrive at once, real signals.

#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "feedd/config.hpp"
#include "feedd/config_diff.hpp"
#include "support/feedd_process.hpp"
#include "support/fixture_server.hpp"
#include "support/sample_feeds.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace std::chrono_literals;

namespace {

// /feed/N.xml answers after `delay`; remembers when each request arrived.
struct TimedServer {
  explicit TimedServer(std::string name, std::chrono::milliseconds delay = 0ms)
      : server([this, name, delay](const test::FixtureRequest& req) {
          {
            std::lock_guard lock(mutex);
            arrivals.push_back(std::chrono::steady_clock::now());
          }
          test::FixtureResponse res{200, {{"Content-Type", "application/rss+xml"}},
                                    test::unrelated_rss(name + req.target.substr(6, 1), 2)};
          res.delay = delay;
          return res;
        }) {}

  std::string feeds(int count) const {
    std::string tables;
    for (int n = 0; n < count; ++n) tables += "[[feed]]\nurl = \"" + server.url("/feed/" + std::to_string(n) + ".xml") + "\"\n";
    return tables;
  }
  std::vector<std::chrono::steady_clock::time_point> arrived() const {
    std::lock_guard lock(mutex);
    return arrivals;
  }

  mutable std::mutex mutex;
  std::vector<std::chrono::steady_clock::time_point> arrivals;
  test::FixtureServer server;
};

// How many fetches of `server`'s feeds the log reports as stored.
int stored_from(const std::string& log, const TimedServer& s) {
  const std::regex line(std::regex_replace(s.server.url("/feed/"), std::regex(R"([.])"), R"(\.)") + R"(\d+\.xml: \d+ new, )");
  return static_cast<int>(std::distance(std::sregex_iterator(log.begin(), log.end(), line), std::sregex_iterator()));
}

bool wait_stored(const test::FeeddProcess& feedd, const TimedServer& s, int count, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (stored_from(feedd.log(), s) < count) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

}  // namespace

TEST_CASE("SIGHUP applies new per_host, concurrency and host_delay limits to the next fetches", "[reload]") {
  test::TempDir dir;
  test::write_file(dir / "c.xml", test::unrelated_rss("local", 2));
  TimedServer first("first", 600ms), second("second", 600ms), third("third", 600ms), fourth("fourth");
  // An interval of 1 s: every source (also one a reload adds) is due at once; min_interval
  // keeps each to one fetch during the test.
  auto header = [](const std::string& limits) {
    return "[daemon]\nlisten = \"\"\ninterval = \"1s\"\n" + limits + "\n";
  };
  const auto conf = test::write_file(dir / "feeds.conf", header("per_host = 4\nhost_delay = \"0s\"") + first.feeds(4));
  test::FeeddProcess feedd({"run", "--config", conf.string()}, {}, dir / "stderr.txt");
  REQUIRE(wait_stored(feedd, first, 4, 20s));
  CHECK(first.server.max_concurrent_requests() == 4);

  // per_host 4 -> 1: the four sources added now are fetched one at a time.
  test::write_file(conf, header("per_host = 1\nhost_delay = \"0s\"") + first.feeds(4) + second.feeds(4));
  feedd.signal(SIGHUP);
  REQUIRE(wait_stored(feedd, second, 4, 20s));
  CHECK(second.server.max_concurrent_requests() == 1);

  // concurrency 2 (per_host back to 4): two at a time.
  test::write_file(conf, header("per_host = 4\nconcurrency = 2\nhost_delay = \"0s\"") + first.feeds(4) +
                             second.feeds(4) + third.feeds(4));
  feedd.signal(SIGHUP);
  REQUIRE(wait_stored(feedd, third, 4, 20s));
  CHECK(third.server.max_concurrent_requests() == 2);

  // host_delay 0 s -> 1 s: requests to the host start at least a second apart.
  test::write_file(conf, header("per_host = 4\nhost_delay = \"1s\"") + first.feeds(4) + second.feeds(4) +
                             third.feeds(4) + fourth.feeds(3));
  feedd.signal(SIGHUP);
  REQUIRE(wait_stored(feedd, fourth, 3, 20s));
  const auto arrived = fourth.arrived();
  REQUIRE(arrived.size() == 3);
  for (std::size_t i = 1; i < arrived.size(); ++i) {
    INFO("request " << i);
    CHECK(arrived[i] - arrived[i - 1] >= 950ms);  // a little slack for when the server reads it
  }

  // database: still the one opened at start, and the log says so.
  test::write_file(conf, "[daemon]\nlisten = \"\"\ninterval = \"1s\"\nper_host = 4\nhost_delay = \"1s\"\n"
                         "database = \"other.db\"\n" + first.feeds(4) + second.feeds(4) + third.feeds(4) +
                             fourth.feeds(3) + "[[feed]]\nurl = \"c.xml\"\n");
  feedd.signal(SIGHUP);
  REQUIRE(feedd.wait_for_log("c.xml: 2 new, ", 20s));
  feedd.signal(SIGTERM);
  const auto status = feedd.wait_exit(15s);
  const std::string log = feedd.log();
  INFO(log);
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  CHECK(log.find("[daemon] changed: per_host)") != std::string::npos);
  CHECK(log.find("reload: fetching with concurrency 64, per_host 1, host_delay 0 s") != std::string::npos);
  CHECK(log.find("[daemon] changed: concurrency, per_host)") != std::string::npos);
  CHECK(log.find("[daemon] changed: concurrency, host_delay)") != std::string::npos);
  CHECK(log.find("reload: database = " + (dir / "other.db").string() + " needs a restart; still using " +
                 (dir / "feedd.db").string()) != std::string::npos);
  CHECK(log.find("[daemon] changed: database)") != std::string::npos);
  CHECK(log.find("after a restart") == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "other.db"));
  CHECK(test::sqlite_scalar(dir / "feedd.db", "SELECT count(*) FROM stories WHERE title LIKE 'local story %'") == "2");
}

TEST_CASE("A reload's diff names each [daemon] key that changed", "[reload]") {
  Config before;
  Config after = before;
  after.daemon.per_host = 1;
  after.daemon.host_delay = std::chrono::seconds(0);
  const ConfigDiff diff = diff_configs(before, after);
  CHECK(diff.daemon_changed);
  CHECK(diff.daemon_keys == std::vector<std::string>{"per_host", "host_delay"});
  CHECK(diff.to_string() == "0 sources added, 0 removed, 0 changed ([daemon] changed: per_host, host_delay)");
  after.output.title = "Other";
  CHECK(diff_configs(before, after).to_string() ==
        "0 sources added, 0 removed, 0 changed ([daemon] changed: per_host, host_delay; [output] changed)");
  CHECK(diff_configs(before, before).to_string() == "nothing changed");
}

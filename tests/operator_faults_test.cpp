// Operator faults through the real binary (issue 7, promise 2): a feeds.conf that is
// broken, missing or not a file at start-up is refused with a clear message, exit 1 and
// nothing written; the same faults at a reload (SIGHUP) are refused while the running
// configuration stays in force and keeps fetching. (Unknown keys and a type error at
// start-up and an unknown key at reload are in cli_test.cpp and service_test.cpp; the
// loader's own messages in config_test.cpp.)

#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>
#include <thread>

#include "support/daemon_process.hpp"
#include "support/db_probe.hpp"
#include "support/fixture_server.hpp"
#include "support/growing_feeds.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace std::chrono_literals;

namespace {

std::string header(const test::TempDir& dir) {
  return "[daemon]\nlisten = \"\"\ndatabase = \"" + (dir / "feedd.db").string() + "\"\noutput_dir = \"" +
         (dir / "public").string() + "\"\ninterval = \"1s\"\nmin_interval = \"1s\"\nhost_delay = \"0s\"\n" +
         "[output]\nnear_duplicates = false\n";
}

// `feedd run` with this config path: exit 1, the message in the log, no database made.
void check_refused_at_start(const test::TempDir& dir, const std::filesystem::path& conf,
                            const std::vector<std::string>& messages) {
  test::DaemonProcess run({"run", "--config", conf.string()}, dir / "run.log");
  const auto exit = run.wait(20s);
  INFO(run.log());
  REQUIRE(exit.has_value());
  CHECK(*exit == 1);
  for (const auto& message : messages) CHECK(run.log().find(message) != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "feedd.db"));
  CHECK_FALSE(std::filesystem::exists(dir / "public"));
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

}  // namespace

TEST_CASE("feedd run on a feeds.conf with a TOML syntax error exits 1 naming the line and writes nothing",
          "[operator-fault]") {
  test::TempDir dir;
  const auto conf = test::write_file(dir / "feeds.conf", header(dir) + "[[feed]]\nurl = \"http://127.0.0.1:9/a.xml\n");
  check_refused_at_start(dir, conf, {conf.string() + ":11:"});
}

TEST_CASE("feedd run on a feeds.conf listing one source twice exits 1 naming both lines", "[operator-fault]") {
  test::TempDir dir;
  const auto conf = test::write_file(dir / "feeds.conf", header(dir) + "[[feed]]\nurl = \"http://127.0.0.1:9/a.xml\"\n"
                                                                       "[[feed]]\nurl = \"http://127.0.0.1:9/a.xml\"\n");
  check_refused_at_start(dir, conf, {"duplicate source http://127.0.0.1:9/a.xml: already defined at line 10"});
}

TEST_CASE("feedd run with a missing feeds.conf exits 1 saying it cannot read that file", "[operator-fault]") {
  test::TempDir dir;
  check_refused_at_start(dir, dir / "nowhere.conf", {(dir / "nowhere.conf").string(), "cannot read the file"});
}

TEST_CASE("feedd run with a folder as feeds.conf exits 1 saying it cannot read that file", "[operator-fault]") {
  // What an unreadable file does for anyone but root (who reads any file whatever its mode).
  test::TempDir dir;
  std::filesystem::create_directory(dir / "feeds.conf");
  check_refused_at_start(dir, dir / "feeds.conf", {(dir / "feeds.conf").string(), "cannot read the file"});
}

TEST_CASE("A reload of a broken, duplicated, missing or unreadable feeds.conf is refused and the old sources keep "
          "being fetched and stored",
          "[operator-fault]") {
  test::GrowingFeeds feeds({.per_fetch = 1, .window = 50});
  test::FixtureServer server(feeds.handler());
  test::TempDir dir;
  const std::string good = header(dir) + "[[feed]]\nurl = \"" + server.url("/a.xml") + "\"\n";
  const auto conf = test::write_file(dir / "feeds.conf", good);
  test::DaemonProcess daemon({"run", "--config", conf.string()}, dir / "feedd.log");
  const auto stored = [&] { return test::probe_database(dir / "feedd.db").entries; };
  INFO(daemon.log());
  REQUIRE(eventually([&] { return stored() >= 1; }, 10s));

  const std::vector<std::pair<std::string, std::function<void()>>> faults = {
      {"a syntax error", [&] { test::write_file(conf, good + "[[feed]\nurl = \"x\"\n"); }},
      {"a duplicate source", [&] { test::write_file(conf, good + "[[feed]]\nurl = \"" + server.url("/a.xml") + "\"\n"); }},
      {"a missing file", [&] { std::filesystem::remove(conf); }},
      {"a folder in its place", [&] {
         std::filesystem::remove(conf);
         std::filesystem::create_directory(conf);
       }},
  };
  int refusals = 0;
  for (const auto& [name, make_fault] : faults) {
    INFO("fault: " << name);
    make_fault();
    daemon.signal(SIGHUP);
    ++refusals;
    const std::string refused = "reload refused: " + conf.string();
    CHECK(eventually([&] {
      std::size_t count = 0;
      const std::string log = daemon.log();
      for (auto at = log.find(refused); at != std::string::npos; at = log.find(refused, at + 1)) ++count;
      return count == static_cast<std::size_t>(refusals);
    }, 5s));
    // Still fetching the running configuration's source, and storing what it brings.
    const long long before = stored();
    const bool fetched = eventually([&] { return stored() > before; }, 8s);
    INFO(daemon.log());
    CHECK(fetched);
    if (std::filesystem::is_directory(conf)) std::filesystem::remove(conf);
  }
  const std::string log = daemon.log();
  CHECK(log.find(conf.string() + ":12:8: Error while parsing table header") != std::string::npos);
  CHECK(log.find("duplicate source " + server.url("/a.xml")) != std::string::npos);
  CHECK(log.find("cannot read the file") != std::string::npos);

  // A good file again is taken at once.
  test::write_file(conf, good + "[[feed]]\nurl = \"" + server.url("/b.xml") + "\"\n");
  daemon.signal(SIGHUP);
  CHECK(daemon.wait_for_log("reloaded " + conf.string() + ": 1 sources added", 5s));
  CHECK(eventually([&] { return feeds.published("/b.xml") > 0; }, 8s));
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(10s) == std::optional<int>(0));
  CHECK(test::probe_database(dir / "feedd.db").integrity == "ok");
}
